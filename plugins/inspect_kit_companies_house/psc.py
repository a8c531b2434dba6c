"""Persons with significant control -> ``Entity`` and ``Relationship`` records.

One mapping for the two places PSC items come from: lines of the bulk snapshot
(``psc-snapshot``) and pages of the REST API (``companies-house-api``). They are
the same objects, so they must land in the registry the same way.

What is kept and what is not: a person's name, birth month (``YYYY-MM``: the
register publishes no day), nationality and country of residence, as the public
register shows them; never a person's address. A corporate owner keeps its
registration number as the filer gave it (unpadded) and the country of its
register, so the ownership resolver can find it.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from typing import Any

from inspect_kit import Entity, Relationship
from inspect_kit.jurisdictions import country_code
from inspect_kit.matching import company_entity_id, normalise_company_number

PERSON_KINDS = {
    "individual-person-with-significant-control": "person",
    "individual-beneficial-owner": "person",
    "corporate-entity-person-with-significant-control": "company",
    "corporate-entity-beneficial-owner": "company",
    "legal-person-person-with-significant-control": "legal_person",
    "legal-person-beneficial-owner": "legal_person",
    "super-secure-person-with-significant-control": "super_secure",
    "super-secure-beneficial-owner": "super_secure",
}
STATEMENT_SUFFIX = "-statement"
EXEMPTIONS_KIND = "exemptions"
TOTALS_KIND = "totals#persons-of-significant-control-snapshot"
# Exemptions that mean the company's shares trade on a regulated market, so its
# ownership is published elsewhere: a traceable end of an ownership chain.
MARKET_EXEMPTIONS = {
    "psc_exempt_as_shares_admitted_on_market",
    "psc_exempt_as_trading_on_regulated_market",
    "psc_exempt_as_trading_on_uk_regulated_market",
    "psc_exempt_as_trading_on_eu_regulated_market",
    "disclosure_transparency_rules_chapter_five_applies",
}

_BAND = re.compile(r"(\d+)-to-(\d+)-percent")
_MORE_THAN = re.compile(r"more-than-(\d+)-percent")
# Nature-of-control prefixes -> BODS 0.4 interest types, first match wins.
_INTERESTS = (
    ("ownership-of-shares", "shareholding"),
    ("voting-rights", "votingRights"),
    ("right-to-appoint-and-remove", "appointmentOfBoard"),
    ("part-right-to-share-surplus-assets", "rightsToSurplusAssetsOnDissolution"),
    ("right-to-share-surplus-assets", "rightsToSurplusAssetsOnDissolution"),
    ("registered-owner-as-nominee", "nominee"),
    ("significant-influence-or-control", "otherInfluenceOrControl"),
)


class PscError(ValueError):
    """An item that cannot be mapped; the caller turns it into a ``Rejected``."""


@functools.lru_cache(maxsize=1024)  # a vocabulary of a few hundred codes
def nature_of_control(nature: str) -> tuple[str, float | None, float | None]:
    """``"ownership-of-shares-25-to-50-percent"`` -> ``("shareholding", 25, 50)``.

    ROE wording ``"...-more-than-25-percent-..."`` is 25 to 100. Unknown natures
    are ``unknownInterest``; the wording is kept as ``interest_detail`` anyway.
    """
    interest = "unknownInterest"
    for prefix, code in _INTERESTS:
        if nature.startswith(prefix):
            interest = code
            break
    band = _BAND.search(nature)
    if band:
        return interest, float(band.group(1)), float(band.group(2))
    more = _MORE_THAN.search(nature)
    if more:
        return interest, float(more.group(1)), 100.0
    return interest, None, None


@functools.lru_cache(maxsize=65536)
def _valid_date(value: str) -> str:
    return datetime.date.fromisoformat(value).isoformat()


def _company_id(company_number) -> str | None:
    if isinstance(company_number, str):
        return _cached_company_id(company_number)
    return company_entity_id(company_number)  # whatever else a line holds, unhashable included


@functools.lru_cache(maxsize=4096)  # a company's PSC lines come together in the snapshot
def _cached_company_id(company_number: str) -> str | None:
    return company_entity_id(company_number)


def iso_date(value: Any, field: str) -> str | None:
    if value is None or value == "":
        return None
    try:
        return _valid_date(str(value))
    except ValueError:
        raise PscError(f"{field}: {value!r} is not a YYYY-MM-DD date") from None


def birth_month(date_of_birth: Any) -> str | None:
    """``{"month": 2, "year": 1977}`` -> ``"1977-02"``; a ``day``, if ever present, is dropped."""
    if not isinstance(date_of_birth, dict):
        return None
    year, month = date_of_birth.get("year"), date_of_birth.get("month")
    if year is None or month is None:
        return None
    try:
        year, month = int(year), int(month)
    except (TypeError, ValueError):
        raise PscError(f"date_of_birth: {date_of_birth!r} is not a month and year") from None
    if not 1 <= month <= 12:
        raise PscError(f"date_of_birth: month {month} is out of range")
    return f"{year:04d}-{month:02d}"


def link_id(data: dict, what: str) -> str:
    """The last segment of ``links.self``: the register's own id for the item."""
    self_link = (data.get("links") or {}).get("self")
    if not self_link or not isinstance(self_link, str):
        raise PscError(f"{what} has no links.self, so it cannot be identified")
    return self_link.rstrip("/").rsplit("/", 1)[-1]


def address_text(address: Any) -> str | None:
    if not isinstance(address, dict):
        return None
    parts = [
        address.get(k) for k in (
            "care_of", "po_box", "premises", "address_line_1", "address_line_2",
            "locality", "region", "postal_code", "country",
        )
    ]
    text = ", ".join(" ".join(str(p).split()) for p in parts if p and str(p).strip())
    return text or None


def kind_of(data: dict) -> str:
    kind = data.get("kind")
    if not isinstance(kind, str) or not kind:
        raise PscError("the item has no kind")
    return kind


def is_statement(kind: str) -> bool:
    return kind.endswith(STATEMENT_SUFFIX)


def psc_records(company_number: str, data: dict, *, line: int | None = None) -> list:
    """The records for one PSC item, statement or exemption of one company.

    Raises ``PscError`` for an item that cannot be mapped (unknown kind, bad date,
    no id); nothing is yielded for it, so the caller can reject it whole.
    """
    company_id = _company_id(company_number)
    if not company_id:
        raise PscError("no company_number")
    if not isinstance(data, dict):
        raise PscError("data is not an object")
    kind = kind_of(data)
    if kind in PERSON_KINDS:
        return _person(company_id, kind, data, line)
    if is_statement(kind):
        return [_statement(company_id, data, line)]
    if kind == EXEMPTIONS_KIND:
        return _exemptions(company_id, company_number, data, line)
    raise PscError(f"unknown kind {kind!r}")


def _person(company_id: str, kind: str, data: dict, line) -> list:
    entity_type = PERSON_KINDS[kind]
    entity_id = f"{company_id}/psc/{link_id(data, kind)}"
    start = iso_date(data.get("notified_on"), "notified_on")
    end = iso_date(data.get("ceased_on"), "ceased_on")
    identification = data.get("identification") or {}
    entity = Entity(id=entity_id, entity_type=entity_type, register="GB-COH", line=line)
    if entity_type == "person":
        entity.name = data.get("name")
        entity.birth_month = birth_month(data.get("date_of_birth"))
        entity.nationality = data.get("nationality")
        entity.country_of_residence = data.get("country_of_residence")
        # data["address"] is a person's service address: deliberately not stored.
    elif entity_type == "super_secure":
        entity.name = "Super-secure person with significant control"
    else:
        entity.name = data.get("name")
        number = identification.get("registration_number")
        entity.company_number = (str(number).strip() or None) if number is not None else None
        entity.jurisdiction = country_code(identification.get("country_registered")) or country_code(
            identification.get("place_registered")
        )
        entity.company_type = identification.get("legal_form")
        # An organisation's own address is public and useful for matching.
        entity.address = address_text(data.get("principal_office_address") or data.get("address"))
    natures = data.get("natures_of_control") or []
    if not isinstance(natures, list):
        raise PscError("natures_of_control is not a list")
    relationships = []
    for nature in natures or [None]:
        interest, share_min, share_max = nature_of_control(nature) if nature else ("unknownInterest", None, None)
        relationships.append(
            Relationship(
                id=f"{entity_id}#{nature or 'unknown'}",
                subject_id=company_id,
                interested_party_id=entity_id,
                interest_type=interest,
                interest_detail=nature or data.get("description"),
                share_min=share_min,
                share_max=share_max,
                start_date=start,
                end_date=end,
                line=line,
            )
        )
    return [entity, *relationships]


def _statement(company_id: str, data: dict, line) -> Relationship:
    code = data.get("statement")
    if not code:
        raise PscError("the statement has no statement code")
    linked = data.get("linked_psc_name")
    return Relationship(
        id=f"{company_id}/psc-statement/{link_id(data, 'the statement')}",
        subject_id=company_id,
        interested_party_id=None,
        unspecified_reason=code,  # as given, CH's "signficant" included
        unspecified_description=f"Linked PSC: {linked}" if linked else None,
        interest_detail=code,
        start_date=iso_date(data.get("notified_on"), "notified_on"),
        end_date=iso_date(data.get("ceased_on"), "ceased_on"),
        line=line,
    )


def _exemptions(company_id: str, company_number: str, data: dict, line) -> list:
    exemptions = data.get("exemptions")
    if not isinstance(exemptions, dict) or not exemptions:
        raise PscError("the exemptions item lists no exemptions")
    records: list = []
    listed = False
    for key, exemption in exemptions.items():
        if not isinstance(exemption, dict):
            raise PscError(f"exemption {key!r} is not an object")
        reason = exemption.get("exemption_type") or key
        for number, item in enumerate(exemption.get("items") or [{}], 1):
            start = iso_date(item.get("exempt_from"), "exempt_from")
            end = iso_date(item.get("exempt_to"), "exempt_to")
            if key in MARKET_EXEMPTIONS and end is None:
                listed = True
            records.append(
                Relationship(
                    id=f"{company_id}/psc-exemption/{key}/{number}",
                    subject_id=company_id,
                    interested_party_id=None,
                    unspecified_reason=reason,
                    unspecified_description="Exempt from keeping a PSC register",
                    interest_detail=key,
                    start_date=start,
                    end_date=end,
                    line=line,
                )
            )
    # Only the fields this item speaks for: the rest of the company comes from elsewhere.
    number = normalise_company_number(company_number)
    company = Entity(
        id=company_id, company_number=number, listed=listed, register="GB-COH",
        entity_type="overseas_entity" if number.startswith("OE") else "company", line=line,
    )
    return [company, *records]


def dumps(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"))
