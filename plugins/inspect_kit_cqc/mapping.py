"""CQC API location and provider JSON -> ``CareHome`` and ``Provider`` records.

The API omits keys rather than sending nulls, sends booleans as strings
(``"primary": "true"``) and pretty-prints empty arrays with a whitespace-only
line, so every lookup here tolerates a missing key, a wrong type and a blank.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

from inspect_kit import CareHome, Provider
from inspect_kit.matching import normalise_company_number

from .records import CqcRating

# Service types, specialisms and activities are stored as JSON arrays of the
# names CQC uses for them; "Service types" use the registration wording of the
# API's gacServiceTypes[].description and of the HSCA file ("Care home service
# with nursing"), so every source fills the column with one vocabulary.
CARE_HOME_SERVICE_TYPES = ("Care home service with nursing", "Care home service without nursing")

# The directory CSV uses short names; the API gives both, so these pairs are known.
SHORT_SERVICE_TYPES = {
    "Nursing homes": "Care home service with nursing",
    "Residential homes": "Care home service without nursing",
    "Homecare agencies": "Domiciliary care service",
    "Supported living": "Supported living service",
    "Extra Care housing services": "Extra Care housing services",
    "Shared Lives": "Shared Lives",
}

SUCCESSION_TYPES = {"HSCA Predecessor"}
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_LONG_DATE = re.compile(r"(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})")
MONTHS = {name.lower(): number for number, name in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"], start=1)}


def text(value: Any) -> str | None:
    """A stripped string, or None for a missing, blank or non-text value."""
    if type(value) is str:  # the common case, first: this runs for every cell
        return value.strip() or None
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    value = str(value).strip()
    return value or None


def as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    value = text(value)
    try:
        return float(value) if value else None
    except ValueError:
        return None


def as_int(value: Any) -> int | None:
    number = as_float(value)
    return int(number) if number is not None and number.is_integer() else None


def as_date(value: Any) -> str | None:
    """ISO date from ``2024-03-01``, ``2024-03-01T10:00:00``, ``01/03/2024 - 10:00`` or ``1 March 2024``."""
    value = text(value)
    if not value:
        return None
    try:
        match = _DATE.match(value)
        if match:
            return datetime.date(*map(int, match.groups())).isoformat()
        match = _UK_DATE.match(value)
        if match:
            day, month, year = map(int, match.groups())
            return datetime.date(year, month, day).isoformat()
        match = _LONG_DATE.search(value)
        if match and match.group(2).lower() in MONTHS:
            day, month, year = match.groups()
            return datetime.date(int(year), MONTHS[month.lower()], int(day)).isoformat()
    except ValueError:
        pass
    raise ValueError(f"{value!r} is not a date")


def as_list(value: Any) -> list:
    """A JSON array as a list; anything else (absent, null, ``{}``) as empty."""
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def json_array(names) -> str | None:
    """Distinct non-blank names as a JSON array, in source order; None when there are none."""
    seen = []
    for name in names:
        name = text(name)
        if name and name not in seen:
            seen.append(name)
    return json.dumps(seen) if seen else None


def join_address(*parts: Any) -> str | None:
    return ", ".join(p for p in (text(part) for part in parts) if p) or None


def yes(value: Any) -> bool | None:
    """``Y``/``N``, ``true``/``false`` (strings or booleans) -> bool; anything else -> None."""
    if isinstance(value, bool):
        return value
    value = (text(value) or "").lower()
    if not value:
        return None
    if value in ("y", "yes", "true", "1"):
        return True
    if value in ("n", "no", "false", "0"):
        return False
    return None


def predecessor_of(relationships) -> str | None:
    """The location this one succeeded: a relationship of type "HSCA Predecessor"."""
    for relationship in as_list(relationships):
        relationship = as_dict(relationship)
        if text(relationship.get("type")) in SUCCESSION_TYPES:
            return text(relationship.get("relatedLocationId") or relationship.get("relatedProviderId"))
    return None


def is_social_care(location: dict) -> bool:
    return (text(location.get("inspectionDirectorate")) or "").lower() == "adult social care" or (
        text(location.get("type")) == "Social Care Org"
    )


def location_record(location: dict, *, line=None) -> CareHome:
    """One ``GET /locations/{id}`` response as a ``CareHome``.

    Raises ``ValueError`` for a date that is not a date, so the caller can reject it.
    """
    ratings = as_dict(location.get("currentRatings"))
    overall = as_dict(ratings.get("overall"))
    service_types = [
        as_dict(t).get("description") or as_dict(t).get("name") for t in as_list(location.get("gacServiceTypes"))
    ]
    return CareHome(
        location_id=text(location.get("locationId")),
        name=text(location.get("name")),
        provider_id=text(location.get("providerId")),
        address=join_address(
            location.get("postalAddressLine1"),
            location.get("postalAddressLine2"),
            location.get("postalAddressTownCity"),
            location.get("postalAddressCounty"),
        ),
        postcode=text(location.get("postalCode")),
        local_authority=text(location.get("localAuthority")),
        region=text(location.get("region")),
        latitude=as_float(location.get("onspdLatitude")),
        longitude=as_float(location.get("onspdLongitude")),
        beds=as_int(location.get("numberOfBeds")),
        rating=text(overall.get("rating")),
        rating_date=as_date(ratings.get("reportDate") or overall.get("reportDate")),
        last_inspection_date=as_date(as_dict(location.get("lastInspection")).get("date")),
        registration_date=as_date(location.get("registrationDate")),
        status=text(location.get("registrationStatus")),
        deregistration_date=as_date(location.get("deregistrationDate")),
        care_home=yes(location.get("careHome")),
        service_types=json_array(service_types),
        specialisms=json_array(as_dict(s).get("name") for s in as_list(location.get("specialisms"))),
        regulated_activities=json_array(
            as_dict(a).get("name") for a in as_list(location.get("regulatedActivities"))
        ),
        uprn=text(location.get("uprn")),
        predecessor_id=predecessor_of(location.get("relationships")),
        line=line,
    )


def provider_record(provider: dict, *, line=None) -> Provider:
    """One ``GET /providers/{id}`` response as a ``Provider``."""
    return Provider(
        provider_id=text(provider.get("providerId")),
        name=text(provider.get("name")),
        company_number=normalise_company_number(text(provider.get("companiesHouseNumber"))),
        charity_number=text(provider.get("charityNumber")),
        ownership_type=text(provider.get("ownershipType")),
        address=join_address(
            provider.get("postalAddressLine1"),
            provider.get("postalAddressLine2"),
            provider.get("postalAddressTownCity"),
            provider.get("postalAddressCounty"),
        ),
        postcode=text(provider.get("postalCode")),
        status=text(provider.get("registrationStatus")),
        line=line,
    )


def rating_records(organisation: dict, organisation_type: str) -> list[CqcRating]:
    """The current overall and key-question ratings of a location or provider.

    An ``organisationId`` inside a rating means it was inherited from the
    location before a change of provider.
    """
    ratings = as_dict(organisation.get("currentRatings"))
    overall = as_dict(ratings.get("overall"))
    organisation_id = text(organisation.get(f"{organisation_type}Id"))
    if not overall or not organisation_id:
        return []
    default_date = as_date(ratings.get("reportDate") or overall.get("reportDate"))
    records = []
    for domain, rating in [("Overall", overall)] + [
        (text(as_dict(k).get("name")), as_dict(k)) for k in as_list(overall.get("keyQuestionRatings"))
    ]:
        if not domain or not text(rating.get("rating")):
            continue
        records.append(CqcRating(
            organisation_type=organisation_type,
            organisation_id=organisation_id,
            service_group="Overall",
            domain=domain,
            rating=text(rating.get("rating")),
            publication_date=as_date(rating.get("reportDate")) or default_date,
            report_type=organisation_type.title(),
            inherited=bool(text(rating.get("organisationId"))
                           and text(rating.get("organisationId")) != organisation_id),
        ))
    return records
