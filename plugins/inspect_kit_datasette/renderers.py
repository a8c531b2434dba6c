"""Output renderers: ``.bods`` (BODS 0.4 statements) and ``.atom`` (a feed of changes).

``.bods`` takes the entity ids in a page of rows (any column that links to
``entities``, or ``id`` on the entities table itself), and publishes those
entities, persons and the relationships among them, plus the relationships in
the rows when the page is of ``relationships``. Nothing is invented: a field
the registry does not hold is left out.

``.atom`` turns rows into feed entries. A query names its entries with the
columns ``atom_id``, ``atom_title`` and ``atom_updated`` (and optionally
``atom_content`` and ``atom_link``), as the ``ownership_changes`` query does,
so a journalist can subscribe to "new offshore landlords in my county".
"""

from __future__ import annotations

import datetime
import hashlib
import json
import xml.etree.ElementTree as ET

from datasette.utils.asgi import Response

from .links import LINKS

BODS_VERSION = "0.4"
PUBLISHER = {"name": "inspect-kit", "url": "https://github.com/"}
ENTITY_COLUMNS = {column for (table, column), (target, _) in LINKS.items() if target == "entities"}
ENTITY_COLUMNS |= {"entity_id", "subject_id", "interested_party_id", "owner_id", "end_id"}

# Companies House statement codes -> BODS 0.4 unspecified reasons.
UNSPECIFIED_REASONS = {
    "no-individual-or-entity-with-signficant-control": "noBeneficialOwners",
    "no-individual-or-entity-with-significant-control": "noBeneficialOwners",
    "psc-exists-but-not-identified": "subjectUnableToConfirmOrIdentifyBeneficialOwner",
    "psc-details-not-confirmed": "subjectUnableToConfirmOrIdentifyBeneficialOwner",
    "steps-to-find-psc-not-yet-completed": "subjectUnableToConfirmOrIdentifyBeneficialOwner",
    "psc-contacted-but-no-response": "interestedPartyHasNotProvidedInformation",
    "psc-has-failed-to-confirm-changed-details": "interestedPartyHasNotProvidedInformation",
    "restrictions-notice-issued-to-psc": "interestedPartyHasNotProvidedInformation",
    "no-beneficial-owner-identified": "subjectUnableToConfirmOrIdentifyBeneficialOwner",
    "super-secure": "interestedPartyExemptFromDisclosure",
    "super_secure": "interestedPartyExemptFromDisclosure",
}
BODS_REASONS = {
    "noBeneficialOwners", "subjectUnableToConfirmOrIdentifyBeneficialOwner",
    "interestedPartyHasNotProvidedInformation", "subjectExemptFromDisclosure",
    "interestedPartyExemptFromDisclosure", "unknown", "informationUnknownToPublisher",
}
ENTITY_TYPES = {
    "company": "registeredEntity",
    "overseas_entity": "registeredEntity",
    "legal_person": "legalEntity",
    "trust": "arrangement",
    "public_body": "stateBody",
}


def _record_id(entity_id: str) -> str:
    return entity_id


def _statement_id(record: dict) -> str:
    """Stable: the same record published twice has the same statement id (64 hex digits)."""
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


def _statement(record_id, record_type, details, declaration_subject, date):
    statement = {
        "declarationSubject": declaration_subject,
        "statementDate": date,
        "publicationDetails": {
            "publicationDate": datetime.date.today().isoformat(),
            "bodsVersion": BODS_VERSION,
            "publisher": {"name": PUBLISHER["name"]},
        },
        "recordId": record_id,
        "recordStatus": "new",
        "recordType": record_type,
        "recordDetails": details,
    }
    return {"statementId": _statement_id({k: v for k, v in statement.items() if k != "publicationDetails"}), **statement}


def _date(value) -> str:
    return (value or "")[:10] or datetime.date.today().isoformat()


def entity_statement(row: dict) -> dict:
    if row.get("entity_type") == "person":
        details = {"isComponent": False, "personType": "knownPerson",
                   "names": [{"type": "legal", "fullName": row.get("name") or ""}]}
        if row.get("birth_month"):
            details["birthDate"] = row["birth_month"]
        if row.get("nationality"):
            details["nationalities"] = [{"name": row["nationality"]}]
        return _statement(_record_id(row["id"]), "person", details, row["id"], _date(row.get("valid_from")))
    details = {
        "isComponent": False,
        "entityType": {"type": ENTITY_TYPES.get(row.get("entity_type") or "", "unknownEntity")},
        "name": row.get("name") or "",
    }
    if row.get("jurisdiction"):
        details["jurisdiction"] = {"code": row["jurisdiction"]}
    if row.get("company_number"):
        scheme = row.get("register") or ("GB-COH" if (row.get("jurisdiction") or "").startswith("GB") else None)
        identifier = {"id": row["company_number"]}
        if scheme:
            identifier["scheme"] = scheme
        details["identifiers"] = [identifier]
    if row.get("incorporation_date"):
        details["foundingDate"] = row["incorporation_date"]
    if row.get("dissolution_date"):
        details["dissolutionDate"] = row["dissolution_date"]
    return _statement(_record_id(row["id"]), "entity", details, row["id"], _date(row.get("valid_from")))


def relationship_statement(row: dict) -> dict:
    if row.get("interested_party_id"):
        interested = _record_id(row["interested_party_id"])
    else:
        given = row.get("unspecified_reason") or ""
        reason = given if given in BODS_REASONS else UNSPECIFIED_REASONS.get(given, "unknown")
        interested = {"reason": reason, "description": row.get("unspecified_description") or given}
    interests = []
    if row.get("interest_type"):  # a declared-unknown owner has no interest to state
        interest = {"type": row["interest_type"], "directOrIndirect": "direct"}
        if row.get("interest_detail"):
            interest["details"] = row["interest_detail"]
        share = {}
        if row.get("share_min") is not None:
            share["minimum"] = row["share_min"]
        if row.get("share_max") is not None:
            share["maximum"] = row["share_max"]
        if share:
            interest["share"] = share
        if row.get("start_date"):
            interest["startDate"] = row["start_date"]
        if row.get("end_date"):
            interest["endDate"] = row["end_date"]
        interests.append(interest)
    details = {"isComponent": False, "subject": _record_id(row["subject_id"]), "interestedParty": interested}
    if interests:
        details["interests"] = interests
    return _statement(row["id"], "relationship", details, row["subject_id"], _date(row.get("start_date") or row.get("valid_from")))


def _dicts(result) -> list[dict]:
    return [dict(zip(result.columns, row)) for row in result.rows]


async def bods_statements(datasette, database, table, columns, rows, hidden=frozenset()) -> list[dict]:
    """Statements for the entities in ``rows``; ``hidden`` tables (confidential) are not read."""
    db = datasette.get_database(database)
    if {"entities", "relationships"} & set(hidden):
        return []
    entity_ids: set[str] = set()
    relationship_rows: list[dict] = []
    for row in rows:
        row = dict(zip(columns, row)) if not isinstance(row, dict) else row
        if table == "entities" and row.get("id"):
            entity_ids.add(row["id"])
        if table == "relationships" and row.get("subject_id"):
            relationship_rows.append(row)
        for column in ENTITY_COLUMNS & set(row):
            if row[column]:
                entity_ids.add(row[column])
    if table == "relationships" and relationship_rows:
        ids = [r["id"] for r in relationship_rows if r.get("id")]
        relationship_rows = await _select_in(db, "relationships", "id", ids) if ids else []
    ids = sorted(entity_ids)
    entities = await _select_in(db, "entities", "id", ids)
    if table != "relationships":
        relationship_rows = [
            r for r in await _select_in(db, "relationships", "subject_id", ids)
            if r.get("interested_party_id") in entity_ids or not r.get("interested_party_id")
        ]
    statements = [entity_statement(e) for e in entities]
    known = {e["id"] for e in entities}
    for rel in relationship_rows:
        if rel["subject_id"] in known and (not rel.get("interested_party_id") or rel["interested_party_id"] in known):
            statements.append(relationship_statement(rel))
    return statements


async def _select_in(db, table, column, values) -> list[dict]:
    found = []
    for start in range(0, len(values), 500):
        batch = list(values[start : start + 500])
        result = await db.execute(
            f"select * from [{table}] where [{column}] in ({', '.join('?' for _ in batch)})", batch
        )
        found.extend(_dicts(result))
    return found


async def render_bods(datasette, columns, rows, database, table, request):
    from .access import confidential_tables, is_regulator

    hidden = frozenset() if is_regulator(request.actor) else confidential_tables(datasette)
    statements = await bods_statements(datasette, database, table, columns, rows, hidden)
    return Response(
        json.dumps(statements, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
        headers={"Access-Control-Allow-Origin": "*"},
    )


def can_render_bods(columns, table):
    return table in ("entities", "relationships") or bool(ENTITY_COLUMNS & set(columns or ()))


# --- Atom -----------------------------------------------------------------------

ATOM = "http://www.w3.org/2005/Atom"
ATOM_REQUIRED = {"atom_id", "atom_title", "atom_updated"}


def can_render_atom(columns):
    return ATOM_REQUIRED <= set(columns or ())


def _rfc3339(value) -> str:
    text = str(value or "")
    if len(text) == 10:
        return text + "T00:00:00Z"
    return text or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


async def render_atom(datasette, columns, rows, request, database, query_name, table):
    if not can_render_atom(columns):
        return Response.text(
            "This feed needs the columns atom_id, atom_title and atom_updated.", status=400
        )
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    name = query_name or table or "query"
    metadata = {}
    if query_name:
        metadata = await datasette.get_canned_query(database, query_name, request.actor) or {}
    ET.SubElement(feed, f"{{{ATOM}}}title").text = metadata.get("title") or f"inspect-kit: {name}"
    self_url = datasette.absolute_url(request, request.full_path)
    ET.SubElement(feed, f"{{{ATOM}}}id").text = self_url
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "inspect-kit"
    entries = [dict(zip(columns, row)) for row in rows]
    updated = max((_rfc3339(e["atom_updated"]) for e in entries), default=_rfc3339(None))
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = updated
    for row in entries:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"tag:inspect-kit,{name}:{row['atom_id']}"
        ET.SubElement(entry, f"{{{ATOM}}}title").text = str(row["atom_title"] or "")
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = _rfc3339(row["atom_updated"])
        if row.get("atom_content"):
            ET.SubElement(entry, f"{{{ATOM}}}content", type="text").text = str(row["atom_content"])
        if row.get("atom_link"):
            href = str(row["atom_link"])
            if not href.startswith(("http://", "https://", "/")):
                href = datasette.urls.database(database) + "/" + href
            if href.startswith("/"):
                href = datasette.absolute_url(request, href)
            ET.SubElement(entry, f"{{{ATOM}}}link", href=href)
    body = ET.tostring(feed, encoding="unicode", xml_declaration=False)
    return Response(
        '<?xml version="1.0" encoding="utf-8"?>\n' + body,
        content_type="application/atom+xml; charset=utf-8",
    )
