"""How the contract tables point at each other, and how Datasette should show them.

The registry's tables carry no SQLite foreign keys (collectors load them in any
order), so the links live here: ``render_cell`` turns these columns into links
with the target row's label, and the metadata gets label columns, facets and
full-text search settings from the same tables.
"""

from __future__ import annotations

# (table, column) -> (target table, target key column)
LINKS: dict[tuple[str, str], tuple[str, str]] = {
    ("care_homes", "provider_id"): ("providers", "provider_id"),
    ("care_homes", "predecessor_id"): ("care_homes", "location_id"),
    ("providers", "entity_id"): ("entities", "id"),
    ("relationships", "subject_id"): ("entities", "id"),
    ("relationships", "interested_party_id"): ("entities", "id"),
    ("title_proprietors", "title_number"): ("titles", "title_number"),
    ("title_proprietors", "entity_id"): ("entities", "id"),
    ("care_home_titles", "location_id"): ("care_homes", "location_id"),
    ("care_home_titles", "title_number"): ("titles", "title_number"),
    ("inspection_schedule", "location_id"): ("care_homes", "location_id"),
    ("ownership_paths", "subject_id"): ("entities", "id"),
    ("ownership_paths", "end_id"): ("entities", "id"),
    ("ultimate_owners", "subject_id"): ("entities", "id"),
    ("ultimate_owners", "owner_id"): ("entities", "id"),
    ("company_accounts", "filing_id"): ("accounts_filings", "filing_id"),
    ("company_accounts", "subject_id"): ("entities", "id"),
    ("accounts_facts", "filing_id"): ("accounts_filings", "filing_id"),
}

# risk_flags.subject_id points at a different table for each subject_type.
FLAG_SUBJECTS: dict[str, tuple[str, str]] = {
    "care_home": ("care_homes", "location_id"),
    "entity": ("entities", "id"),
    "provider": ("providers", "provider_id"),
    "title": ("titles", "title_number"),
}

LABEL_COLUMNS = {
    "care_homes": "name",
    "providers": "name",
    "entities": "name",
    "titles": "property_address",
}

# Columns an ownership graph page exists for: value -> /-/ownership/KIND/value
GRAPH_LINKS = {
    ("care_homes", "location_id"): "home",
    ("entities", "id"): "entity",
}

FACETS = {
    "care_homes": ["rating", "region", "local_authority"],
    "providers": ["ownership_type"],
    "entities": ["entity_type", "jurisdiction"],
    "title_proprietors": ["country_incorporated", "proprietorship_category"],
    "titles": ["tenure", "dataset"],
    "risk_flags": ["flag", "severity", "subject_type"],
    "ownership_paths": ["end_kind", "traceable"],
}

# Names and addresses people search for.
SEARCH_COLUMNS = {
    "care_homes": ["name", "address", "postcode", "local_authority"],
    "providers": ["name", "address", "postcode"],
    "entities": ["name", "address", "company_number"],
    "title_proprietors": ["name", "address", "company_number"],
    "titles": ["property_address", "postcode"],
}

SORT = {
    "care_homes": "name",
    "providers": "name",
    "entities": "name",
    "risk_flags": None,
}


# Query columns that hold a list (group_concat): column -> separator. Long lists are
# folded so that one landlord with 150 homes does not make a row a screen tall.
LIST_COLUMNS = {
    "home_names": ",",
    "title_numbers": ",",
    "location_ids": ",",
    "landlords": ",",
    "care_homes": "; ",
}
# List items that are keys of a row: each becomes a link.
LIST_LINKS = {"title_numbers": "titles", "location_ids": "care_homes"}
FOLD_AFTER = 5
