"""``companies-house-bulk``: the monthly BasicCompanyData file, CSV or zip.

Every UK company on the register, one row each (about 5 million). Quirks handled
here: header names with a leading space, every value quoted, ``DD/MM/YYYY``
dates, SIC codes as ``"code - description"`` text in four columns, free-text
company categories, statuses and countries of origin.
"""

from __future__ import annotations

import csv
import datetime
import functools
import re

from inspect_kit import Collector, Entity, Option, Rejected, SourceError
from inspect_kit.jurisdictions import country_code
from inspect_kit.matching import normalise_company_number

from .files import READ_ERRORS, covers_whole_publication, damaged, text_streams

REQUIRED = ("CompanyName", "CompanyNumber")
ADDRESS = (
    "RegAddress.CareOf", "RegAddress.POBox", "RegAddress.AddressLine1", "RegAddress.AddressLine2",
    "RegAddress.PostTown", "RegAddress.County", "RegAddress.Country", "RegAddress.PostCode",
)
SIC = ("SICCode.SicText_1", "SICCode.SicText_2", "SICCode.SicText_3", "SICCode.SicText_4")

# The bulk file writes statuses as words; the API (and the rest of the registry) uses slugs.
STATUSES = {
    "active": "active",
    "dissolved": "dissolved",
    "liquidation": "liquidation",
    "in administration": "administration",
    "administration order": "administration",
    "administrative receiver": "receivership",
    "receivership": "receivership",
    "receiver action": "receivership",
    "live but receiver manager on at least one charge": "receivership",
    "voluntary arrangement": "voluntary-arrangement",
    "converted/closed": "converted-closed",
    "insolvency proceedings": "insolvency-proceedings",
    "registered": "registered",
    "removed": "removed",
    "closed": "closed",
}
_SPACES = re.compile(r"\s+")
_SIC_CODE = re.compile(r"^\s*(\d{4,5})\b")


@functools.lru_cache(maxsize=1024)
def company_status(text: str) -> str | None:
    """``"Active - Proposal to Strike off"`` -> ``"active-proposal-to-strike-off"``, ``"Active"`` -> ``"active"``."""
    text = _SPACES.sub(" ", text).strip()
    if not text:
        return None
    known = STATUSES.get(text.lower())
    if known:
        return known
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@functools.lru_cache(maxsize=65536)  # a few tens of thousands of distinct dates in 5M rows
def uk_date(text: str, column: str) -> str | None:
    """``"29/06/2011"`` -> ``"2011-06-29"``; raises ValueError naming the column."""
    if not text:
        return None
    try:
        day, month, year = text.split("/")
        return datetime.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        raise ValueError(f"{column}: {text!r} is not a DD/MM/YYYY date") from None


def sic_codes(values: list[str]) -> str | None:
    """The SIC codes as a JSON array: ``["70229"]`` from ``"70229 - Management consultancy ..."``."""
    codes = []
    for value in values:
        if not value:
            continue
        head = value[:5]
        if head.isdigit():  # the usual "87100 - ..."; four-digit codes take the slow path
            codes.append(head)
            continue
        match = _SIC_CODE.match(value)
        if match:
            codes.append(match.group(1))
        elif value.strip() and value.strip().lower() != "none supplied":
            codes.append(value.strip().replace("\\", "\\\\").replace('"', '\\"'))
    # Hand-built JSON: this runs five million times a month.
    return '["' + '","'.join(codes) + '"]' if codes else None


def count(text: str, column: str) -> int | None:
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{column}: {text!r} is not a number") from None


class BasicCompanyDataCollector(Collector):
    name = "companies-house-bulk"
    description = (
        "Companies House BasicCompanyData (the monthly CSV of every company, or its zip): "
        "companies with category, status, country of origin, SIC codes, charge counts and "
        "registered office."
    )
    latest_page = "http://download.companieshouse.gov.uk/en_output.html"
    latest_pattern = r"BasicCompanyDataAsOneFile-\d{4}-\d{2}-\d{2}\.zip"
    reads_registry = False  # only its files: the core may parse them on a second core
    options = (
        Option("partial", "The files are an extract, not the whole register: end no companies "
               "missing from them.", default=False, is_flag=True),
    )

    def collect(self, run):
        # A row missing from the whole register means the company left it; from a
        # single part or an extract it means nothing, so only a whole file ends rows.
        if not run.options.get("partial") and covers_whole_publication(run.files):
            run.full_snapshot(Entity)
        for path in run.files:
            for label, stream in text_streams(path, (".csv", ".txt")):
                run.source = label
                yield from self._read(label, stream, run)

    def _read(self, label, stream, run):
        tail = [""]
        reader = csv.reader(_remember_last(stream, tail))
        try:
            header = next(reader)
        except StopIteration:
            raise SourceError(f"{label}: the file is empty") from None
        except (csv.Error, *READ_ERRORS) as error:
            raise damaged(label, 1, error) from None
        names = [name.strip() for name in header]  # " CompanyNumber" -> "CompanyNumber"
        missing = [n for n in REQUIRED if n not in names]
        if missing:
            raise SourceError(
                f"{label}: no {', '.join(missing)} column in the header; is this a BasicCompanyData file?"
            )
        index = {name: i for i, name in enumerate(names)}
        width = len(names)
        mapper = _RowMapper(index)
        rows = run.progress(reader, desc=label.rsplit("/", 1)[-1], unit=" rows", unit_scale=True)
        line = 1
        short = None
        try:
            for row in rows:
                line = reader.line_num
                if not row:
                    continue
                if len(row) != width:
                    short = line
                    yield Rejected(
                        f"{len(row)} fields where the header has {width}",
                        raw=_raw(row), line=line, source=label,
                    )
                    continue
                try:
                    yield mapper.entity(row, line)
                except ValueError as error:
                    yield Rejected(str(error), raw=_raw(row), line=line, source=label)
        except csv.Error as error:
            raise SourceError(f"{label} line {reader.line_num:,}: {error}") from None
        except READ_ERRORS as error:
            raise damaged(label, line, error) from None
        if short == line and not tail[0].endswith(("\n", "\r")):
            # The file stops in the middle of a row: a cut download. Loading it
            # as the whole register would end every company after the cut.
            raise SourceError(f"{label} line {line:,}: the last row is cut short; the file is truncated")


def _remember_last(stream, tail):
    """Pass lines through, keeping the last one, to tell a file cut mid-row."""
    for text in stream:
        tail[0] = text
        yield text


class _RowMapper:
    """Column positions looked up once, so each of millions of rows is cheap to map."""

    def __init__(self, index: dict[str, int]):
        get = index.get
        self.name = index["CompanyName"]
        self.number = index["CompanyNumber"]
        self.category = get("CompanyCategory")
        self.status = get("CompanyStatus")
        self.country = get("CountryOfOrigin")
        self.dissolved = get("DissolutionDate")
        self.incorporated = get("IncorporationDate")
        self.accounts = get("Accounts.AccountCategory")
        self.accounts_due = get("Accounts.NextDueDate")
        self.charges = get("Mortgages.NumMortCharges")
        self.outstanding = get("Mortgages.NumMortOutstanding")
        self.address = [index[c] for c in ADDRESS if c in index]
        self.sic = [index[c] for c in SIC if c in index]

    @staticmethod
    def _at(row, position):
        return row[position] if position is not None else ""

    def entity(self, row: list[str], line: int) -> Entity:
        at = self._at
        number = row[self.number]
        if not (len(number) == 8 and number.isdigit()):  # the usual case needs no normalising
            number = normalise_company_number(number)
            if not number:
                raise ValueError("CompanyNumber is empty")
        address = ", ".join(" ".join(row[i].split()) for i in self.address if row[i] and not row[i].isspace())
        return Entity(
            id="GB-COH-" + number,
            name=row[self.name].strip() or None,
            entity_type="overseas_entity" if number.startswith("OE") else "company",
            jurisdiction=country_code(at(row, self.country)),
            company_number=number,
            status=company_status(at(row, self.status)),
            company_type=at(row, self.category).strip() or None,
            incorporation_date=uk_date(at(row, self.incorporated), "IncorporationDate"),
            dissolution_date=uk_date(at(row, self.dissolved), "DissolutionDate"),
            sic_codes=sic_codes([row[i] for i in self.sic]),
            accounts_category=at(row, self.accounts).strip() or None,
            accounts_next_due=uk_date(at(row, self.accounts_due), "Accounts.NextDueDate"),
            mortgages_charges=count(at(row, self.charges), "Mortgages.NumMortCharges"),
            mortgages_outstanding=count(at(row, self.outstanding), "Mortgages.NumMortOutstanding"),
            address=address or None,
            register="GB-COH",
            line=line,
        )


def _raw(row: list[str]) -> str:
    return ",".join('"' + value.replace('"', '""') + '"' for value in row)
