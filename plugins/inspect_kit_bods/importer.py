"""BODS 0.4 statements -> ``Entity`` and ``Relationship`` records.

Two passes over the file, so that memory holds only a map of record ids, not
the statements:

1. entity and person statements become ``Entity`` rows, and every recordId
   gets its registry id (``GB-COH-…`` when the statement has a ``GB-COH``
   identifier, else ``bods/{recordId}``);
2. relationship statements become one ``Relationship`` row per interest,
   with both ends translated to registry ids. Only the last statement of each
   relationship record is read: in BODS a later statement replaces an earlier
   one for the same recordId.

Every statement is first checked against the BODS 0.4 schema shipped in
``schema/``, after the few habits of real publishers listed in ``tolerance``
are read as what they mean; a statement that breaks a rule is refused, with
the JSON path and the rule, and the file's other statements are read. What is
tolerated, and how, is in docs/bods.md.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from inspect_kit import Entity, Relationship
from inspect_kit.jurisdictions import country_code
from inspect_kit.matching import company_entity_id, normalise_company_number

from .codes import REGISTRY_ID_SCHEME, entity_type_from_bods
from .personal import public_addresses, rejected_statement
from .reader import read_items
from .records import BodsStatement
from .schema import statement_problems
from .tolerance import REFERENCE_KEYS, tolerate

ID_PREFIX = "bods/"
PROBLEMS_SHOWN = 5  # broken rules named in one rejection
_BIRTH = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2]))?")


class StatementError(ValueError):
    """A statement that cannot become a record; its message is the rejection reason."""


def _dumps(value) -> str | None:
    if value in (None, [], {}):
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _date(value, where: str) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise StatementError(f"{where} is not a date: {value!r}")
    try:
        return datetime.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        raise StatementError(f"{where} is not a date: {value!r}") from None


@dataclass
class Known:
    """What pass 1 learnt about one recordId."""

    # (kind, registry id) for each distinct thing published under this recordId;
    # kind is "person" or the entityType, so that a reused recordId is told apart.
    things: list[tuple[str, str]] = field(default_factory=list)
    last_relationship_line: int | None = None


class BodsImport:
    """Read one BODS file into records."""

    def __init__(self, path: str | Path, progress=lambda it, **kw: it):
        self.path = Path(path)
        self.progress = progress
        self.known: dict[str, Known] = {}
        self.used_ids: set[str] = set()
        # describedBy…Statement references that name no recordId: statementIds,
        # mapped to their recordIds by one more pass only when there are any.
        self.statement_records: dict[str, str | None] = {}

    def records(self) -> Iterator[Any]:
        yield from self._people_and_entities()
        if any(i not in self.known for i in self.statement_records):
            self._map_statement_ids()
        yield from self._relationships()

    # -- pass 1 ------------------------------------------------------------

    def _people_and_entities(self) -> Iterator[Any]:
        items = self.progress(read_items(self.path), desc=f"{self.path.name}: entities", unit=" statements")
        for item in items:
            if item.error:
                yield rejected_statement(item.error, item.raw, item.statement, item.line)
                continue
            try:
                statement = self._checked(item)
                if statement["recordType"] == "relationship":
                    self._relationship_details(statement)  # reject now, not in pass 2
                    self.known.setdefault(statement["recordId"], Known()).last_relationship_line = item.line
                    continue
                yield from self._entity(statement, item.line)
            except StatementError as error:
                yield rejected_statement(f"statement {_describe(item.statement)}: {error}", item.raw,
                                         item.statement, item.line)

    def _checked(self, item) -> dict:
        """The item's statement, tolerated and schema-valid, or ``StatementError`` naming each broken rule."""
        statement = item.statement
        if isinstance(statement, dict) and "statementType" in statement and "recordType" not in statement:
            raise StatementError("BODS 0.3 or earlier (statementType): only BODS 0.4 records are read")
        self._note_references(statement)
        statement = tolerate(statement)
        problems = statement_problems(statement, item.index)
        if problems:
            more = len(problems) - PROBLEMS_SHOWN
            raise StatementError("; ".join(problems[:PROBLEMS_SHOWN]) + (f"; and {more} more" if more > 0 else ""))
        try:
            _check_text(statement, f"$[{item.index}]")
        except RecursionError:
            raise StatementError(f"$[{item.index}]: nested too deeply") from None
        return statement

    def _note_references(self, statement) -> None:
        details = statement.get("recordDetails") if isinstance(statement, dict) else None
        if not isinstance(details, dict):
            return
        for role in ("subject", "interestedParty"):
            party = details.get(role)
            for key in REFERENCE_KEYS:
                if isinstance(party, dict) and isinstance(party.get(key), str):
                    self.statement_records.setdefault(party[key], None)

    def _map_statement_ids(self) -> None:
        """Which recordId each statementId named by a describedBy…Statement reference belongs to."""
        for item in read_items(self.path):
            statement = item.statement
            if not isinstance(statement, dict) or statement.get("recordType") not in ("entity", "person"):
                continue
            statement_id, record_id = statement.get("statementId"), statement.get("recordId")
            if isinstance(statement_id, str) and statement_id in self.statement_records and record_id in self.known:
                self.statement_records[statement_id] = record_id

    def _entity(self, statement: dict, line: int) -> Iterator[Any]:
        details = statement["recordDetails"]
        record_id = statement["recordId"]
        is_person = statement["recordType"] == "person"
        if is_person:
            kind = "person"
        else:
            entity_type = details.get("entityType")
            if not isinstance(entity_type, dict) or not entity_type.get("type"):
                raise StatementError("entityType.type is missing")
            kind = entity_type["type"]
        entity = self._person(details) if is_person else self._organisation(details)
        gb_number = entity.company_number if entity.register == "GB-COH" else None
        entity.id = self._registry_id(record_id, kind, gb_number, _registry_id_given(details))
        entity.line = line
        yield entity
        yield self._provenance(statement, entity.id, "entities", line, self._entity_extras(details, is_person))

    def _registry_id(self, record_id: str, kind: str, company_number: str | None, given: str | None = None) -> str:
        known = self.known.setdefault(record_id, Known())
        for seen_kind, registry_id in known.things:
            if seen_kind == kind:  # a later statement about the same record
                return registry_id
        # A new record, or a recordId reused for something else (an official
        # example does this): both are kept, each with its own id.
        registry_id = given or (company_entity_id(company_number) if company_number else ID_PREFIX + record_id)
        if registry_id in self.used_ids:
            registry_id = f"{ID_PREFIX}{record_id}/{len(known.things) + 1}"
        known.things.append((kind, registry_id))
        self.used_ids.add(registry_id)
        return registry_id

    def _organisation(self, details: dict) -> Entity:
        identifiers = [
            i for i in details.get("identifiers") or []
            if isinstance(i, dict) and i.get("schemeName") != REGISTRY_ID_SCHEME
        ]
        gb_coh = next((i.get("id") for i in identifiers if i.get("scheme") == "GB-COH" and i.get("id")), None)
        company_number = normalise_company_number(gb_coh) if gb_coh else None
        entity_type = entity_type_from_bods(details["entityType"])
        if entity_type == "company" and company_number and company_number.startswith("OE"):
            entity_type = "overseas_entity"
        jurisdiction = _jurisdiction(details.get("jurisdiction")) or ("GB" if company_number else None)
        listing = details.get("publicListing")
        register = "GB-COH" if gb_coh else next((i.get("scheme") for i in identifiers if i.get("scheme")), None)
        if not company_number and identifiers:
            company_number = next((str(i["id"]) for i in identifiers if i.get("id")), None)
        return Entity(
            id="",
            name=_text(details.get("name")),
            entity_type=entity_type,
            jurisdiction=jurisdiction,
            company_number=company_number,
            incorporation_date=_date(details.get("foundingDate"), "foundingDate"),
            dissolution_date=_date(details.get("dissolutionDate"), "dissolutionDate"),
            address=_organisation_address(details.get("addresses")),
            listed=listing.get("hasPublicListing") if isinstance(listing, dict) else None,
            register=register,
        )

    def _person(self, details: dict) -> Entity:
        nationalities = [n for n in details.get("nationalities") or [] if isinstance(n, dict)]
        nationality = next((n.get("code") or n.get("name") for n in nationalities if n.get("code") or n.get("name")), None)
        return Entity(
            id="",
            name=_person_name(details.get("names")),
            entity_type="person",
            nationality=nationality,
            birth_month=_birth_month(details.get("birthDate")),
        )

    def _entity_extras(self, details: dict, is_person: bool) -> dict:
        """What BODS says that the entities table has no column for.

        A person's addresses, identifiers (passport or tax numbers), place of
        birth, tax residencies and political exposure are never kept: the
        registry publishes only what public registers publish.
        """
        if is_person:
            keep = ("personType", "names", "nationalities", "unspecifiedPersonDetails", "deathDate")
        else:
            keep = (
                "entityType", "alternateNames", "identifiers", "jurisdiction", "addresses",
                "uri", "publicListing", "formedByStatute", "unspecifiedEntityDetails",
            )
        extras = {k: details[k] for k in keep if details.get(k) not in (None, [], {})}
        if "identifiers" in extras:
            extras["identifiers"] = [
                i for i in extras["identifiers"] if not (isinstance(i, dict) and i.get("schemeName") == REGISTRY_ID_SCHEME)
            ] or None
            if extras["identifiers"] is None:
                del extras["identifiers"]
        if is_person and details.get("deathDate"):
            extras["deathDate"] = str(details["deathDate"])[:7]
        if "addresses" in extras:  # an entity's registered or business address, never a residence
            extras["addresses"] = public_addresses(extras["addresses"])
            if not extras["addresses"]:
                del extras["addresses"]
        return extras

    # -- pass 2 ------------------------------------------------------------

    def _relationships(self) -> Iterator[Any]:
        items = self.progress(read_items(self.path), desc=f"{self.path.name}: relationships", unit=" statements")
        for item in items:
            statement = item.statement
            if item.error or not isinstance(statement, dict) or statement.get("recordType") != "relationship":
                continue
            record_id = statement.get("recordId")
            known = self.known.get(record_id) if isinstance(record_id, str) else None
            if known is None or known.last_relationship_line != item.line:
                continue  # rejected in pass 1, or replaced by a later statement
            statement = tolerate(statement)  # checked in pass 1
            try:
                yield from self._relationship(statement, item.line)
            except StatementError as error:
                yield rejected_statement(f"statement {_describe(statement)}: {error}", item.raw, statement, item.line)

    def _relationship_details(self, statement: dict) -> tuple[Any, Any, list]:
        """Subject, interested party and interests of a schema-valid relationship; refuses contradictory shares."""
        details = statement["recordDetails"]
        interests = details.get("interests") or []
        for number, interest in enumerate(interests):
            _share(interest.get("share"), f"interests[{number}].share")
        return details["subject"], details["interestedParty"], interests

    def _relationship(self, statement: dict, line: int) -> Iterator[Any]:
        subject, party, interests = self._relationship_details(statement)
        details = statement["recordDetails"]
        record_id = statement["recordId"]
        if isinstance(subject, dict):
            # An unspecified subject: an entity of its own that says only that it is unknown.
            subject_id = f"{ID_PREFIX}{record_id}#subject"
            yield Entity(id=subject_id, entity_type="unknown", line=line)
        else:
            subject_id = self._reference(subject, "subject")
        party_id = reason = description = None
        if isinstance(party, dict):
            reason = str(party["reason"])
            description = _text(party.get("description"))
        else:
            party_id = self._reference(party, "interestedParty" if party != subject else "self")
        closed_on = _date(statement.get("statementDate"), "statementDate") if statement.get("recordStatus") == "closed" else None
        relationship_extras = {
            k: details[k] for k in ("componentRecords",) if details.get(k)
        }
        if isinstance(subject, dict):
            relationship_extras["subject"] = subject
        seen: dict[str, int] = {}
        for interest in interests or [{}]:
            kind = interest.get("type")
            label = kind if isinstance(kind, str) and kind else "interest"
            seen[label] = seen.get(label, 0) + 1
            row_id = f"{ID_PREFIX}{record_id}#{label}" + (f"-{seen[label]}" if seen[label] > 1 else "")
            share_min, share_max = _share(interest.get("share"), "share")
            yield Relationship(
                id=row_id,
                subject_id=subject_id,
                interested_party_id=party_id,
                unspecified_reason=reason,
                unspecified_description=description,
                interest_type=kind if isinstance(kind, str) and kind else None,
                interest_detail=_text(interest.get("details")),
                share_min=share_min,
                share_max=share_max,
                start_date=_date(interest.get("startDate"), "startDate"),
                end_date=_date(interest.get("endDate"), "endDate") or closed_on,
                direct={"direct": True, "indirect": False}.get(interest.get("directOrIndirect")),
                line=line,
            )
            extras = dict(relationship_extras)
            if isinstance(interest.get("share"), dict) and interest["share"]:
                extras["share"] = interest["share"]
            if interests and not interest.get("endDate") and closed_on:
                extras["endDateFromClosedRecord"] = True
            provenance = self._provenance(statement, row_id, "relationships", line, extras)
            direct = interest.get("directOrIndirect")
            provenance.direct_or_indirect = direct if isinstance(direct, str) else None
            beneficial = interest.get("beneficialOwnershipOrControl")
            provenance.beneficial_ownership_or_control = beneficial if isinstance(beneficial, bool) else None
            yield provenance

    def _reference(self, record_id: str, role: str) -> str:
        """The registry id of the record a relationship names.

        A recordId that names two things (an official example reuses its
        company's recordId for a joint-shareholding arrangement and then says
        the company is owned by "itself") is read as: the subject is the first
        thing published under it, the interested party the last one.
        """
        record_id = self.statement_records.get(record_id) or record_id
        known = self.known.get(record_id)
        if known is None or not known.things:
            return ID_PREFIX + record_id  # published elsewhere, or later
        if role == "self":
            return known.things[-1][1]
        return known.things[0][1]

    def _provenance(self, statement: dict, row_id: str, table: str, line: int, extras: dict) -> BodsStatement:
        details = statement["recordDetails"]
        is_component = details.get("isComponent")
        return BodsStatement(
            id=row_id,
            row_table=table,
            record_id=statement["recordId"],
            record_type=statement["recordType"],
            record_status=_text(statement.get("recordStatus")),
            statement_id=_text(statement.get("statementId")),
            statement_date=_text(statement.get("statementDate")),
            declaration_subject=_text(statement.get("declarationSubject")),
            publication_details=_dumps(statement.get("publicationDetails")),
            statement_source=_dumps(statement.get("source")),
            annotations=_dumps(statement.get("annotations")),
            is_component=is_component if isinstance(is_component, bool) else None,
            details=_dumps(extras),
            line=line,
        )


# ---------------------------------------------------------------------------
# Field helpers
# ---------------------------------------------------------------------------


def _registry_id_given(details: dict) -> str | None:
    """The registry id an inspect-kit export recorded, when it could not be derived."""
    for identifier in details.get("identifiers") or []:
        if isinstance(identifier, dict) and identifier.get("schemeName") == REGISTRY_ID_SCHEME:
            return _text(identifier.get("id"))
    return None


def _describe(statement) -> str:
    if isinstance(statement, dict):
        return repr(statement.get("statementId") or statement.get("recordId") or "?")
    return "?"


def _check_text(value, path: str) -> None:
    """Refuse text that cannot be stored: a lone surrogate (``"\\ud800"``) is valid JSON but not UTF-8."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise StatementError(f"{path}: text that is not valid Unicode (a lone surrogate)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, path)
            _check_text(item, f"{path}.{key}")
    elif isinstance(value, list):
        for number, item in enumerate(value):
            _check_text(item, f"{path}[{number}]")


def _text(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _share(share, where: str) -> tuple[float | None, float | None]:
    """A BODS share -> (share_min, share_max) in percent.

    ``exact`` wins; otherwise the inclusive or exclusive bounds. A lower bound
    alone ("more than 25%") reaches up to 100, as PSC bands do.
    """
    if share in (None, {}):
        return None, None
    if not isinstance(share, dict):
        raise StatementError(f"{where} must be an object")
    values = {}
    for key in ("exact", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        value = share.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise StatementError(f"{where}.{key} is not a number: {value!r}")
        if not 0 <= value <= 100:
            raise StatementError(f"{where}.{key} is not a percentage between 0 and 100: {value!r}")
        values[key] = float(value)
    if "exact" in values:
        return values["exact"], values["exact"]
    low = values.get("minimum", values.get("exclusiveMinimum"))
    high = values.get("maximum", values.get("exclusiveMaximum"))
    if low is not None and high is None:
        high = 100.0
    if low is not None and high is not None and low > high:
        raise StatementError(f"{where}: the lower bound {low} is above the upper bound {high}")
    return low, high


def _jurisdiction(value) -> str | None:
    if isinstance(value, dict):
        code = _text(value.get("code"))
        return code.upper() if code else country_code(_text(value.get("name")))
    if isinstance(value, str):
        return value.upper() if len(value) == 2 else country_code(value)
    return None


def _country_name(value) -> str | None:
    if isinstance(value, dict):
        return _text(value.get("name")) or _text(value.get("code"))
    return _text(value)


def _organisation_address(addresses) -> str | None:
    """The registered (else business, else any) address of an organisation, as one line."""
    usable = [a for a in addresses or [] if isinstance(a, dict) and a.get("type") not in ("residence", "placeOfBirth")]
    if not usable:
        return None
    order = {"registered": 0, "business": 1}
    best = sorted(usable, key=lambda a: order.get(a.get("type"), 2))[0]
    parts = [_text(best.get("address"))]
    postcode = _text(best.get("postCode"))
    if postcode and postcode not in (parts[0] or ""):
        parts.append(postcode)
    country = _country_name(best.get("country"))
    if country and country not in (parts[0] or ""):
        parts.append(country)
    return ", ".join(p for p in parts if p) or None


def _person_name(names) -> str | None:
    usable = [n for n in names or [] if isinstance(n, dict)]
    usable.sort(key=lambda n: 0 if n.get("type") == "legal" else 1)
    for name in usable:
        full = _text(name.get("fullName"))
        if full:
            return full
        parts = [_text(name.get(k)) for k in ("givenName", "patronymicName", "familyName")]
        if any(parts):
            return " ".join(p for p in parts if p)
    return None


def _birth_month(value) -> str | None:
    """A birth date as the public registers show it: year and month, never the day."""
    match = _BIRTH.match(value) if isinstance(value, str) else None
    if not match:
        return None
    year, month = match.groups()
    return f"{year}-{month}" if month else year
