"""Normalising identifiers and names so that records from different registers meet."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPACES = re.compile(r"\s+")


def normalise_company_number(number: str | int | None) -> str | None:
    """Companies House numbers as 8 characters: ``"5498655"`` -> ``"05498655"``.

    Registers drop leading zeros (CCOD, PSC identification) or add spaces;
    prefixed numbers (``SC``, ``OC``, ``NI``, ``OE``, ``FC``...) keep their prefix and
    have their digits padded. Returns None for an empty value.
    """
    if number is None:
        return None
    text = str(number)
    if len(text) == 8 and text.isdigit() and text.isascii():
        return text  # already as it should be: most numbers, on the hot path of entity linking
    text = _SPACES.sub("", text).upper()
    if not text:
        return None
    if text.isdigit():
        return text.zfill(8)
    match = re.fullmatch(r"([A-Z]{1,2})(\d+)", text)
    if match:
        prefix, digits = match.groups()
        return prefix + digits.zfill(8 - len(prefix))
    return text


def company_entity_id(number: str | int | None) -> str | None:
    """The entity id of a Companies House company: ``GB-COH-`` and its 8-character number."""
    normalised = normalise_company_number(number)
    return f"GB-COH-{normalised}" if normalised else None


# ---------------------------------------------------------------------------
# Company names
# ---------------------------------------------------------------------------

_BRACKETS = re.compile(r"\(([^()]*)\)")


def company_fingerprint(name: str | None) -> str | None:
    """A key under which spellings of one company name meet.

    ``"Foo Properties (Jersey) Ltd."`` and ``"FOO PROPERTIES (JERSEY) LIMITED"``
    give the same key: case, punctuation, word order and the legal form
    (LIMITED/LTD, PUBLIC LIMITED COMPANY/PLC, ...) do not count. Bracketed words
    do count: ``"FOO (UK) LIMITED"`` is not ``"FOO LIMITED"``.
    """
    import fingerprints

    if not name:
        return None
    return fingerprints.generate(name, keep_brackets=True) or None


def company_fingerprint_without_place(name: str | None) -> tuple[str | None, list[str]]:
    """The fingerprint with bracketed words dropped, and the ISO codes of those words.

    Offshore vehicles often carry their jurisdiction in brackets
    (``"FOO PROPERTIES (JERSEY) LIMITED"``) in one register and not in another.
    The codes let a matcher drop the brackets only when they name the place the
    company is incorporated in; other bracketed words (``"(UK)"``, ``"(NO. 2)"``)
    come back as ``None`` in the list, so the caller knows something else was dropped.
    """
    import fingerprints

    from .jurisdictions import country_code

    if not name:
        return None, []
    places = [country_code(inner) for inner in _BRACKETS.findall(name)]
    return fingerprints.generate(_BRACKETS.sub(" ", name)) or None, places


# ---------------------------------------------------------------------------
# Postcodes and addresses
# ---------------------------------------------------------------------------

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_POSTCODE_IN_TEXT = re.compile(r"\(?\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b\)?", re.I)


def normalise_postcode(postcode: str | None) -> str | None:
    """UK postcodes as ``"TS1 2AB"``: upper case, one space before the inward code.

    Returns None for anything that is not a postcode, so that a bad value never
    joins two unrelated properties.
    """
    if not postcode:
        return None
    text = re.sub(r"[^A-Z0-9]", "", postcode.upper())
    match = _POSTCODE.match(text)
    if not match:
        return None
    return f"{match.group(1)} {match.group(2)}"


# Words that describe what a building is used for, not which building it is.
_GENERIC_WORDS = {
    "the", "care", "home", "homes", "nursing", "residential", "residence", "centre", "center",
    "house", "court", "lodge", "hall", "manor", "ltd", "limited", "and", "with", "for", "of",
    "service", "services", "elderly", "dementia", "rest", "retirement", "village", "unit", "site",
}
# Street-type words, spelt out, so "RD" and "ROAD" compare equal.
_STREET_WORDS = {
    "rd": "road", "st": "street", "ave": "avenue", "av": "avenue", "ln": "lane", "dr": "drive",
    "cl": "close", "ct": "court", "cres": "crescent", "pl": "place", "sq": "square", "gdns": "gardens",
    "gr": "grove", "pk": "park", "ter": "terrace", "terr": "terrace", "hwy": "highway", "mt": "mount",
}
_STREET_NAMES = set(_STREET_WORDS.values()) | {
    "street", "road", "lane", "way", "walk", "hill", "green", "row", "rise", "view", "vale", "mews",
    "parade", "crescent", "gardens", "avenue", "drive", "close", "place", "square", "grove", "terrace",
}
# Street words that name only roads, never a building or a place.
_ROAD_WORDS = {"street", "road", "lane", "avenue", "drive", "way", "close", "crescent", "terrace", "place",
               "square", "parade", "row", "highway"}
_LAND_WORDS = re.compile(
    r"^\s*(land|part|parts|plot|plots|garage|garages|site|sites)\b|\b(adjoining|adjacent|lying to|on the \w+ side|at the rear|to the rear|being)\b",
    re.I,
)
_NUMBER = re.compile(r"^(\d+)([a-z]?)$")


@dataclass(frozen=True)
class Address:
    """An address split into what identifies a building."""

    numbers: frozenset[str]  # house numbers, e.g. {"12", "12a"}; ranges "1-3" give 1, 2, 3
    street: str  # street words, spelt out ("high road")
    building: frozenset[str]  # distinctive words of a building name before the street
    words: frozenset[str]  # every word
    land: bool  # "land adjoining ...", "part of ...": a parcel, not the building itself


def _words(text: str) -> list[str]:
    from normality import normalize

    return [_STREET_WORDS.get(t, t) for t in (normalize(text or "") or "").split()]


def _numbers(tokens: list[str]) -> set[str]:
    numbers: set[str] = set()
    for i, token in enumerate(tokens):
        match = _NUMBER.match(token)
        if not match:
            continue
        numbers.add(token)
        if i + 2 < len(tokens) and tokens[i + 1] == "to" and tokens[i + 2].isdigit():
            low, high = int(match.group(1)), int(tokens[i + 2])
            if 0 < high - low <= 50:
                numbers.update(str(n) for n in range(low, high + 1))
        if i + 2 < len(tokens) and tokens[i + 1] == "and" and _NUMBER.match(tokens[i + 2]):
            numbers.add(tokens[i + 2])  # "116 and 118 Cross Lane"
    return numbers


_NOT_STREET = {"to", "and", "land", "adjoining", "part", "of"}


def parse_address(text: str | None) -> Address:
    """Split a free-text address (CQC or Land Registry) into numbers, street and building name.

    The address is read part by part (comma-separated). The street is the first
    part with a house number (or the part after a bare number, "48, High Street").
    With no number, it is the first part ending in a road word ("High Street"),
    else the second of three or more parts (building, street, town). Parts
    before the street are the building name, even when they sound like a street
    ("Willowbrook Court", "Damson View" are homes, not roads). Later parts (town,
    county) count only as words. The postcode, in brackets at the end of Land
    Registry addresses, is dropped: postcodes are compared on their own.
    """
    raw = _POSTCODE_IN_TEXT.sub(" ", text or "")
    land = bool(_LAND_WORDS.search(raw))
    raw = re.sub(r"(\d+)\s*-\s*(\d+)", r"\1 to \2", raw)
    parts = [tokens for tokens in (_words(part) for part in raw.split(",")) if tokens]
    numbered = [i for i, tokens in enumerate(parts) if _numbers(tokens)]
    if numbered:
        first = numbered[0]
        numbers = _numbers(parts[first])
        street_at = first
        if all(_NUMBER.match(t) or t in _NOT_STREET for t in parts[first]) and first + 1 < len(parts):
            street_at = first + 1  # "48, High Street": the number stands alone
    else:
        # No number: a part ending in a road word ("High Street") beats one that may be a
        # building or a place ("Bluebell Court", "Northwick Green").
        numbers = set()
        street_at = next((i for i, tokens in enumerate(parts) if tokens[-1] in _ROAD_WORDS), None)
        if street_at is None and len(parts) >= 3:
            street_at = 1  # "LILAC GARDENS, CANAL SIDE, CHALKBURY": building, street, town
        if street_at is None:
            street_at = next((i for i, tokens in enumerate(parts) if any(t in _STREET_NAMES for t in tokens)), None)
    street = ""
    if street_at is not None and street_at < len(parts):
        street = " ".join(t for t in parts[street_at] if not _NUMBER.match(t) and t not in _NOT_STREET)
    building = {
        t
        for tokens in parts[: numbered[0] if numbered else (street_at or 0)]
        for t in tokens
        if t not in _GENERIC_WORDS and len(t) > 1 and not _LAND_WORDS.match(t)
    }
    words = {t for tokens in parts for t in tokens}
    return Address(frozenset(numbers), street, frozenset(building), frozenset(words), land)


@dataclass(frozen=True)
class AddressMatch:
    score: float  # 0 to 1
    reason: str  # in words, for match_candidates and evidence


def compare_addresses(
    home_address: str | None, title_address: str | None, home_name: str | None = None
) -> AddressMatch:
    """How likely a title's address is the building a care home stands in.

    Both are assumed to share a postcode already. The rules, in order:

    - house numbers on both sides that share none are different buildings (a
      neighbour at the same postcode): score 0.1;
    - a shared house number counts most, then the street, then the home's
      building name ("Oak Lodge") found in the title's address;
    - a title for "land adjoining ..." or "part of ..." is capped below the
      acceptance level, so a person decides whether it is part of the home.
    """
    from rapidfuzz import fuzz

    home = parse_address(home_address)
    title = parse_address(title_address)
    # The home's own name ("Oak Lodge Care Home") and any building name in its address.
    home_building = home.building | frozenset(
        w for w in _words(home_name or "") if w not in _GENERIC_WORDS and len(w) > 1
    )
    reasons: list[str] = []

    if home.numbers and title.numbers and not (home.numbers & title.numbers):
        return AddressMatch(
            0.1,
            f"different house numbers ({', '.join(sorted(home.numbers))} vs {', '.join(sorted(title.numbers))})",
        )
    shared_building = home_building & (title.building | title.words)
    if title.building and home_building and not (home_building & title.building) and not (home.numbers & title.numbers):
        return AddressMatch(
            0.15, f"different building names ({' '.join(sorted(title.building))} is not {' '.join(sorted(home_building))})"
        )
    score = 0.0
    if home.numbers & title.numbers:
        score += 0.45
        reasons.append(f"same house number {sorted(home.numbers & title.numbers)[0]}")
    if home.street and title.street:
        street_score = fuzz.token_set_ratio(home.street, title.street) / 100
        if street_score >= 0.85:
            score += 0.3
            reasons.append(f"same street ({title.street})")
        elif street_score < 0.5:
            score -= 0.25
            reasons.append(f"different street ({home.street} vs {title.street})")
    if shared_building:
        score += 0.45 * len(shared_building) / len(home_building)
        reasons.append(f"building name '{' '.join(sorted(shared_building))}' in the title address")
    elif not (home.numbers & title.numbers):
        overlap = fuzz.token_set_ratio(" ".join(sorted(home.words)), " ".join(sorted(title.words))) / 100
        score += 0.3 * overlap
        reasons.append(f"no house number or building name in common; address words {overlap:.0%} alike")
    score = max(0.0, min(1.0, score))
    if title.land:
        score = min(score, 0.6)
        reasons.append("the title is land or part of a property, not a whole building")
    return AddressMatch(round(score, 3), "; ".join(reasons) or "nothing in common")
