"""``cqc-directory``: CQC's monthly bulk files.

- the directory CSV (``DD_Month_YYYY_CQC_directory.csv``): title lines before
  the header, one comma-joined address, pipe-separated service types;
- the HSCA Active Locations file (``.ods``, streamed; or a CSV export of it):
  one column per regulated activity, service type and service-user band,
  flagged ``Y``.

Columns are found by name, never by position, because the headers drift from
year to year. Each file lists every current location, so a run is a full
snapshot: care homes and operators that are no longer listed are ended.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from inspect_kit import CareHome, Collector, Option, Provider, Rejected, SourceError
from inspect_kit.matching import normalise_company_number

from . import ods
from .mapping import (
    CARE_HOME_SERVICE_TYPES,
    SHORT_SERVICE_TYPES,
    as_date,
    as_float,
    as_int,
    join_address,
    json_array,
    yes,
)
from .records import CqcRating

# The directory's service types that are adult social care (for --all-social-care).
SOCIAL_CARE_SHORT_TYPES = {
    "Nursing homes", "Residential homes", "Homecare agencies", "Supported living", "Shared Lives",
    "Extra Care housing services", "Community services - Substance abuse problems",
}
HEADER_SEARCH_LINES = 30


def _norm(name: str) -> str:
    """Header names compared without case, spaces or punctuation: drift-proof."""
    return re.sub(r"[^a-z0-9]", "", (name or "").lower())


# field -> header names it may have (any year, either file)
ALIASES = {
    "location_id": ["CQC Location ID (for office use only)", "CQC Location (for office use only",
                    "Location ID", "locationid", "cqc_id"],
    "name": ["Name", "Location Name"],
    "address": ["Address"],
    "street": ["Location Street Address"],
    "address_line_2": ["Location Address Line 2"],
    "city": ["Location City"],
    "county": ["Location County"],
    "postcode": ["Postcode", "Location Postal Code", "Location Post Code"],
    "provider_id": ["CQC Provider ID (for office use only)", "Provider ID", "providerid"],
    "provider_name": ["Provider name", "provider"],
    "local_authority": ["Local authority", "Location Local Authority", "area_name"],
    "region": ["Region", "Location Region"],
    "service_types": ["Service types", "type"],
    "specialisms": ["Specialisms/services"],
    "last_check": ["Date of latest check", "inspection_date"],
    "care_home": ["Care home?"],
    "beds": ["Care homes beds"],
    "rating": ["Location Latest Overall Rating"],
    "rating_date": ["Publication Date"],
    "registration_date": ["Location HSCA start date"],
    "latitude": ["Location Latitude", "lat"],
    "longitude": ["Location Longitude", "lon"],
    "uprn": ["Location UPRN ID"],
    "directorate": ["Location Inspection Directorate"],
    "provider_company_number": ["Provider Companies House Number"],
    "provider_charity_number": ["Provider Charity Number"],
    "provider_ownership_type": ["Provider Ownership Type"],
    "provider_street": ["Provider Street Address"],
    "provider_address_line_2": ["Provider Address Line 2"],
    "provider_city": ["Provider City"],
    "provider_county": ["Provider County"],
    "provider_postcode": ["Provider Postal Code", "Provider Post Code"],
    # Latest ratings
    "domain": ["Domain", "Key Question"],
    "latest_rating": ["Latest Rating"],
    "service_group": ["Service / Population Group"],
    "report_type": ["Report Type"],
    "inherited": ["Inherited Rating (Y/N)"],
    "location_type": ["Location Type", "Location Type/Sector"],
}
_ALIAS_LOOKUP = {_norm(alias): field for field, aliases in ALIASES.items() for alias in aliases}
# HSCA one-hot columns: "Regulated activity - Personal care" = "Y"
FLAG_PREFIXES = {
    "regulated activity": "regulated_activities",
    "service type": "service_types",
    "service user band": "specialisms",
}
_PRODUCED_ON = re.compile(r"(?:produced on|as at)\s+(\d{1,2}\s+[A-Za-z]+\s+\d{4})", re.I)
_NAME_DATE = re.compile(r"(\d{1,2})_([A-Za-z]+)_(\d{4})")


@dataclass
class Header:
    """Where each field is in a file's header row."""

    names: list[str]
    columns: dict[str, int]
    flags: dict[str, list[tuple[int, str]]]
    width: int  # columns a row must have: up to the last named one (headers pad with blanks)

    @classmethod
    def parse(cls, names: list[str]) -> "Header":
        columns: dict[str, int] = {}
        flags: dict[str, list[tuple[int, str]]] = {}
        for index, name in enumerate(names):
            name = (name or "").strip()
            field = _ALIAS_LOOKUP.get(_norm(name))
            if field and field not in columns:
                columns[field] = index
                continue
            prefix, dash, rest = name.partition(" - ")
            target = FLAG_PREFIXES.get(prefix.strip().lower())
            if dash and target and rest.strip():
                flags.setdefault(target, []).append((index, rest.strip()))
        names = [(n or "").strip() for n in names]
        named = [i for i, n in enumerate(names) if n]
        return cls(names, columns, flags, named[-1] + 1 if named else 0)

    @classmethod
    def find(cls, cells: list[str]) -> "Header | None":
        """The header, if this row is one: it names a location id (or a provider id and a key question)."""
        fields = {_ALIAS_LOOKUP.get(_norm(c)) for c in cells}
        if "location_id" in fields or {"provider_id", "domain"} <= fields:
            return cls.parse(cells)
        return None

    @property
    def is_ratings(self) -> bool:
        return "domain" in self.columns and "latest_rating" in self.columns

    @property
    def kind(self) -> str:
        sheet = "location" if "location_id" in self.columns else "provider"
        return f"{sheet}-{'ratings' if self.is_ratings else 'list'}"


    def get(self, row: list[str], field: str) -> str | None:
        index = self.columns.get(field)
        if index is None or index >= len(row):
            return None
        return row[index].strip() or None

    def flagged(self, row: list[str], field: str) -> list[str]:
        """Names of the one-hot columns marked Y (rows are padded to the header's width)."""
        return [name for index, name in self.flags.get(field, ()) if row[index].strip().upper() == "Y"]


class CqcDirectoryCollector(Collector):
    name = "cqc-directory"
    description = (
        "Care homes and their operators from CQC's monthly files: the directory CSV and the "
        "HSCA Active Locations spreadsheet (ODS, or its CSV export)."
    )
    takes_files = True
    latest_page = "https://www.cqc.org.uk/about-us/transparency/using-cqc-data"
    latest_pattern = r"CQC_directory\.csv$"
    options = (
        Option("all_social_care", "Take every adult social care location, not only care homes.",
               is_flag=True),
    )

    def collect(self, run) -> Iterator:
        all_social_care = bool(run.options.get("all_social_care"))
        kinds = {path: self._kind(path) for path in run.files}
        if "locations" in kinds.values():
            run.full_snapshot(CareHome, Provider)
        as_of_set = False
        for path in run.files:
            run.source = str(path)
            seen_providers: set[str] = set()
            for item in self._records(path, all_social_care):
                if isinstance(item, str):  # the file's as-of date, before any row
                    if not as_of_set:
                        run.as_of, as_of_set = item, True
                    continue
                if isinstance(item, Provider):
                    if item.provider_id in seen_providers:
                        continue
                    seen_providers.add(item.provider_id)
                yield item

    # -- reading -------------------------------------------------------------

    def _rows(self, path: Path):
        """``(sheet, line, cells)`` for every row; a CSV is one sheet named None."""
        if path.suffix.lower() == ".ods":
            yield from ods.iter_rows(path)
            return
        with open(path, "rb") as raw:
            reader = csv.reader(_decoded_lines(raw, path))
            try:
                for cells in reader:
                    yield None, reader.line_num, cells
            except csv.Error as error:
                raise SourceError(f"{path}: line {reader.line_num}: {error}") from None

    def _kind(self, path: Path) -> str:
        """"locations" (directory, HSCA: a full list) or "ratings" (Latest ratings), from the first header."""
        rows = self._rows(path)
        try:
            for _, line, cells in rows:
                header = Header.find(cells)
                if header:
                    return "ratings" if header.is_ratings else "locations"
        finally:
            rows.close()
        raise SourceError(f"{path}: empty, or no header with a location id column")

    def _records(self, path: Path, all_social_care: bool):
        """Records from every sheet of the file that has a header, one sheet of each kind."""
        as_of = _date_in_name(path.name)
        spreadsheet = path.suffix.lower() == ".ods"
        sheet, header, done = object(), None, set()
        for row_sheet, line, cells in self._rows(path):
            if row_sheet != sheet:
                sheet, header = row_sheet, None
            if header is None:
                match = _PRODUCED_ON.search(" ".join(cells))
                if match:  # "This data was produced on 01 July 2026" / README "as at ..."
                    as_of = as_date(match.group(1))
                header = Header.find(cells)
                if header and header.kind in done:
                    header = False  # a second sheet of a kind (e.g. dual registrations): not read
                elif header:
                    if not done and as_of:
                        yield as_of
                    done.add(header.kind)
                elif line > HEADER_SEARCH_LINES and not spreadsheet:
                    raise SourceError(
                        f"{path}: no header with a location id column in the first {HEADER_SEARCH_LINES} lines"
                    )
                continue
            if header is False or not any(c.strip() for c in cells):
                continue
            if len(cells) < header.width:
                # A spreadsheet drops blank cells at the end of a row; a short CSV row is broken.
                if not spreadsheet:
                    yield Rejected(f"short row: {len(cells)} fields, the header has {header.width}",
                                   _csv_text(cells), line, str(path))
                    continue
                cells = cells + [""] * (header.width - len(cells))
            if header.is_ratings:
                yield from self._rating_row(path, header, line, cells, all_social_care)
            else:
                yield from self._row(path, header, line, cells, all_social_care)
        if not done:
            raise SourceError(f"{path}: empty, or no header with a location id column")

    def _rating_row(self, path, header: Header, line: int, cells: list[str], all_social_care: bool):
        """One row of "Latest ratings": a ``CqcRating``; the overall rating of a care home also on the home."""
        is_location = "location_id" in header.columns
        organisation_id = header.get(cells, "location_id" if is_location else "provider_id")
        if not organisation_id:
            yield Rejected("no location id" if is_location else "no provider id", _csv_text(cells), line, str(path))
            return
        service_group = header.get(cells, "service_group") or "Overall"
        domain = header.get(cells, "domain")
        if not domain:
            yield Rejected("no domain (key question)", _csv_text(cells), line, str(path))
            return
        try:
            published = as_date(header.get(cells, "rating_date"))
        except ValueError as error:
            yield Rejected(str(error), _csv_text(cells), line, str(path))
            return
        yield CqcRating(
            organisation_type="location" if is_location else "provider",
            organisation_id=organisation_id,
            service_group=service_group,
            domain=domain,
            rating=header.get(cells, "latest_rating"),
            publication_date=published,
            report_type=header.get(cells, "report_type"),
            inherited=yes(header.get(cells, "inherited")),
            line=line,
        )
        if not is_location or (service_group, domain) != ("Overall", "Overall"):
            return
        care_home = yes(header.get(cells, "care_home"))
        social_care = header.get(cells, "location_type") == "Social Care Org"
        if care_home or (all_social_care and social_care):
            yield CareHome(
                location_id=organisation_id,
                name=header.get(cells, "name"),
                provider_id=header.get(cells, "provider_id"),
                postcode=header.get(cells, "postcode"),
                local_authority=header.get(cells, "local_authority"),
                region=header.get(cells, "region"),
                rating=header.get(cells, "latest_rating"),
                rating_date=published,
                care_home=bool(care_home),
                line=line,
            )

    def _row(self, path, header: Header, line: int, cells: list[str], all_social_care: bool):
        location_id = header.get(cells, "location_id")
        if not location_id:
            yield Rejected("no location id", _csv_text(cells), line, str(path))
            return
        short_types = [t.strip() for t in (header.get(cells, "service_types") or "").split("|") if t.strip()]
        service_types = [SHORT_SERVICE_TYPES.get(t, t) for t in short_types] + header.flagged(cells, "service_types")
        care_home = yes(header.get(cells, "care_home"))
        if care_home is None:
            care_home = any(t in CARE_HOME_SERVICE_TYPES for t in service_types)
        directorate = header.get(cells, "directorate")
        social_care = (directorate or "").lower() == "adult social care" if directorate else (
            care_home or any(t in SOCIAL_CARE_SHORT_TYPES for t in short_types)
            or any(t in SHORT_SERVICE_TYPES.values() for t in service_types)
        )
        if not (care_home or (all_social_care and social_care)):
            return
        try:
            home = CareHome(
                location_id=location_id,
                name=header.get(cells, "name"),
                provider_id=header.get(cells, "provider_id"),
                # "7-9 White Kennet Street,London" -> "7-9 White Kennet Street, London", as the API's
                address=join_address(*(header.get(cells, "address") or "").split(",")) or join_address(
                    *(header.get(cells, f) for f in ("street", "address_line_2", "city", "county"))
                ),
                postcode=header.get(cells, "postcode"),
                local_authority=header.get(cells, "local_authority"),
                region=header.get(cells, "region"),
                latitude=_number(header, cells, "latitude", as_float),
                longitude=_number(header, cells, "longitude", as_float),
                beds=_number(header, cells, "beds", as_int),
                rating=header.get(cells, "rating"),
                rating_date=as_date(header.get(cells, "rating_date")),
                last_inspection_date=as_date(header.get(cells, "last_check")),
                registration_date=as_date(header.get(cells, "registration_date")),
                status="Registered",
                care_home=care_home,
                service_types=json_array(service_types),
                specialisms=json_array(
                    [s.strip() for s in (header.get(cells, "specialisms") or "").split("|")]
                    + header.flagged(cells, "specialisms")
                ),
                regulated_activities=json_array(header.flagged(cells, "regulated_activities")),
                uprn=header.get(cells, "uprn"),
                line=line,
            )
        except ValueError as error:
            yield Rejected(str(error), _csv_text(cells), line, str(path))
            return
        yield home
        provider_id = home.provider_id
        if provider_id:
            yield Provider(
                provider_id=provider_id,
                name=header.get(cells, "provider_name"),
                company_number=normalise_company_number(header.get(cells, "provider_company_number")),
                charity_number=header.get(cells, "provider_charity_number"),
                ownership_type=header.get(cells, "provider_ownership_type"),
                address=join_address(*(header.get(cells, f) for f in (
                    "provider_street", "provider_address_line_2", "provider_city", "provider_county"))),
                postcode=header.get(cells, "provider_postcode"),
                status="Registered",  # both files list registered services only
                line=line,
            )


def _number(header, cells, field, convert):
    value = header.get(cells, field)
    if value is None or value.upper() in ("NA", "N/A", "-"):
        return None
    number = convert(value)
    if number is None:
        raise ValueError(f"{field}: {value!r} is not a number")
    return number


def _date_in_name(name: str) -> str | None:
    """``15_April_2020_CQC_directory.csv`` -> ``2020-04-15``."""
    match = _NAME_DATE.search(name)
    if not match:
        return None
    try:
        return as_date(" ".join(match.groups()))
    except ValueError:
        return None


def _csv_text(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def _decoded_lines(raw, path):
    """Text lines from bytes: UTF-8 (with or without BOM), falling back to Windows-1252 per line."""
    first = True
    for line in raw:
        if first:
            first = False
            if line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError:
            yield line.decode("cp1252", errors="replace")
