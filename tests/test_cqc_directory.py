"""cqc-directory: the monthly directory CSV and the HSCA Active Locations file (ODS or CSV)."""

import csv
import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from click.testing import CliRunner
from helpers import table_rows
from inspect_kit_cqc import ods
from inspect_kit_cqc.directory_collector import CqcDirectoryCollector

from inspect_kit.cli import cli
from inspect_kit.registry import Registry

FIXTURES = Path(__file__).parent / "fixtures" / "cqc"
REALDATA = Path("/work/shared/realdata")
DIRECTORY_2026 = FIXTURES / "01_July_2026_CQC_directory.csv"
DIRECTORY_2020 = FIXTURES / "15_April_2020_CQC_directory.csv"
HSCA_CSV = FIXTURES / "HSCA_Active_Locations_export.csv"
RATINGS_CSV = FIXTURES / "Latest_ratings_Locations_export.csv"


def collect(db, *args):
    result = CliRunner().invoke(cli, ["collect", "cqc-directory", "--db", str(db), *map(str, args)])
    return result


def rows_by(registry, table, key):
    return {row[key]: row for row in table_rows(registry, table)}


@pytest.fixture
def db(tmp_path):
    return tmp_path / "registry.db"


def test_directory_csv(db):
    result = collect(db, DIRECTORY_2026)
    assert result.exit_code == 0, result.output
    registry = Registry.open(db)
    homes = rows_by(registry, "care_homes", "location_id")
    # care homes only: the homecare agency and the GP surgery are left out
    assert sorted(homes) == ["1-1001", "1-1002", "1-1008"]
    alder = homes["1-1001"]
    assert alder["name"] == "Alder House"
    assert alder["address"] == "12 Example Road, Exampleton"
    assert alder["postcode"] == "EX1 1AA"
    assert alder["provider_id"] == "1-9001"
    assert alder["local_authority"] == "Exampleshire"
    assert alder["last_inspection_date"] == "2025-11-03"
    assert alder["care_home"] == 1
    assert alder["status"] == "Registered"
    assert json.loads(alder["service_types"]) == ["Care home service with nursing", "Care home service without nursing"]
    assert json.loads(alder["specialisms"]) == ["Caring for adults over 65 yrs", "Dementia"]
    assert alder["valid_from"] == "2026-07-01"  # "This data was produced on 01 July 2026"
    assert homes["1-1008"]["provider_id"] is None
    providers = rows_by(registry, "providers", "provider_id")
    assert sorted(providers) == ["1-9001"]
    assert providers["1-9001"]["name"] == "Example Care Homes Limited"
    # the bad date and the short row are rejected with their line, not lost
    rejected = table_rows(registry, "rejected_records")
    assert [(r["line"], r["error"]) for r in rejected] == [
        (10, "'not a date' is not a date"),
        (11, "short row: 3 fields, the header has 15"),
    ]
    assert "Damson Court" in rejected[0]["raw"]
    assert rejected[0]["source"].endswith("01_July_2026_CQC_directory.csv")


def test_all_social_care_takes_homecare_not_gps(db):
    assert collect(db, DIRECTORY_2026, "--all-social-care").exit_code == 0
    homes = rows_by(Registry.open(db), "care_homes", "location_id")
    assert sorted(homes) == ["1-1001", "1-1002", "1-1003", "1-1008"]
    assert homes["1-1003"]["care_home"] == 0
    assert json.loads(homes["1-1003"]["service_types"]) == ["Domiciliary care service", "Supported living service"]


def test_header_drift_2020(db):
    result = collect(db, DIRECTORY_2020)
    assert result.exit_code == 0, result.output
    homes = rows_by(Registry.open(db), "care_homes", "location_id")
    assert sorted(homes) == ["1-1001", "1-1009"]
    assert homes["1-1001"]["local_authority"] == "Exampleshire"  # "Local Authority"
    assert homes["1-1001"]["last_inspection_date"] == "2019-11-03"  # "03/11/2019 - 10:30"
    assert homes["1-1009"]["valid_from"] == "2020-04-15"


def test_a_later_file_ends_what_it_no_longer_lists(db):
    assert collect(db, DIRECTORY_2020).exit_code == 0
    assert collect(db, DIRECTORY_2026).exit_code == 0
    registry = Registry.open(db)
    homes = rows_by(registry, "care_homes", "location_id")
    assert homes["1-1009"]["valid_to"] == "2026-07-01"  # Gorse House is gone from the 2026 file
    assert homes["1-1001"]["valid_to"] is None
    providers = rows_by(registry, "providers", "provider_id")
    assert providers["1-9006"]["valid_to"] == "2026-07-01"
    # the 2020 version of Alder House is kept as history
    history = table_rows(registry, "care_homes_history")
    assert [(h["location_id"], h["last_inspection_date"]) for h in history] == [("1-1001", "2019-11-03")]


def test_same_file_twice_changes_nothing(db):
    assert collect(db, DIRECTORY_2026).exit_code == 0
    result = collect(db, DIRECTORY_2026)
    assert "0 rows changed, 0 ended" in result.output
    assert table_rows(Registry.open(db), "care_homes_history") == []


def test_hsca_csv_export(db):
    result = collect(db, HSCA_CSV)
    assert result.exit_code == 0, result.output
    registry = Registry.open(db)
    homes = rows_by(registry, "care_homes", "location_id")
    assert sorted(homes) == ["1-1001", "1-1002"]
    alder = homes["1-1001"]
    assert alder["beds"] == 40
    assert alder["rating"] == "Good"
    assert alder["rating_date"] == "2025-03-14"
    assert alder["registration_date"] == "2011-04-01"
    assert alder["uprn"] == "100000000001"
    assert (alder["latitude"], alder["longitude"]) == (50.1, -3.5)
    assert alder["address"] == "12 Example Road, Exampleton"
    assert json.loads(alder["regulated_activities"]) == [
        "Accommodation for persons who require nursing or personal care"
    ]
    assert json.loads(alder["service_types"]) == ["Care home service with nursing", "Care home service without nursing"]
    assert json.loads(alder["specialisms"]) == ["Dementia", "Older People"]
    assert homes["1-1002"]["address"] == "Flat 2, 3 Sample Lane, Sampleford, Sampleshire"
    providers = rows_by(registry, "providers", "provider_id")
    assert providers["1-9001"]["company_number"] == "01234567"
    assert providers["1-9001"]["ownership_type"] == "Organisation"
    assert providers["1-9001"]["address"] == "1 Office Park, Exampleton"
    assert providers["1-9001"]["postcode"] == "EX9 9ZZ"
    rejected = table_rows(registry, "rejected_records")
    assert [(r["line"], r["error"]) for r in rejected] == [(5, "beds: 'many' is not a number")]


def test_hsca_all_social_care_normalises_company_numbers(db):
    assert collect(db, HSCA_CSV, "--all-social-care").exit_code == 0
    providers = rows_by(Registry.open(db), "providers", "provider_id")
    assert providers["1-9002"]["company_number"] == "SC012345"
    assert providers["1-9002"]["charity_number"] == "1000001"


# -- ODS -------------------------------------------------------------------

NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def _ods_cell(value):
    """A cell as LibreOffice writes it: dates and numbers as attributes, runs of spaces as text:s."""
    if value == "":
        return "<table:table-cell/>"
    parts = value.split("/")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        day, month, year = parts
        return (f'<table:table-cell office:value-type="date" office:date-value="{year}-{month}-{day}T00:00:00">'
                f"<text:p>{value}</text:p></table:table-cell>")
    try:
        float(value)
        if not value.startswith("0") or value == "0" or "." in value:
            return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                    f"<text:p>{value}</text:p></table:table-cell>")
    except ValueError:
        pass
    body = escape(value).replace("  ", ' <text:s text:c="1"/>')
    return f'<table:table-cell office:value-type="string"><text:p>{body}</text:p></table:table-cell>'


def write_ods(path, sheets):
    """A minimal real ODS: zip with mimetype and content.xml; rows padded like LibreOffice pads them."""
    tables = []
    for name, rows in sheets:
        xml_rows = []
        for row in rows:
            cells = "".join(_ods_cell(v) for v in row)
            xml_rows.append(f'<table:table-row>{cells}<table:table-cell table:number-columns-repeated="16000"/>'
                            "</table:table-row>")
        xml_rows.append('<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
                        'table:number-columns-repeated="1024"/></table:table-row>')
        tables.append(f'<table:table table:name="{name}"><table:table-column/>{"".join(xml_rows)}</table:table>')
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS}><office:body>'
               f'<office:spreadsheet>{"".join(tables)}</office:spreadsheet></office:body></office:document-content>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


def hsca_ods(path):
    with open(HSCA_CSV, newline="") as f:
        rows = list(csv.reader(f))
    readme = [["Active locations for providers registered under the Health and Social Care Act (HSCA)"],
              ["Source: CQC database as at 01 July 2026"]]
    return write_ods(path, [("README", readme), ("HSCA_Active_Locations", rows)])


def test_hsca_ods_gives_the_same_registry_as_its_csv_export(tmp_path):
    from_csv = tmp_path / "csv.db"
    from_ods = tmp_path / "ods.db"
    assert collect(from_csv, HSCA_CSV).exit_code == 0
    ods_file = hsca_ods(tmp_path / "01_July_2026_HSCA_Active_Locations.ods")
    result = collect(from_ods, ods_file)
    assert result.exit_code == 0, result.output
    strip = lambda rows: [{k: v for k, v in r.items() if k not in ("valid_from",)} for r in rows]  # noqa: E731
    for table in ("care_homes", "providers"):
        assert strip(table_rows(Registry.open(from_ods), table)) == strip(table_rows(Registry.open(from_csv), table))
    assert table_rows(Registry.open(from_ods), "care_homes")[0]["valid_from"] == "2026-07-01"  # README's date


def test_ods_reader_streams_cells(tmp_path):
    path = write_ods(tmp_path / "x.ods", [("S", [["a  b", "", "3", "01/02/2024"], ["", ""], ["x"]])])
    assert list(ods.iter_rows(path)) == [("S", 1, ["a  b", "", "3", "2024-02-01"]), ("S", 3, ["x"])]


def test_broken_and_truncated_ods_are_refused_cleanly(tmp_path, db):
    good = hsca_ods(tmp_path / "good.ods")
    broken = tmp_path / "broken.ods"
    broken.write_bytes(b"PK\x03\x04 this is not a zip")
    result = collect(db, broken)
    assert result.exit_code == 1
    assert "broken.ods: not a readable ODS file" in result.output
    assert "Traceback" not in result.output
    truncated = tmp_path / "truncated.ods"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(truncated, "w") as target:
        content = source.read("content.xml")
        target.writestr("content.xml", content[: len(content) // 2])
    result = collect(db, truncated)
    assert result.exit_code == 1
    assert "truncated.ods: the spreadsheet XML is broken or cut short" in result.output
    # the run was rolled back: nothing half-loaded
    assert table_rows(Registry.open(db), "care_homes") == []


def test_file_without_a_header_is_refused(tmp_path, db):
    bad = tmp_path / "notes.csv"
    bad.write_text("just,some\ncsv,text\n")
    result = collect(db, bad)
    assert result.exit_code == 1
    assert "notes.csv: empty, or no header with a location id column" in result.output


def test_latest_attributes_point_at_the_directory():
    import re

    collector = CqcDirectoryCollector()
    assert collector.latest_page.startswith("https://www.cqc.org.uk/")
    assert re.search(collector.latest_pattern, "/sites/default/files/2026-07/01_July_2026_CQC_directory.csv")
    assert not re.search(collector.latest_pattern, "01_July_2026_HSCA_Active_Locations.ods")


# -- real records ------------------------------------------------------------


def test_real_trafford_care_homes(tmp_path, db):
    """All 57 real Trafford care homes (a derived extract of the 2020 directory) parse."""
    real = REALDATA / "cqc_trafford_care_homes.csv"
    with open(real, newline="") as f:
        expected = list(csv.DictReader(f))
    result = collect(db, real)
    assert result.exit_code == 0, result.output
    registry = Registry.open(db)
    homes = rows_by(registry, "care_homes", "location_id")
    assert table_rows(registry, "rejected_records") == []
    assert sorted(homes) == sorted(r["cqc_id"] for r in expected)
    assert len(homes) == 57
    # the same home under two ids after a change of provider
    assert homes["1-2634476775"]["name"] == homes["1-3873974542"]["name"] == "Sunrise of Hale Barns"
    both = [h for h in homes.values() if json.loads(h["service_types"]) == [
        "Care home service with nursing", "Care home service without nursing"]]
    assert len(both) == sum(r["type"] == "Nursing homes|Residential homes" for r in expected)
    assert homes["1-112588858"]["last_inspection_date"] == "2019-08-06"


def test_real_latest_ratings_providers_sheet(db):
    """The real Providers sheet export: no-space headers, long format, DD/MM/YYYY dates."""
    real = REALDATA / "cqc_latest_ratings_providers_sample.csv"
    result = collect(db, real)
    assert result.exit_code == 0, result.output
    registry = Registry.open(db)
    assert table_rows(registry, "rejected_records") == []
    ratings = table_rows(registry, "cqc_ratings")
    with open(real, newline="") as f:
        expected = list(csv.DictReader(f))
    assert len(ratings) == len(expected) == 12
    overall = {(r["organisation_id"], r["service_group"], r["domain"]): r for r in ratings}
    row = overall[("1-102643363", "Overall", "Overall")]
    assert (row["organisation_type"], row["rating"], row["publication_date"], row["report_type"], row["inherited"]) == (
        "provider", "Requires improvement", "2015-02-10", "Provider", 0)
    safe = overall[("1-101606240", "Wards for people with learning disabilities or autism", "Safe")]
    assert safe["rating"] == "Inadequate"
    # providers of every kind are in the file; the providers table keeps care-home operators only
    assert table_rows(registry, "providers") == []


def test_latest_ratings_locations_update_homes_without_ending_any(db):
    assert collect(db, DIRECTORY_2026).exit_code == 0
    result = collect(db, RATINGS_CSV)
    assert result.exit_code == 0, result.output
    registry = Registry.open(db)
    homes = rows_by(registry, "care_homes", "location_id")
    alder = homes["1-1001"]
    assert (alder["rating"], alder["rating_date"]) == ("Requires improvement", "2026-03-14")
    assert alder["address"] == "12 Example Road, Exampleton"  # kept from the directory
    assert all(h["valid_to"] is None for h in homes.values())  # a ratings file is not a list of every home
    assert "1-1006" not in homes  # a GP surgery's rating is kept in cqc_ratings only
    ratings = {(r["organisation_id"], r["domain"]): r["rating"] for r in table_rows(registry, "cqc_ratings")}
    assert ratings[("1-1001", "Safe")] == "Inadequate"
    assert ratings[("1-1006", "Overall")] == "Good"
    rejected = [(r["line"], r["error"]) for r in table_rows(registry, "rejected_records")]
    assert rejected[-1] == (9, "'31/02/2026' is not a date")


def test_latest_ratings_ods_reads_both_sheets(tmp_path, db):
    sheets = []
    for name, path in [("Locations", RATINGS_CSV), ("Providers", REALDATA / "cqc_latest_ratings_providers_sample.csv")]:
        with open(path, newline="") as f:
            sheets.append((name, list(csv.reader(f))))
    ods_file = write_ods(tmp_path / "01_March_2026_Latest_ratings.ods", [("README", [["Latest ratings"]]), *sheets])
    result = collect(db, ods_file)
    assert result.exit_code == 0, result.output
    ratings = table_rows(Registry.open(db), "cqc_ratings")
    assert {r["organisation_type"] for r in ratings} == {"location", "provider"}
    assert len(ratings) == 7 + 12
