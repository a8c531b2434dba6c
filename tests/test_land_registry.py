"""The ccod and ocod collectors on files in HM Land Registry's real layout (fictional values)."""

import csv
import importlib.util
import sqlite3
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from inspect_kit import SourceError, TitleProprietor
from inspect_kit.cli import cli
from inspect_kit.plugins import get_collectors
from inspect_kit.registry import Registry

FIXTURES = Path(__file__).parent / "fixtures" / "land_registry"


def _load_fixture_maker():
    spec = importlib.util.spec_from_file_location("make_land_registry_fixtures", FIXTURES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_fixtures = _load_fixture_maker()


@pytest.fixture
def registry(tmp_path):
    reg = Registry.open(tmp_path / "registry.db")
    yield reg
    reg.close()


def collect(registry, name, path, **options):
    return registry.collect(get_collectors()[name], files=[path], options=options)


def rows(registry, sql, *params):
    cursor = registry.conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def snapshot(registry):
    """Everything a run could change, for 'the registry is unchanged' checks."""
    return {
        table: registry.conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
        for table in ("titles", "title_proprietors", "titles_history", "title_proprietors_history",
                      "rejected_records", "collector_state")
    } | {"runs": registry.conn.execute("SELECT count(*) FROM collection_runs").fetchone()}


def test_fixtures_are_up_to_date(tmp_path, monkeypatch):
    monkeypatch.setattr(make_fixtures, "HERE", tmp_path)
    make_fixtures.main()
    for path in tmp_path.iterdir():
        assert path.read_bytes() == (FIXTURES / path.name).read_bytes(), path.name


def test_header_is_the_real_one():
    with open(FIXTURES / "CCOD_FULL_2024_05.csv", newline="") as f:
        header = next(csv.reader(f))
    assert len(header) == 35
    assert header[:9] == ["Title Number", "Tenure", "Property Address", "District", "County", "Region",
                          "Postcode", "Multiple Address Indicator", "Price Paid"]
    assert header[-2:] == ["Date Proprietor Added", "Additional Proprietor Indicator"]
    with open(FIXTURES / "OCOD_FULL_2024_05.csv", newline="") as f:
        header = next(csv.reader(f))
    assert len(header) == 39 and header[12] == "Country Incorporated (1)"


def test_full_file(registry):
    report = collect(registry, "ccod", FIXTURES / "CCOD_FULL_2024_05.csv")
    assert report.rejected == 0
    titles = {t["title_number"]: t for t in rows(registry, "SELECT * FROM titles")}
    assert set(titles) == {"EX100001", "EX100002", "EX100003", "EX100004"}
    rose = titles["EX100001"]
    # The Postcode column is empty: the postcode in brackets in the address is kept.
    assert rose["postcode"] == "TS1 9ZZ"
    assert rose["property_address"] == "Rose Court Care Home, 1 Example Street, Middlesbrough (TS1 9ZZ)"
    assert rose["price_paid"] == 1250000
    assert rose["date_proprietor_added"] == "2015-06-03"
    assert rose["tenure"] == "Freehold" and rose["dataset"] == "ccod"
    assert rose["multiple_address"] == 0 and rose["additional_proprietor"] == 0
    assert rose["valid_from"] == "2024-05-01"  # from the file name
    oak = titles["EX100002"]
    assert oak["postcode"] == "EX1 2ZZ" and oak["price_paid"] is None
    assert oak["multiple_address"] == 1 and oak["additional_proprietor"] == 1
    assert titles["EX100004"]["date_proprietor_added"] == "2020-02-29"

    owners = rows(registry, "SELECT * FROM title_proprietors ORDER BY title_number, position")
    assert [(o["title_number"], o["position"], o["company_number"]) for o in owners] == [
        ("EX100001", 1, "05498655"),  # zero-padded
        ("EX100002", 1, "01234567"),
        ("EX100002", 2, "SC000123"),
        ("EX100003", 1, None),  # a council has no company number
        ("EX100004", 1, "OC301234"),
    ]
    assert owners[0]["name"] == "ROSE PROPCO LIMITED"
    assert owners[0]["proprietorship_category"] == "Limited Company or Public Limited Company"
    assert owners[0]["address"] == "1 Quay Road, Leeds LS1 9ZZ"
    assert owners[0]["country_incorporated"] == "GB"
    assert owners[0]["entity_id"] is None  # derived: a resolver sets it


def test_same_file_twice_changes_nothing(registry):
    collect(registry, "ccod", FIXTURES / "CCOD_FULL_2024_05.csv")
    before = snapshot(registry)
    report = collect(registry, "ccod", FIXTURES / "CCOD_FULL_2024_05.csv")
    assert report.changed == 0 and report.ended == 0
    after = snapshot(registry)
    assert {k: v for k, v in after.items() if k != "runs"} == {k: v for k, v in before.items() if k != "runs"}


def test_next_full_month_ends_missing_rows_and_keeps_history(registry):
    collect(registry, "ccod", FIXTURES / "CCOD_FULL_2024_05.csv")
    report = collect(registry, "ccod", FIXTURES / "CCOD_FULL_2024_06.csv")
    # Oak's second proprietor and Willow Lodge (title and proprietor) are gone.
    assert report.ended == 3
    current = rows(registry, "SELECT title_number, position, name, valid_from, valid_to FROM title_proprietors "
                             "ORDER BY title_number, position")
    by_key = {(r["title_number"], r["position"]): r for r in current}
    assert by_key[("EX100002", 2)]["valid_to"] == "2024-06-01"
    assert by_key[("EX100004", 1)]["valid_to"] == "2024-06-01"
    assert by_key[("EX100002", 1)]["valid_to"] is None
    # Rose Court's landlord changed: the old one is in the history with its dates.
    assert by_key[("EX100001", 1)]["name"] == "BRIAR ESTATES LIMITED"
    assert by_key[("EX100001", 1)]["valid_from"] == "2024-06-01"
    history = rows(registry, "SELECT name, company_number, valid_from, valid_to FROM title_proprietors_history "
                             "WHERE title_number = 'EX100001'")
    assert history == [{"name": "ROSE PROPCO LIMITED", "company_number": "05498655",
                        "valid_from": "2024-05-01", "valid_to": "2024-06-01"}]
    titles = {t["title_number"]: t for t in rows(registry, "SELECT * FROM titles")}
    assert titles["EX100004"]["valid_to"] == "2024-06-01"  # ended, not deleted
    assert titles["EX100001"]["price_paid"] == 1400000
    # The registry as it stood in May still answers.
    may = registry.as_of(TitleProprietor, "2024-05-15")
    assert {(r["title_number"], r["position"], r["name"]) for r in may} >= {
        ("EX100001", 1, "ROSE PROPCO LIMITED"), ("EX100002", 2, "OAK NOMINEES LIMITED"),
        ("EX100004", 1, "WILLOW CARE HOMES LLP")}


def test_change_only_file_applies_dated_events(registry):
    collect(registry, "ccod", FIXTURES / "CCOD_FULL_2024_05.csv")
    collect(registry, "ccod", FIXTURES / "CCOD_FULL_2024_06.csv")
    report = collect(registry, "ccod", FIXTURES / "CCOD_COU_2024_07.csv")
    assert report.rejected == 0
    owners = {(r["title_number"], r["position"]): r for r in rows(registry, "SELECT * FROM title_proprietors")}
    # D: the council's title ends on its Change Date.
    assert owners[("EX100003", 1)]["valid_to"] == "2024-07-09"
    assert rows(registry, "SELECT valid_to FROM titles WHERE title_number = 'EX100003'") == [
        {"valid_to": "2024-07-09"}]
    # D then A for the same title (A first in the file): the new proprietor is current,
    # the old one is history ending on the change date.
    oak = owners[("EX100002", 1)]
    assert oak["name"] == "ELM CARE PROPERTIES LIMITED" and oak["company_number"] == "09988776"
    assert oak["valid_to"] is None and oak["valid_from"] == "2024-07-22"
    history = rows(registry, "SELECT name, valid_to FROM title_proprietors_history WHERE title_number = 'EX100002' "
                             "AND position = 1")
    assert history == [{"name": "OAK HOLDINGS LIMITED", "valid_to": "2024-07-22"}]
    # A: a new title.
    assert owners[("EX100005", 1)]["name"] == "BEECH PROPCO LIMITED"
    assert owners[("EX100005", 1)]["valid_to"] is None
    # Untouched titles stay as they were: a change file is not a snapshot.
    assert owners[("EX100001", 1)]["valid_to"] is None
    run = rows(registry, "SELECT as_of FROM collection_runs ORDER BY run_id DESC LIMIT 1")[0]
    assert run["as_of"] == "2024-07-22"  # the latest Change Date in the file


def test_change_columns_are_found_by_name(registry, tmp_path):
    """The position of Change Indicator/Change Date is unverified: move them to the front."""
    collect(registry, "ccod", FIXTURES / "CCOD_FULL_2024_05.csv")
    with open(FIXTURES / "CCOD_COU_2024_07.csv", newline="") as f:
        table = list(csv.reader(f))
    moved = tmp_path / "CCOD_COU_2024_07.csv"
    with open(moved, "w", newline="") as f:
        writer = csv.writer(f)
        for line in table:
            writer.writerow(line[-2:] + line[:-2] if len(line) > 1 else line)
    collect(registry, "ccod", moved)
    owners = {(r["title_number"], r["position"]): r for r in rows(registry, "SELECT * FROM title_proprietors")}
    assert owners[("EX100002", 1)]["name"] == "ELM CARE PROPERTIES LIMITED"
    assert owners[("EX100003", 1)]["valid_to"] == "2024-07-09"


def test_postcodes_are_stored_normalised_so_matching_can_use_the_index(registry, tmp_path):
    """Care home matching looks titles up by postcode as normalise_postcode writes it."""
    with open(FIXTURES / "CCOD_FULL_2024_05.csv", newline="") as f:
        table = list(csv.reader(f))
    postcode = table[0].index("Postcode")
    given = {"EX100002": "ex1  2zz", "EX100003": "NOT KNOWN"}
    for line in table[1:]:
        if line and line[0] in given:
            line[postcode] = given[line[0]]
    edited = tmp_path / "CCOD_FULL_2024_05.csv"
    with open(edited, "w", newline="") as f:
        csv.writer(f).writerows(table)
    collect(registry, "ccod", edited)
    stored = {r["title_number"]: r["postcode"] for r in rows(registry, "SELECT title_number, postcode FROM titles")}
    assert stored["EX100002"] == "EX1 2ZZ"
    assert stored["EX100003"] == "NOT KNOWN"  # not a postcode: kept as given


def test_truncated_file_is_refused_and_registry_unchanged(registry):
    collect(registry, "ccod", FIXTURES / "CCOD_FULL_2024_05.csv")
    before = snapshot(registry)
    with pytest.raises(SourceError, match=r"CCOD_FULL_2024_06_truncated.csv: truncated: .*3 rows.*2"):
        collect(registry, "ccod", FIXTURES / "CCOD_FULL_2024_06_truncated.csv")
    assert snapshot(registry) == before


def test_missing_trailer_is_refused_unless_allowed(registry, tmp_path):
    cut = tmp_path / "CCOD_FULL_2024_05.csv"
    lines = (FIXTURES / "CCOD_FULL_2024_05.csv").read_text().splitlines(keepends=True)
    cut.write_text("".join(lines[:-2]))  # stopped at a line boundary: no trailer
    with pytest.raises(SourceError, match="no 'Row Count' trailer after 3 rows"):
        collect(registry, "ccod", cut)
    assert rows(registry, "SELECT count(*) AS n FROM titles") == [{"n": 0}]
    report = collect(registry, "ccod", cut, no_trailer=True)
    assert report.records == 3 + 4  # three titles, four proprietors


def test_file_cut_mid_row_is_refused(registry, tmp_path):
    data = (FIXTURES / "CCOD_FULL_2024_05.csv").read_bytes()
    cut = tmp_path / "CCOD_FULL_2024_05.csv"
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(SourceError, match="truncated"):
        collect(registry, "ccod", cut)
    assert rows(registry, "SELECT count(*) AS n FROM titles") == [{"n": 0}]
    assert rows(registry, "SELECT count(*) AS n FROM rejected_records") == [{"n": 0}]


def test_truncated_download_through_the_cli(tmp_path):
    db = tmp_path / "r.db"
    runner = CliRunner()
    result = runner.invoke(cli, ["collect", "ccod", str(FIXTURES / "CCOD_FULL_2024_06_truncated.csv"),
                                 "--db", str(db)])
    assert result.exit_code == 1
    assert "Error: CCOD_FULL_2024_06_truncated.csv: truncated" in result.output
    assert "Traceback" not in result.output
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM titles").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM collection_runs").fetchone() == (0,)


def test_malformed_rows_are_rejected_with_their_line(registry):
    report = collect(registry, "ccod", FIXTURES / "CCOD_FULL_2024_08_malformed.csv")
    rejected = rows(registry, "SELECT source, line, raw, error FROM rejected_records ORDER BY line")
    assert [(r["line"], r["error"]) for r in rejected] == [
        (3, "expected 35 fields, found 3"),
        (4, "Date Proprietor Added: '31-13-2019' is not a DD-MM-YYYY date (the row is kept without these values)"),
        (5, "Price Paid: 'about a million' is not an amount; Multiple Address Indicator: 'X' is not Y or N "
            "(the row is kept without these values)"),
        (6, "Title Number is empty"),
    ]
    assert rejected[0]["raw"] == "EX200002,Freehold,A short row"
    assert rejected[0]["source"].endswith("CCOD_FULL_2024_08_malformed.csv")
    assert report.rejected == 4
    # A row with one bad value is kept without it, so its landlord is not lost.
    titles = {t["title_number"]: t for t in rows(registry, "SELECT * FROM titles")}
    assert set(titles) == {"EX100001", "EX200003", "EX200004", "EX100004"}
    assert titles["EX200003"]["date_proprietor_added"] is None
    assert titles["EX200004"]["price_paid"] is None and titles["EX200004"]["multiple_address"] is None
    assert titles["EX200004"]["date_proprietor_added"] == "2019-01-01"


def test_ocod_countries(registry):
    collect(registry, "ocod", FIXTURES / "OCOD_FULL_2024_05.csv")
    owners = rows(registry, "SELECT title_number, position, name, company_number, country_incorporated, "
                            "country_incorporated_as_given FROM title_proprietors ORDER BY 1, 2")
    got = {(o["title_number"], o["position"]): o for o in owners}
    assert got[("EX300001", 1)]["country_incorporated"] == "JE"
    assert got[("EX300001", 1)]["country_incorporated_as_given"] == "JERSEY"
    # A country with a comma in it, in a quoted field.
    assert got[("EX300002", 1)]["country_incorporated"] == "US"
    assert got[("EX300002", 1)]["country_incorporated_as_given"] == "DELAWARE, U.S.A."
    assert got[("EX300002", 2)]["country_incorporated"] == "VG"
    assert [got[("EX300003", n)]["country_incorporated"] for n in (1, 2, 3, 4)] == ["IM", "GG", "LU", None]
    # Unknown country: kept as given, no code invented.
    assert got[("EX300003", 4)]["country_incorporated_as_given"] == "NEVERLAND"
    # Foreign registration numbers are kept as given; an OE number is Companies House's.
    assert got[("EX300001", 1)]["company_number"] == "112233"
    assert got[("EX300002", 2)]["company_number"] == "BVI 998877"
    assert got[("EX300003", 1)]["company_number"] == "OE001234"
    titles = rows(registry, "SELECT title_number, dataset, postcode FROM titles ORDER BY 1")
    assert titles[0] == {"title_number": "EX300001", "dataset": "ocod", "postcode": "EX7 8ZZ"}


def test_wrong_collector_for_the_file(registry):
    with pytest.raises(SourceError, match="this is an OCOD file"):
        collect(registry, "ccod", FIXTURES / "OCOD_FULL_2024_05.csv")
    with pytest.raises(SourceError, match="this is a CCOD file"):
        collect(registry, "ocod", FIXTURES / "CCOD_FULL_2024_05.csv")


def test_not_a_land_registry_file(registry, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("Title Number,Something\nX,Y\nRow Count: 1\n")
    with pytest.raises(SourceError, match="not a CCOD file: missing column"):
        collect(registry, "ccod", other)


def test_zip_input(registry, tmp_path):
    path = tmp_path / "CCOD_FULL_2024_05.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(FIXTURES / "CCOD_FULL_2024_05.csv", "CCOD_FULL_2024_05.csv")
    report = collect(registry, "ccod", path)
    assert report.records == 4 + 5
    assert rows(registry, "SELECT DISTINCT valid_from FROM titles") == [{"valid_from": "2024-05-01"}]


def test_broken_zip_is_a_clear_error(registry, tmp_path):
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(FIXTURES / "CCOD_FULL_2024_05.csv", "CCOD_FULL_2024_05.csv")
    data = good.read_bytes()
    cut = tmp_path / "CCOD_FULL_2024_05.zip"
    cut.write_bytes(data[: len(data) // 2])  # a download that stopped halfway
    with pytest.raises(SourceError, match="CCOD_FULL_2024_05.zip: not a zip file, or a broken one"):
        collect(registry, "ccod", cut)
    # Damaged compressed data inside an intact zip.
    corrupt = bytearray(data)
    start = data.index(b"CCOD_FULL_2024_05.csv") + len("CCOD_FULL_2024_05.csv") + 40
    for i in range(start, start + 60):
        corrupt[i] ^= 0xFF
    bad = tmp_path / "CCOD_FULL_2024_06.zip"
    bad.write_bytes(bytes(corrupt))
    with pytest.raises(SourceError, match="broken zip"):
        collect(registry, "ccod", bad)
    assert rows(registry, "SELECT count(*) AS n FROM titles") == [{"n": 0}]


def test_zip_without_one_csv(registry, tmp_path):
    path = tmp_path / "CCOD_FULL_2024_05.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "nothing here")
    with pytest.raises(SourceError, match="expected one CSV file in the zip, found readme.txt"):
        collect(registry, "ccod", path)


def test_older_month_is_refused_unless_allowed(registry):
    collect(registry, "ccod", FIXTURES / "CCOD_FULL_2024_06.csv")
    with pytest.raises(SourceError, match="older than 2024-06-01 already applied"):
        collect(registry, "ccod", FIXTURES / "CCOD_FULL_2024_05.csv")
    collect(registry, "ccod", FIXTURES / "CCOD_FULL_2024_05.csv", allow_older=True)


def test_one_file_per_run(registry):
    with pytest.raises(SourceError, match="give one file per run"):
        registry.collect(get_collectors()["ccod"], files=[FIXTURES / "CCOD_FULL_2024_05.csv",
                                                          FIXTURES / "CCOD_FULL_2024_06.csv"])


def test_undecodable_text_names_the_line(registry, tmp_path):
    text = (FIXTURES / "CCOD_FULL_2024_05.csv").read_bytes().replace(b"Oak House", b"Oak H\xf4use")
    path = tmp_path / "CCOD_FULL_2024_05.csv"
    path.write_bytes(text)
    with pytest.raises(SourceError, match=r"line 3: not utf-8-sig text .*--encoding cp1252"):
        collect(registry, "ccod", path)
    collect(registry, "ccod", path, encoding="cp1252")
    assert rows(registry, "SELECT property_address FROM titles WHERE title_number = 'EX100002'") == [
        {"property_address": "Oak Hôuse, 2 Sample Lane, Exampleton"}]


def test_cli_collects_a_file(tmp_path):
    db = tmp_path / "r.db"
    result = CliRunner().invoke(cli, ["collect", "ocod", str(FIXTURES / "OCOD_FULL_2024_05.csv"), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "ocod: 10 records read" in result.output


@pytest.mark.parametrize(
    "address, expected",
    [
        ("1 Example Street, Middlesbrough (TS1 9ZZ)", "TS1 9ZZ"),
        ("Flat 2, 3 Sample Road, London (sw1a1aa)", "SW1A 1AA"),
        ("land adjoining (part of) Sample Farm, Exampleton (EX1 2ZZ)", "EX1 2ZZ"),
        ("Sample House (formerly the Old Mill), Exampleton", None),
        ("No brackets at all", None),
        (None, None),
    ],
)
def test_postcode_in_address(address, expected):
    from inspect_kit_land_registry.rows import postcode_in_address

    assert postcode_in_address(address) == expected


@pytest.mark.parametrize("text", ["2019-01-01", "1-1-2019", "31-02-2019", "01/13/2019x"])
def test_bad_dates(text):
    from inspect_kit_land_registry.rows import parse_date

    with pytest.raises(ValueError):
        parse_date(text)


def test_file_month():
    from inspect_kit_land_registry.files import file_month, kind_from_name

    assert str(file_month("CCOD_FULL_2024_05.zip")) == "2024-05-01"
    assert str(file_month("OCOD_COU_2023_12.csv")) == "2023-12-01"
    assert file_month("ccod.csv") is None
    assert kind_from_name("CCOD_COU_2024_05.zip") == "change"
    assert kind_from_name("CCOD_FULL_2024_05.zip") == "full"
    assert kind_from_name("extract.csv") is None


def test_change_file_oddities(registry, tmp_path):
    """Added then deleted in the same month; a bad Change Indicator; a bad date in an A row."""
    m = make_fixtures
    rows_ = [
        m.row("EX400001", "Short Stay House", "EX8 1ZZ", added="02-07-2024",
              proprietors=[("BRIEF OWNER LIMITED", "42", m.LTD, "1 Road")], change=("A", "02-07-2024")),
        m.row("EX400001", "Short Stay House", "EX8 1ZZ", added="02-07-2024",
              proprietors=[("BRIEF OWNER LIMITED", "42", m.LTD, "1 Road")], change=("D", "20-07-2024")),
        m.row("EX400002", "Odd House", "EX8 2ZZ", proprietors=[("ODD LIMITED", "43", m.LTD, "1 Road")],
              change=("X", "03-07-2024")),
        m.row("EX400003", "Late House", "EX8 3ZZ", added="32-07-2024",
              proprietors=[("LATE LIMITED", "44", m.LTD, "1 Road")], change=("A", "04-07-2024")),
    ]
    monkey = tmp_path / "out"
    monkey.mkdir()
    m_here, m.HERE = m.HERE, monkey
    try:
        path = m.write("CCOD_COU_2024_07.csv", m.header(False, change=True), rows_)
    finally:
        m.HERE = m_here
    report = collect(registry, "ccod", path)
    brief = rows(registry, "SELECT name, valid_to FROM title_proprietors WHERE title_number = 'EX400001'")
    assert brief == [{"name": "BRIEF OWNER LIMITED", "valid_to": "2024-07-20"}]
    rejected = rows(registry, "SELECT line, error FROM rejected_records ORDER BY line")
    assert rejected == [
        {"line": 4, "error": "Change Indicator 'X' is not A or D"},
        {"line": 5, "error": "Date Proprietor Added: '32-07-2024' is not a DD-MM-YYYY date "
                             "(the row is kept without these values)"},
    ]
    assert report.rejected == 2
    assert rows(registry, "SELECT date_proprietor_added, valid_to FROM titles WHERE title_number = 'EX400003'") == [
        {"date_proprietor_added": None, "valid_to": None}]
