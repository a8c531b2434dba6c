"""Normalising identifiers and names so that records from different registers meet."""

from __future__ import annotations

import re

_SPACES = re.compile(r"\s+")


def normalise_company_number(number: str | int | None) -> str | None:
    """Companies House numbers as 8 characters: ``"5498655"`` -> ``"05498655"``.

    Registers drop leading zeros (CCOD, PSC identification) or add spaces;
    prefixed numbers (``SC``, ``OC``, ``NI``, ``OE``, ``FC``...) keep their prefix and
    have their digits padded. Returns None for an empty value.
    """
    if number is None:
        return None
    text = _SPACES.sub("", str(number)).upper()
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
