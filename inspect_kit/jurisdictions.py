"""Country names as registers write them -> ISO 3166-1 alpha-2 codes.

Registers spell countries freely ("England And Wales", "BRITISH VIRGIN ISLANDS",
"DELAWARE, U.S.A."); ``countrynames`` knows most spellings, and ``ALIASES``
holds the register-specific ones it does not.
"""

from __future__ import annotations

import functools

import countrynames

# Spellings seen in UK registers that are not country names.
ALIASES = {
    "COMPANIES HOUSE": "GB",
    "REGISTRAR OF COMPANIES": "GB",
    "REGISTRAR OF COMPANIES FOR ENGLAND AND WALES": "GB",
    "U.S.A.": "US",
    "U.S.A": "US",
    "USA": "US",
    "U.K.": "GB",
    "ALDERNEY": "GG",
    "SARK": "GG",
}


@functools.lru_cache(maxsize=4096)
def country_code(name: str | None) -> str | None:
    """ISO 3166-1 alpha-2 for a country name, or None when it cannot be told.

    Subdivisions collapse to their country: Scotland is ``GB``, Delaware ``US``.
    """
    if not name or not name.strip():
        return None
    text = " ".join(name.split()).strip(" .,")
    alias = ALIASES.get(text.upper())
    if alias:
        return alias
    code = countrynames.to_code(text)
    if code is None and "," in text:
        # "DELAWARE, U.S.A.": the country is usually the last part.
        return country_code(text.rsplit(",", 1)[1])
    return code.split("-")[0] if code else None
