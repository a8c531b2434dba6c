import json
import re
import zipfile

import pytest
from click.testing import CliRunner

from companies_house_support import FIXTURES, REALDATA, by_id, collect, dump, open_registry, rows
from inspect_kit import SourceError
from inspect_kit.cli import cli
from inspect_kit.plugins import get_collectors

CSV = FIXTURES / "basic_company_data.csv"


@pytest.fixture
def registry(tmp_path):
    reg = open_registry(tmp_path / "registry.db")
    yield reg
    reg.close()


def test_real_basic_company_data_row(registry):
    report = collect(registry, "companies-house-bulk", [REALDATA / "ch_basic_company_data_sample.csv"])
    assert (report.records, report.rejected) == (1, 0)
    entity = by_id(registry, "entities")["GB-COH-07687209"]
    assert entity["name"] == "!OBAC UK LIMITED"
    assert entity["company_number"] == "07687209"  # kept as text, leading zero and all
    assert entity["entity_type"] == "company"
    assert entity["jurisdiction"] == "GB"
    assert entity["status"] == "active"
    assert entity["company_type"] == "Private Limited Company"
    assert entity["incorporation_date"] == "2011-06-29"  # DD/MM/YYYY
    assert entity["dissolution_date"] is None
    assert json.loads(entity["sic_codes"]) == ["70229"]
    assert entity["accounts_category"] == "TOTAL EXEMPTION FULL"
    assert (entity["mortgages_charges"], entity["mortgages_outstanding"]) == (1, 0)
    # Runs of spaces collapsed; the registered office is a company address, so it is kept.
    assert entity["address"] == "UNIT 9 BERRY COURT FARM BRAMLEY ROAD, LITTLE LONDON, TADLEY, HAMPSHIRE, RG26 5AT"


def test_fixture_quirks(registry):
    report = collect(registry, "companies-house-bulk", [CSV])
    assert (report.records, report.rejected) == (4, 0)
    entities = by_id(registry, "entities")
    care = entities["GB-COH-01234567"]
    assert care["address"] == "1 EXAMPLE STREET, MIDDLESBROUGH, TS1 2AB"
    assert json.loads(care["sic_codes"]) == ["87100", "87300"]
    assert (care["mortgages_charges"], care["mortgages_outstanding"]) == (3, 2)
    scottish = entities["GB-COH-SC765432"]
    assert scottish["status"] == "active-proposal-to-strike-off"
    assert scottish["sic_codes"] is None  # "None Supplied" is not a code
    overseas = entities["GB-COH-OE000123"]
    assert overseas["entity_type"] == "overseas_entity"
    assert overseas["jurisdiction"] == "JE"
    assert overseas["status"] == "registered"
    dissolved = entities["GB-COH-07654321"]  # unpadded in the file
    assert dissolved["company_number"] == "07654321"
    assert dissolved["status"] == "dissolved"
    assert dissolved["dissolution_date"] == "2020-12-31"
    assert dissolved["company_type"].startswith("PRI/LTD BY GUAR/NSC")


def test_zip_is_read_without_unpacking(registry, tmp_path):
    archive = tmp_path / "BasicCompanyDataAsOneFile-2024-05-01.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(CSV, "BasicCompanyDataAsOneFile-2024-05-01.csv")
    report = collect(registry, "companies-house-bulk", [archive])
    assert report.records == 4
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".csv") == []
    source = rows(registry, "select source from collection_runs")[0]["source"]
    assert source == archive.name


def test_short_row_and_bad_date_are_rejected_with_line(registry, tmp_path):
    lines = CSV.read_text().splitlines(keepends=True)
    broken = lines[1].replace('"01/02/2003"', '"31/02/2003"')
    short = '"SHORT ROW LIMITED","09999999","",""\r\n'
    path = tmp_path / "companies.csv"
    path.write_text(lines[0] + broken + short + "".join(lines[2:]))
    report = collect(registry, "companies-house-bulk", [path])
    assert (report.records, report.rejected) == (3, 2)
    rejected = rows(registry, "select line, error, raw from rejected_records order by line")
    assert rejected[0]["line"] == 2 and "IncorporationDate" in rejected[0]["error"]
    assert "31/02/2003" in rejected[0]["raw"]
    assert rejected[1]["line"] == 3 and "4 fields where the header has 55" in rejected[1]["error"]
    assert "GB-COH-09999999" not in by_id(registry, "entities")


def test_broken_and_truncated_zips_change_nothing(registry, tmp_path):
    collect(registry, "companies-house-bulk", [CSV])
    before = dump(registry)
    not_a_zip = tmp_path / "BasicCompanyDataAsOneFile-2024-06-01.zip"
    not_a_zip.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(SourceError, match="not a readable zip"):
        collect(registry, "companies-house-bulk", [not_a_zip])
    # A download cut short: the central directory is lost.
    whole = tmp_path / "whole.zip"
    with zipfile.ZipFile(whole, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("big.csv", CSV.read_text() * 1)
    cut = tmp_path / "BasicCompanyDataAsOneFile-2024-07-01.zip"
    cut.write_bytes(whole.read_bytes()[:-40])
    with pytest.raises(SourceError, match="BasicCompanyDataAsOneFile-2024-07-01.zip"):
        collect(registry, "companies-house-bulk", [cut])
    assert dump(registry) == before


def test_damaged_member_data_is_a_source_error(registry, tmp_path):
    archive = tmp_path / "damaged.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("data.csv", CSV.read_text() * 50)
    data = bytearray(archive.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 20] = b"\x00" * 20  # corrupt the deflate stream
    archive.write_bytes(bytes(data))
    with pytest.raises(SourceError, match="damaged.zip"):
        collect(registry, "companies-house-bulk", [archive])
    assert rows(registry, "select count(*) n from entities")[0]["n"] == 0


def test_wrong_file_is_refused(registry, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("Title Number,Tenure\nAB1,Freehold\n")
    with pytest.raises(SourceError, match="no CompanyName, CompanyNumber column"):
        collect(registry, "companies-house-bulk", [path])


def test_whole_file_is_a_full_snapshot_but_a_part_is_not(registry, tmp_path):
    collect(registry, "companies-house-bulk", [CSV])
    lines = CSV.read_text().splitlines(keepends=True)
    without_scottish = "".join(l for l in lines if "SC765432" not in l)
    part = tmp_path / "BasicCompanyData-2024-06-01-part1_2.csv"
    part.write_text(without_scottish)
    report = collect(registry, "companies-house-bulk", [part])
    assert report.ended == 0  # one part of two says nothing about the rest
    whole = tmp_path / "BasicCompanyDataAsOneFile-2024-07-01.csv"
    whole.write_text(without_scottish)
    report = collect(registry, "companies-house-bulk", [whole])
    assert report.ended == 1
    ended = by_id(registry, "entities")["GB-COH-SC765432"]
    assert ended["valid_to"] is not None
    # The same file again changes nothing.
    report = collect(registry, "companies-house-bulk", [whole])
    assert (report.changed, report.ended) == (0, 0)


def test_cli_reports_a_broken_zip_in_one_line(tmp_path):
    bad = tmp_path / "BasicCompanyDataAsOneFile-2024-06-01.zip"
    bad.write_bytes(b"not a zip at all")
    result = CliRunner().invoke(cli, ["collect", "companies-house-bulk", str(bad), "--db", str(tmp_path / "r.db")])
    assert result.exit_code == 1
    assert "not a readable zip" in result.output
    assert "Traceback" not in result.output


def test_latest_file_pattern_matches_the_published_names():
    collector = get_collectors()["companies-house-bulk"]
    assert collector.latest_page.startswith("http://download.companieshouse.gov.uk/")
    page = '<a href="BasicCompanyDataAsOneFile-2024-05-01.zip">x</a> <a href="BasicCompanyData-2024-05-01-part1_7.zip">'
    assert re.findall(collector.latest_pattern, page) == ["BasicCompanyDataAsOneFile-2024-05-01.zip"]


def test_a_csv_cut_mid_row_is_refused(registry, tmp_path):
    text = CSV.read_text()
    cut = tmp_path / "BasicCompanyDataAsOneFile-2024-05-01.csv"
    cut.write_text(text[: text.rindex('"Private Limited Company"') - 30])
    with pytest.raises(SourceError, match="line 3: the last row is cut short; the file is truncated"):
        collect(registry, "companies-house-bulk", [cut])
    assert rows(registry, "select count(*) n from entities")[0]["n"] == 0


def test_a_last_row_without_line_ending_is_fine(registry, tmp_path):
    path = tmp_path / "companies.csv"
    path.write_text(CSV.read_text().rstrip("\r\n"))
    assert collect(registry, "companies-house-bulk", [path]).records == 4
