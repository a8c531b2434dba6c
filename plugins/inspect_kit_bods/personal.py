"""What of a BODS statement may be kept in public: never a residence or a day of birth.

Public registers publish a beneficial owner's name, nationality and month and
year of birth, and a company's registered or business address, but not where
anyone lives. ``bods_statements.details`` and a rejected statement shown in the
public ``rejected_records`` pass through here; a rejected statement's whole text
goes to the private database only.
"""

from __future__ import annotations

import copy
import json

from inspect_kit import Rejected

PRIVATE_ADDRESS_TYPES = frozenset({"residence", "home", "placeOfBirth"})
PERSON_PRIVATE = ("addresses", "identifiers", "placeOfBirth", "taxResidencies", "politicalExposure")


def public_addresses(addresses):
    """Addresses without those of where someone lives or was born."""
    if not isinstance(addresses, list):
        return addresses
    return [a for a in addresses if not (isinstance(a, dict) and a.get("type") in PRIVATE_ADDRESS_TYPES)]


def public_statement(statement) -> dict | None:
    """A copy of a statement fit for a public table; None when it is not an object."""
    if not isinstance(statement, dict):
        return None
    shown = copy.deepcopy(statement)
    details = shown.get("recordDetails")
    if not isinstance(details, dict):
        return shown
    if shown.get("recordType") == "person" or "personType" in details:
        for key in PERSON_PRIVATE:
            details.pop(key, None)
        if details.get("birthDate"):
            details["birthDate"] = str(details["birthDate"])[:7]
    elif "addresses" in details:
        details["addresses"] = public_addresses(details["addresses"])
    return shown


def rejected_statement(error: str, raw: str, statement, line) -> Rejected:
    shown = public_statement(statement)
    # ASCII JSON: a lone surrogate the statement may hold is stored as its escape.
    return Rejected(error, raw=raw, line=line, personal=True,
                    public_raw=None if shown is None else json.dumps(shown))
