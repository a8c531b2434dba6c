"""Charges (mortgages) registered against companies, and the land titles they name.

A charge over a care home's freehold often quotes the HM Land Registry title
number in its free-text particulars ("F/Hold - 6 fearon green, ...; SF263128"),
which links a lender to a home's land without any shared key.
"""

from __future__ import annotations

import datetime
import json
import re

from inspect_kit import Record, col
from inspect_kit.records import COMPANIES_HOUSE
from inspect_kit.matching import company_entity_id, normalise_company_number
from dataclasses import dataclass

# HM Land Registry title numbers: a county prefix of one to three letters and
# digits (SF263128, NGL123456, K12345), or digits alone after the words "title
# number". Three digits at least, so flat numbers and postcode districts (B12, TS1)
# are not taken for titles.
_PREFIXED_TITLE = re.compile(r"\b([A-Z]{1,3}\d{3,7})\b")
_NUMBERED_TITLE = re.compile(r"title\s+(?:no\.?|numbers?|nos?\.?)\s*:?\s*(\d{3,7})\b", re.IGNORECASE)


def title_numbers(text: str | None) -> list[str]:
    """Title numbers quoted in charge particulars, in order, without repeats."""
    if not text:
        return []
    found = _PREFIXED_TITLE.findall(text) + _NUMBERED_TITLE.findall(text)
    return list(dict.fromkeys(found))


@dataclass(kw_only=True)
class Charge(Record):
    __table__ = "charges"
    __source__ = COMPANIES_HOUSE
    __key__ = ("company_number", "charge_id")
    __description__ = "Charges (mortgages) registered at Companies House, with the land titles they name."

    company_number: str = col("Companies House number of the company that gave the charge")
    charge_id: str = col("Companies House charge id (last part of its link)")
    company_id: str | None = col("The company's entity id, GB-COH-...")
    charge_code: str | None = col("12-digit charge code (charges since April 2013)")
    charge_number: int | None = None
    status: str | None = col("outstanding, fully-satisfied, part-satisfied or satisfied")
    classification: str | None = col("Type of charge, e.g. Mortgage deed")
    created_on: datetime.date | None = None
    delivered_on: datetime.date | None = None
    satisfied_on: datetime.date | None = None
    persons_entitled: str | None = col("JSON array of the lenders' names")
    particulars: str | None = col("The charged property, as filed")
    secured: str | None = col("What the charge secures, as filed")
    contains_fixed_charge: bool | None = None
    contains_floating_charge: bool | None = None
    title_numbers: str | None = col("JSON array of land title numbers found in the particulars")


def charge_record(company_number: str, data: dict, *, charge_id: str | None = None, line=None) -> Charge:
    """Map one charge object (REST item or stream event ``data``) to a ``Charge``.

    Pre-2006 charges carry no ``id``; their id is the last part of ``links.self``.
    ``classification``, ``particulars`` and ``secured_details`` are objects, though
    the public swagger shows arrays; a list is tolerated.
    """
    number = normalise_company_number(company_number)
    charge_id = charge_id or data.get("id") or (data.get("links") or {}).get("self", "").rstrip("/").rsplit("/", 1)[-1]
    if not charge_id:
        raise ValueError("the charge has no id and no links.self")
    particulars = _object(data.get("particulars"))
    description = particulars.get("description")
    return Charge(
        company_number=number,
        charge_id=charge_id,
        company_id=company_entity_id(number),
        charge_code=data.get("charge_code"),
        charge_number=data.get("charge_number"),
        status=data.get("status"),
        classification=_object(data.get("classification")).get("description"),
        created_on=data.get("created_on"),
        delivered_on=data.get("delivered_on"),
        satisfied_on=data.get("satisfied_on"),
        persons_entitled=json.dumps([p.get("name") for p in data.get("persons_entitled") or [] if p.get("name")]),
        particulars=description,
        secured=_object(data.get("secured_details")).get("description"),
        contains_fixed_charge=particulars.get("contains_fixed_charge"),
        contains_floating_charge=particulars.get("contains_floating_charge"),
        title_numbers=json.dumps(title_numbers(description)),
        line=line,
    )


def _object(value) -> dict:
    if isinstance(value, list):
        value = value[0] if value else {}
    return value if isinstance(value, dict) else {}
