"""The registry -> BODS 0.4 statements, checked against the schema as they stream out.

Entities and persons come first, then relationships, so that a reader meets
every record before a relationship names it. The rows of ``relationships``
(one per interest) are grouped back into BODS relationships: by their BODS
recordId when they came from BODS, else by subject, interested party and
source, so a PSC's several natures of control become one relationship with
several interests.

Rows imported from BODS keep their recordIds, publication details and source,
and the details kept in ``bods_statements``; other rows are described from
their columns and their collector.
"""

from __future__ import annotations

import datetime
import itertools
import json
import re
import uuid
from typing import Any, Iterator

from inspect_kit import SourceError

from .codes import INTEREST_TYPES, REGISTRY_ID_SCHEME, UNSPECIFIED_REASONS, bods_entity_type, bods_reason, source_types
from inspect_kit.matching import company_entity_id

from .importer import ID_PREFIX
from .schema import statement_errors

BODS_VERSION = "0.4"
STATEMENT_NAMESPACE = uuid.UUID("6f1c7a52-58a1-4d53-9a4c-6e1b2f0d9a11")
_BIRTH = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")

_BODS_COLUMNS = (
    "record_id", "record_type", "record_status", "statement_id", "statement_date",
    "declaration_subject", "publication_details", "statement_source", "annotations",
    "direct_or_indirect", "beneficial_ownership_or_control", "is_component", "details",
)


def _country_name(code: str) -> str:
    """BODS jurisdictions carry a name as well as the code: "JE" -> "Jersey"."""
    import pycountry

    country = pycountry.countries.get(alpha_2=code[:2])
    return country.name if country is not None else code


def _loads(text):
    return json.loads(text) if text else None


class BodsExport:
    """Build the statements for one registry, reading it through a connection."""

    def __init__(self, conn, *, publisher: str = "inspect-kit", publication_date: str | None = None,
                 validate: bool = True, only: set[str] | None = None):
        """``conn``: the registry's connection, or any read-only one on the file (Datasette's).
        ``only``: publish just these entities and the relationships among them (a page of rows)."""
        self.conn = conn
        self.only = only
        self.has_bods_table = bool(
            self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'bods_statements'").fetchone()
        )
        self.publisher = publisher
        self.publication_date = publication_date or datetime.date.today().isoformat()
        self.validate = validate
        self.record_ids: dict[str, str] = {}  # registry id -> recordId written
        self.used_record_ids: set[str] = set()
        self.count = 0

    def statements(self) -> Iterator[dict]:
        for row in self._rows("entities", "ORDER BY t.rowid"):
            yield self._checked(self._entity_statement(row))
        order = (
            "ORDER BY coalesce(b.record_id, ''), t.subject_id, coalesce(t.interested_party_id, ''), "
            "coalesce(t.unspecified_reason, ''), t.source, t.id"
            if self.has_bods_table
            else "ORDER BY t.subject_id, coalesce(t.interested_party_id, ''), coalesce(t.unspecified_reason, ''), t.source, t.id"
        )
        for _, rows in itertools.groupby(self._rows("relationships", order), key=_group_key):
            rows = list(rows)
            for registry_id in {rows[0]["subject_id"], rows[0]["interested_party_id"]} - {None}:
                if registry_id not in self.record_ids:
                    stub = self._stub_statement(registry_id)
                    if stub:
                        yield self._checked(stub)
            yield self._checked(self._relationship_statement(rows))

    # -- reading -----------------------------------------------------------

    def _rows(self, table: str, order: str) -> Iterator[dict]:
        if self.has_bods_table:
            extra = ", " + ", ".join(f"b.{c} AS bods_{c}" for c in _BODS_COLUMNS)
            join = "LEFT JOIN bods_statements b ON b.id = t.id AND b.valid_to IS NULL"
        else:
            extra = join = ""
        where, params = "t.valid_to IS NULL", []
        if self.only is not None:
            chosen = "(SELECT value FROM json_each(?))"
            where += (f" AND t.id IN {chosen}" if table == "entities" else
                      f" AND t.subject_id IN {chosen} AND (t.interested_party_id IS NULL OR t.interested_party_id IN {chosen})")
            params = [json.dumps(sorted(self.only))] * (1 if table == "entities" else 2)
        cursor = self.conn.execute(f"SELECT t.*{extra} FROM {table} t {join} WHERE {where} {order}", params)
        names = [d[0] for d in cursor.description]
        for values in cursor:
            row = dict(zip(names, values))
            for column in _BODS_COLUMNS:
                row.setdefault("bods_" + column, None)
            row["extras"] = _loads(row["bods_details"]) or {}
            yield row

    # -- statements --------------------------------------------------------

    def _record_id(self, registry_id: str, original: str | None, *, entity: bool = True) -> str:
        record_id = original if original and original not in self.used_record_ids else registry_id
        if record_id in self.used_record_ids:  # a registry id equal to another's published recordId
            record_id = f"{registry_id}#{len(self.used_record_ids)}"
        self.used_record_ids.add(record_id)
        if entity:
            self.record_ids[registry_id] = record_id
        return record_id

    def _reference(self, registry_id: str) -> str:
        if registry_id in self.record_ids:
            return self.record_ids[registry_id]
        return registry_id[len(ID_PREFIX):] if registry_id.startswith(ID_PREFIX) else registry_id

    def _envelope(self, row: dict, record_type: str, record_id: str, details: dict, subject: str) -> dict:
        statement_date = row["bods_statement_date"] or row.get("valid_from") or self.publication_date
        publication = _loads(row["bods_publication_details"]) or {
            "publicationDate": self.publication_date,
            "publisher": {"name": self.publisher},
        }
        publication["bodsVersion"] = BODS_VERSION
        source = _loads(row["bods_statement_source"])
        if source is None and row.get("source") and not row["bods_record_id"]:
            source = {"description": f"Collected by inspect-kit's {row['source']} collector"}
            if source_types(row["source"]):
                source["type"] = source_types(row["source"])
        statement = {
            "statementId": str(uuid.uuid5(
                STATEMENT_NAMESPACE,
                json.dumps([record_id, record_type, details, statement_date], sort_keys=True, default=str),
            )),
            "declarationSubject": row["bods_declaration_subject"] or subject,
            "statementDate": statement_date,
            "publicationDetails": publication,
        }
        if source:
            statement["source"] = source
        statement.update({
            "recordId": record_id,
            "recordStatus": row["bods_record_status"] or "new",
            "recordType": record_type,
            "recordDetails": details,
        })
        annotations = _loads(row["bods_annotations"])
        if annotations:
            statement["annotations"] = annotations
        return statement

    def _entity_statement(self, row: dict) -> dict:
        record_id = self._record_id(row["id"], row["bods_record_id"])
        if row["entity_type"] in ("person", "super_secure") or row["bods_record_type"] == "person":
            record_type, details = "person", self._person_details(row)
        else:
            record_type, details = "entity", self._entity_details(row)
        if _id_on_import(record_id, details) != row["id"]:
            # Say the registry id, so that importing this export gives the same ids.
            details["identifiers"] = [
                *details.get("identifiers", []), {"schemeName": REGISTRY_ID_SCHEME, "id": row["id"]}
            ]
        return self._envelope(row, record_type, record_id, details, record_id)

    def _person_details(self, row: dict) -> dict:
        extras = row["extras"]
        super_secure = row["entity_type"] == "super_secure"
        details: dict[str, Any] = {
            "isComponent": bool(row["bods_is_component"]),
            "personType": extras.get("personType")
            or ("anonymousPerson" if super_secure or not row["name"] else "knownPerson"),
        }
        names = extras.get("names") or ([{"type": "legal", "fullName": row["name"]}] if row["name"] else None)
        if names:
            details["names"] = names
        nationalities = extras.get("nationalities") or _nationalities(row["nationality"])
        if nationalities:
            details["nationalities"] = nationalities
        if row["birth_month"] and _BIRTH.match(row["birth_month"]):
            details["birthDate"] = row["birth_month"]
        if extras.get("deathDate") and _BIRTH.match(extras["deathDate"]):
            details["deathDate"] = extras["deathDate"]
        unspecified = extras.get("unspecifiedPersonDetails")
        if unspecified is None and super_secure:
            unspecified = {
                "reason": "interestedPartyExemptFromDisclosure",
                "description": "Super-secure person with significant control: details withheld by the register",
            }
        if unspecified:
            details["unspecifiedPersonDetails"] = unspecified
        return details

    def _entity_details(self, row: dict) -> dict:
        extras = row["extras"]
        details: dict[str, Any] = {
            "isComponent": bool(row["bods_is_component"]),
            "entityType": extras.get("entityType") or bods_entity_type(row["entity_type"]),
        }
        if row["name"]:
            details["name"] = row["name"]
        for key in ("alternateNames", "uri", "formedByStatute", "unspecifiedEntityDetails"):
            if extras.get(key):
                details[key] = extras[key]
        # A BODS row says again only what its statement said; others are described from their columns.
        jurisdiction = extras.get("jurisdiction") or (None if row["bods_record_id"] else _jurisdiction(row["jurisdiction"]))
        if jurisdiction:
            details["jurisdiction"] = jurisdiction
        identifiers = extras.get("identifiers") or _identifiers(row)
        if identifiers:
            details["identifiers"] = identifiers
        if row["incorporation_date"]:
            details["foundingDate"] = row["incorporation_date"]
        if row["dissolution_date"]:
            details["dissolutionDate"] = row["dissolution_date"]
        addresses = extras.get("addresses") or (
            [{"type": "registered", "address": row["address"]}] if row["address"] else None
        )
        if addresses:
            details["addresses"] = addresses
        listing = extras.get("publicListing") or ({"hasPublicListing": True} if row["listed"] else None)
        if listing:
            details["publicListing"] = listing
        return details

    def _stub_statement(self, registry_id: str) -> dict | None:
        """A minimal entity for a relationship end the registry has no row for."""
        if registry_id.startswith(ID_PREFIX):
            return None  # a recordId the source itself did not describe: keep the reference as given
        row = {c: None for c in ("name", "entity_type", "jurisdiction", "company_number", "register",
                                 "incorporation_date", "dissolution_date", "address", "listed", "source")}
        row.update({f"bods_{c}": None for c in _BODS_COLUMNS}, id=registry_id, extras={})
        if registry_id.startswith("GB-COH-") and "/" not in registry_id:
            row.update(entity_type="company", jurisdiction="GB", company_number=registry_id[len("GB-COH-"):])
        record_id = self._record_id(registry_id, None)
        return self._envelope(row, "entity", record_id, self._entity_details(row), record_id)

    def _relationship_statement(self, rows: list[dict]) -> dict:
        first = rows[0]
        original = first["bods_record_id"] if first["bods_record_type"] == "relationship" else None
        record_id = self._record_id(first["id"].split("#", 1)[0] + "#relationship", original, entity=False)
        subject = self._reference(first["subject_id"])
        details: dict[str, Any] = {"isComponent": bool(first["bods_is_component"]), "subject": subject}
        if first["interested_party_id"]:
            details["interestedParty"] = self._reference(first["interested_party_id"])
        else:
            details["interestedParty"] = _unspecified(first["unspecified_reason"], first["unspecified_description"])
        interests = [interest for interest in map(_interest, rows) if interest]
        if interests:
            details["interests"] = interests
        components = first["extras"].get("componentRecords")
        if components and not details["isComponent"]:
            details["componentRecords"] = components
        return self._envelope(first, "relationship", record_id, details, subject)

    def _checked(self, statement: dict) -> dict:
        if self.validate:
            errors = statement_errors(statement)
            if errors:
                raise SourceError(
                    f"{statement['recordType']} {statement['recordId']!r} would not be valid BODS 0.4: {errors[0]}"
                )
        self.count += 1
        return statement


def _id_on_import(record_id: str, details: dict) -> str:
    """The registry id the bods collector would give this statement."""
    for identifier in details.get("identifiers") or []:
        if identifier.get("scheme") == "GB-COH" and identifier.get("id"):
            return company_entity_id(identifier["id"])
    return ID_PREFIX + record_id


def _group_key(row: dict):
    if row["bods_record_type"] == "relationship" and row["bods_record_id"]:
        return ("bods", row["bods_record_id"])
    return ("row", row["subject_id"], row["interested_party_id"], row["unspecified_reason"], row["source"])


def _unspecified(reason: str | None, description: str | None) -> dict:
    code = bods_reason(reason)
    result = {"reason": code}
    if reason and reason not in UNSPECIFIED_REASONS:
        # The register's own statement, verbatim, so that nothing it said is lost.
        description = f"{reason}: {description}" if description else reason
    if description:
        result["description"] = description
    return result


def _interest(row: dict) -> dict:
    extras = row["extras"]
    interest: dict[str, Any] = {}
    kind = row["interest_type"]
    detail = row["interest_detail"]
    if kind in INTEREST_TYPES:
        interest["type"] = kind
    elif kind:
        interest["type"] = "otherInfluenceOrControl"
        detail = f"{kind}: {detail}" if detail else kind
    if row["bods_direct_or_indirect"] in ("direct", "indirect", "unknown"):
        interest["directOrIndirect"] = row["bods_direct_or_indirect"]
    if row["bods_beneficial_ownership_or_control"] is not None:
        interest["beneficialOwnershipOrControl"] = bool(row["bods_beneficial_ownership_or_control"])
    if detail:
        interest["details"] = detail
    share = extras.get("share") or _share(row["share_min"], row["share_max"])
    if share:
        interest["share"] = share
    if row["start_date"]:
        interest["startDate"] = row["start_date"]
    if row["end_date"] and not extras.get("endDateFromClosedRecord"):
        interest["endDate"] = row["end_date"]
    return interest


def _share(low, high) -> dict | None:
    if low is None and high is None:
        return None
    if low is not None and low == high:
        return {"exact": _number(low)}
    share = {}
    if low is not None:
        share["minimum"] = _number(low)
    if high is not None:
        share["maximum"] = _number(high)
    return share


def _number(value: float):
    return int(value) if float(value).is_integer() else value


def _jurisdiction(code: str | None) -> dict | None:
    if not code or not 2 <= len(code) <= 6:
        return None
    return {"code": code, "name": _country_name(code)}


def _nationalities(nationality: str | None) -> list | None:
    if not nationality:
        return None
    if len(nationality) == 2 and nationality.isalpha():
        return [{"code": nationality.upper(), "name": _country_name(nationality.upper())}]
    return [{"name": nationality}]


def _identifiers(row: dict) -> list | None:
    number = row["company_number"]
    if row["id"].startswith("GB-COH-") and "/" not in row["id"]:
        return [{"scheme": "GB-COH", "schemeName": "Companies House", "id": number or row["id"][len("GB-COH-"):]}]
    if number:
        where = row["jurisdiction"] or "unknown jurisdiction"
        scheme = {"scheme": "GB-COH", "schemeName": "Companies House"} if where == "GB" else {
            "schemeName": f"Company register ({where})"
        }
        return [{**scheme, "id": number}]
    return None


class StatementWriter:
    """Write statements as one JSON array, or as JSON lines, without holding them."""

    def __init__(self, out, *, lines: bool = False):
        self.out = out
        self.lines = lines
        self.count = 0

    def write(self, statement: dict) -> None:
        text = json.dumps(statement, ensure_ascii=False)
        if self.lines:
            self.out.write((text + "\n").encode("utf-8"))
        else:
            self.out.write((("[\n" if self.count == 0 else ",\n") + text).encode("utf-8"))
        self.count += 1

    def close(self) -> None:
        if not self.lines:
            self.out.write(b"[]\n" if self.count == 0 else b"\n]\n")
