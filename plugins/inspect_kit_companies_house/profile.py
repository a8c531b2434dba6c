"""A Companies House company profile (``GET /company/{n}``) -> an ``Entity``."""

from __future__ import annotations

import json

from inspect_kit import Entity
from inspect_kit.jurisdictions import country_code
from inspect_kit.matching import company_entity_id, normalise_company_number

from .psc import address_text

OVERSEAS_TYPES = {"registered-overseas-entity", "oversea-company", "uk-establishment"}


def company_entity(profile: dict, *, line=None) -> Entity:
    """The company as the register describes it.

    UK companies are ``GB`` whatever their CH ``jurisdiction`` (england-wales,
    scotland...); an overseas entity or overseas company is placed in the
    country of the register it comes from, which is what secrecy rules look at.
    """
    number = normalise_company_number(profile.get("company_number"))
    if not number:
        raise ValueError("the profile has no company_number")
    company_type = profile.get("type")
    jurisdiction = "GB"
    if company_type in OVERSEAS_TYPES or number.startswith(("OE", "FC", "BR")):
        foreign = profile.get("foreign_company_details") or {}
        registry = foreign.get("originating_registry") or {}
        jurisdiction = country_code(registry.get("country")) or country_code(foreign.get("governed_by"))
    accounts = profile.get("accounts") or {}
    sic = profile.get("sic_codes")
    return Entity(
        id=company_entity_id(number),
        name=profile.get("company_name"),
        entity_type="overseas_entity" if company_type == "registered-overseas-entity" or number.startswith("OE") else "company",
        jurisdiction=jurisdiction,
        company_number=number,
        status=profile.get("company_status"),
        company_type=company_type,
        incorporation_date=profile.get("date_of_creation"),
        dissolution_date=profile.get("date_of_cessation"),
        sic_codes=json.dumps(sic) if sic else None,
        accounts_category=(accounts.get("last_accounts") or {}).get("type"),
        accounts_next_due=accounts.get("next_due"),
        address=address_text(profile.get("registered_office_address")),
        register="GB-COH",
        line=line,
    )
