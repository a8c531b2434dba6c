"""One CCOD/OCOD row -> a ``Title`` and its ``TitleProprietor`` records.

Columns are found by their header names, not their positions: OCOD inserts
``Country Incorporated (n)`` into every proprietor group and the change-only
files add ``Change Indicator`` and ``Change Date`` at a position nobody has
documented.
"""

from __future__ import annotations

import datetime
import functools
import re

from inspect_kit import SourceError, Title, TitleProprietor
from inspect_kit.jurisdictions import country_code
from inspect_kit.matching import normalise_company_number, normalise_postcode

PROPRIETOR_POSITIONS = (1, 2, 3, 4)
TITLE_COLUMNS = (
    "Title Number", "Tenure", "Property Address", "District", "County", "Region", "Postcode",
    "Multiple Address Indicator", "Price Paid", "Date Proprietor Added", "Additional Proprietor Indicator",
)
CHANGE_COLUMNS = ("Change Indicator", "Change Date")

_NORMAL_POSTCODE = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}")
# A UK postcode in brackets at the end of an address: "1 EXAMPLE STREET, MIDDLESBROUGH (TS1 2AB)".
_BRACKETED_POSTCODE = re.compile(r"\(\s*([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})\s*\)", re.IGNORECASE)


class RowError(ValueError):
    """A value in a row cannot be read."""


def proprietor_columns(n: int, overseas: bool) -> tuple[str, ...]:
    names = (f"Proprietor Name ({n})", f"Company Registration No. ({n})", f"Proprietorship Category ({n})")
    if overseas:
        names += (f"Country Incorporated ({n})",)
    return names + tuple(f"Proprietor ({n}) Address ({a})" for a in (1, 2, 3))


class Layout:
    """Where each column is in one file, checked against what the collector expects."""

    def __init__(self, header: list[str], *, dataset: str, label: str):
        names = [h.strip().lstrip("\ufeff") for h in header]
        index = {name: i for i, name in enumerate(names)}
        overseas = "Country Incorporated (1)" in index
        if dataset == "ccod" and overseas:
            raise SourceError(f"{label}: this is an OCOD file (it has 'Country Incorporated'): use 'collect ocod'")
        if dataset == "ocod" and not overseas and "Title Number" in index:
            raise SourceError(f"{label}: this is a CCOD file (no 'Country Incorporated'): use 'collect ccod'")
        expected = list(TITLE_COLUMNS)
        for n in PROPRIETOR_POSITIONS:
            expected += proprietor_columns(n, overseas)
        missing = [name for name in expected if name not in index]
        if missing:
            raise SourceError(
                f"{label}: not a {dataset.upper()} file: missing column(s) "
                + ", ".join(repr(m) for m in missing[:5])
                + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            )
        self.dataset = dataset
        self.overseas = overseas
        self.width = len(names)
        self.title = [index[name] for name in TITLE_COLUMNS]
        self.proprietors = [
            (n, [index[name] for name in proprietor_columns(n, overseas)]) for n in PROPRIETOR_POSITIONS
        ]
        self.change_only = "Change Indicator" in index
        if self.change_only and "Change Date" not in index:
            raise SourceError(f"{label}: has 'Change Indicator' but no 'Change Date' column")
        self.change_indicator = index.get("Change Indicator")
        self.change_date = index.get("Change Date")

    def parse(self, fields: list[str], line: int) -> tuple[Title, list[TitleProprietor], list[str]]:
        """The title, its proprietors, and the problems found in single values.

        A value that cannot be read is left out (None: the registry keeps what it
        knew) and named in the problems; a row whose shape is wrong raises
        ``RowError``.
        """
        if len(fields) != self.width:
            raise RowError(f"expected {self.width} fields, found {len(fields)}")
        problems: list[str] = []
        (title_i, tenure_i, address_i, district_i, county_i, region_i, postcode_i,
         multiple_i, price_i, added_i, additional_i) = self.title
        title_number = fields[title_i].strip()
        if not title_number:
            raise RowError("Title Number is empty")
        address = fields[address_i].strip() or None
        postcode = _postcode(fields[postcode_i].strip()) or postcode_in_address(address)
        # Fast paths for the usual values; the parse_* functions for the rest.
        price = fields[price_i]
        if not price:
            price = None
        elif price.isdigit():
            price = int(price)
        else:
            price = _value(parse_price, price, "Price Paid", problems)
        added = fields[added_i]
        added = _value(parse_date, added, "Date Proprietor Added", problems) if added else None
        multiple = _INDICATORS.get(fields[multiple_i], _MISSING)
        if multiple is _MISSING:
            multiple = _value(parse_indicator, fields[multiple_i], "Multiple Address Indicator", problems)
        additional = _INDICATORS.get(fields[additional_i], _MISSING)
        if additional is _MISSING:
            additional = _value(parse_indicator, fields[additional_i], "Additional Proprietor Indicator", problems)
        title = Title(
            title_number=title_number,
            tenure=fields[tenure_i].strip() or None,
            property_address=address,
            postcode=postcode,
            district=fields[district_i].strip() or None,
            county=fields[county_i].strip() or None,
            region=fields[region_i].strip() or None,
            price_paid=price,
            date_proprietor_added=added,
            multiple_address=multiple,
            additional_proprietor=additional,
            dataset=self.dataset,
            line=line,
        )
        proprietors = []
        overseas = self.overseas
        for position, columns in self.proprietors:
            if overseas:
                name_i, number_i, category_i, country_i, a1, a2, a3 = columns
            else:
                name_i, number_i, category_i, a1, a2, a3 = columns
            name = fields[name_i]
            number = fields[number_i]
            if not name and not number:
                continue  # the usual case for positions 2 to 4
            name = name.strip()
            number = number.strip()
            if not name and not number:
                continue
            if overseas:
                country_as_given = fields[country_i].strip() or None
                country = country_code(country_as_given) if country_as_given else None
            else:
                # CCOD holds UK companies only: the scope of the file says where they are incorporated.
                country_as_given, country = None, "GB"
            parts = [p for p in (fields[a1].strip(), fields[a2].strip(), fields[a3].strip()) if p]
            proprietors.append(
                TitleProprietor(
                    title_number=title_number,
                    position=position,
                    name=name or None,
                    # Most CCOD numbers are plain digits: padded here, without a call.
                    company_number=(number.zfill(8) if not overseas and number.isdigit()
                                    else company_number(number, overseas) if number else None),
                    proprietorship_category=fields[category_i].strip() or None,
                    country_incorporated=country,
                    country_incorporated_as_given=country_as_given,
                    address=", ".join(parts) or None,
                    line=line,
                )
            )
        return title, proprietors, problems

    def change(self, fields: list[str]) -> tuple[str, datetime.date | None]:
        """``("A" or "D", change date)`` of a change-only row."""
        indicator = fields[self.change_indicator].strip().upper()
        if indicator not in ("A", "D"):
            raise RowError(f"Change Indicator {fields[self.change_indicator]!r} is not A or D")
        try:
            return indicator, parse_date(fields[self.change_date])
        except ValueError as error:
            raise RowError(f"Change Date: {error}") from None


def _value(parse, text: str, column: str, problems: list[str]):
    try:
        return parse(text)
    except ValueError as error:
        problems.append(f"{column}: {error}")
        return None


@functools.lru_cache(maxsize=65536)
def company_number(number: str, overseas: bool) -> str | None:
    """CCOD numbers zero-padded to Companies House's 8 characters.

    OCOD numbers belong to foreign registers (Jersey, the BVI, Delaware...):
    padding them would invent a different number, so they are kept as given,
    except Companies House overseas-entity numbers (``OE…``).
    """
    if not number:
        return None
    if overseas and not number.upper().replace(" ", "").startswith("OE"):
        return number
    return normalise_company_number(number)


@functools.lru_cache(maxsize=65536)
def parse_date(text: str) -> datetime.date | None:
    """``DD-MM-YYYY`` (HMLR's form) -> a date; empty -> None."""
    text = text.strip()
    if not text:
        return None
    if len(text) == 10 and text[2] in "-/" and text[5] in "-/":
        try:
            return datetime.date(int(text[6:]), int(text[3:5]), int(text[:2]))
        except ValueError:
            pass
    raise ValueError(f"{text!r} is not a DD-MM-YYYY date")


def parse_price(text: str) -> int | None:
    """``Price Paid``: whole pounds, often blank."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    cleaned = text.replace(",", "").lstrip("£")
    try:
        value = float(cleaned)
    except ValueError:
        raise ValueError(f"{text!r} is not an amount") from None
    if value < 0 or not value.is_integer():
        raise ValueError(f"{text!r} is not an amount in whole pounds")
    return int(value)


_INDICATORS = {"Y": True, "N": False, "": None}
_MISSING = object()


def parse_indicator(text: str) -> bool | None:
    """``Y``/``N`` -> True/False; empty -> None."""
    try:
        return _INDICATORS[text.strip().upper()]
    except KeyError:
        raise ValueError(f"{text!r} is not Y or N") from None


def _postcode(text: str) -> str | None:
    """The Postcode column as ``AB1 2CD`` (so that matching can use the index); anything else as given."""
    if not text or _NORMAL_POSTCODE.fullmatch(text):
        return text or None
    return normalise_postcode(text) or text


def postcode_in_address(address: str | None) -> str | None:
    """The postcode HMLR puts in brackets in ``Property Address``, normalised to ``AB1 2CD``."""
    if not address or "(" not in address:
        return None
    found = _BRACKETED_POSTCODE.findall(address)
    if not found:
        return None
    outward, inward = found[-1]
    return f"{outward.upper()} {inward.upper()}"
