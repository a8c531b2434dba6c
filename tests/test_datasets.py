"""The generated demo data: deterministic, in the real formats, and true to its story.

Headers are checked against the verbatim headers of the reference
(formats.md) and, where present, the real records in the shared realdata
folder; the story facts in scenario.json are checked against the files
themselves, so a generator change that breaks the story fails here.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import sys
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from datasets import generate as gen  # noqa: E402

from inspect_kit.matching import normalise_company_number  # noqa: E402

COMMITTED = ROOT / "datasets" / "demo"
REALDATA = Path(os.environ.get("INSPECT_KIT_REALDATA", "/work/shared/realdata"))

# Verbatim from formats.md §4.1 / §4.2 / §2.1 (not from the generator).
CCOD_HEADER_TEXT = (
    "Title Number,Tenure,Property Address,District,County,Region,Postcode,Multiple Address Indicator,Price Paid,"
    "Proprietor Name (1),Company Registration No. (1),Proprietorship Category (1),Proprietor (1) Address (1),"
    "Proprietor (1) Address (2),Proprietor (1) Address (3),Proprietor Name (2),Company Registration No. (2),"
    "Proprietorship Category (2),Proprietor (2) Address (1),Proprietor (2) Address (2),Proprietor (2) Address (3),"
    "Proprietor Name (3),Company Registration No. (3),Proprietorship Category (3),Proprietor (3) Address (1),"
    "Proprietor (3) Address (2),Proprietor (3) Address (3),Proprietor Name (4),Company Registration No. (4),"
    "Proprietorship Category (4),Proprietor (4) Address (1),Proprietor (4) Address (2),Proprietor (4) Address (3),"
    "Date Proprietor Added,Additional Proprietor Indicator"
)
DIRECTORY_HEADER_TEXT = (
    "Name, Also known as, Address, Postcode, Phone number, Service's website (if available), Service types,"
    " Date of latest check, Specialisms/services, Provider name, Local authority, Region, Location URL,"
    " CQC Location ID (for office use only), CQC Provider ID (for office use only)"
)
PSC_KINDS = {
    "individual-person-with-significant-control", "corporate-entity-person-with-significant-control",
    "legal-person-person-with-significant-control", "super-secure-person-with-significant-control",
    "individual-beneficial-owner", "corporate-entity-beneficial-owner", "legal-person-beneficial-owner",
    "super-secure-beneficial-owner",
}
DMY = re.compile(r"^\d{2}/\d{2}/\d{4}$")
DMY_DASH = re.compile(r"^\d{2}-\d{2}-\d{4}$")


# ---------------------------------------------------------------------------
# Reading the generated files (zip or plain) as their users would
# ---------------------------------------------------------------------------


def open_text(path: Path, encoding="utf-8"):
    if path.suffix == ".zip":
        zf = zipfile.ZipFile(path)
        (member,) = zf.namelist()
        return io.TextIOWrapper(zf.open(member), encoding=encoding, newline="")
    return open(path, encoding=encoding, newline="")


def manifest_files(data: Path, collector: str) -> list[Path]:
    entry = next(e for e in json.loads((data / "manifest.json").read_text())["collect"] if e["collector"] == collector)
    return [data / f for f in entry.get("files", [])]


class Dataset:
    """Parsed views of one generated dataset, loaded once."""

    def __init__(self, path: Path):
        self.path = path
        self.facts = json.loads((path / "scenario.json").read_text())
        self.locations = [json.loads(line) for line in open(path / "cqc-api" / "locations.jsonl")]
        self.providers = [json.loads(line) for line in open(path / "cqc-api" / "providers.jsonl")]
        with open_text(manifest_files(path, "companies-house-bulk")[0]) as f:
            rows = list(csv.reader(f))
        self.basic_header, self.basic_rows = rows[0], rows[1:]
        self.companies = {r[1]: r for r in self.basic_rows}
        with open_text(manifest_files(path, "psc-snapshot")[0]) as f:
            self.psc_raw = f.read().splitlines()
        self.psc = [json.loads(line) for line in self.psc_raw]
        self.psc_by_company = defaultdict(list)
        for line in self.psc[:-1]:
            self.psc_by_company[line["company_number"]].append(line["data"])
        self.land = {}
        for dataset in ("ccod", "ocod"):
            full, cou = manifest_files(path, dataset)
            self.land[dataset] = {"full": self._csv(full), "cou": self._csv(cou)}
        self.truth = list(csv.DictReader(open(path / "truth" / "home_titles.csv")))

    @staticmethod
    def _csv(path):
        with open_text(path) as f:
            rows = list(csv.reader(f))
        return {"header": rows[0], "rows": rows[1:-1], "trailer": rows[-1], "name": path.name}

    def titles(self, dataset, which="full"):
        part = self.land[dataset][which]
        return [dict(zip(part["header"], r)) for r in part["rows"]]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny")
    gen.generate(out, scale="tiny")
    return out


@pytest.fixture(scope="module", params=["tiny", "committed-demo"])
def data(request, tiny):
    return Dataset(tiny if request.param == "tiny" else COMMITTED)


def digest(directory: Path) -> dict[str, str]:
    """What each file holds: a zip's member names and contents, not its compressed bytes,
    which differ between zlib builds."""
    return {p.relative_to(directory).as_posix(): _content_digest(p)
            for p in sorted(directory.rglob("*")) if p.is_file()}


def _content_digest(path: Path) -> str:
    if path.suffix != ".zip":
        return hashlib.sha256(path.read_bytes()).hexdigest()
    sha = hashlib.sha256()
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            sha.update(info.filename.encode() + b"\0" + archive.read(info) + b"\0")
    return sha.hexdigest()


# ---------------------------------------------------------------------------
# Determinism and the committed copy
# ---------------------------------------------------------------------------


def test_same_seed_same_bytes(tiny, tmp_path):
    gen.generate(tmp_path, scale="tiny")
    assert digest(tmp_path) == digest(tiny)


def test_other_seed_other_data(tiny, tmp_path):
    gen.generate(tmp_path, scale="tiny", seed=gen.SEED + 1)
    assert digest(tmp_path)["scenario.json"] != digest(tiny)["scenario.json"]


def test_committed_demo_is_what_the_generator_writes(tmp_path):
    gen.generate(tmp_path, scale="demo")
    assert digest(tmp_path) == digest(COMMITTED), "run: python -m datasets.generate --scale demo --out datasets/demo"


def test_committed_demo_is_small():
    size = sum(p.stat().st_size for p in COMMITTED.rglob("*") if p.is_file())
    assert size < 5_000_000


def test_scales_match_the_brief():
    national = gen.SCALES["national"]
    assert (national.homes, national.companies, national.psc_lines, national.titles) == (
        15_000, 5_000_000, 10_000_000, 4_000_000)


def test_plain_files_hold_the_same_text(tmp_path, tiny):
    gen.generate(tmp_path, scale="tiny", zipped=False)
    plain = tmp_path / "land-registry" / "CCOD_FULL_2026_10.csv"
    with open_text(tiny / "land-registry" / "CCOD_FULL_2026_10.zip") as zipped:
        assert plain.read_bytes().decode("utf-8") == zipped.read()


# ---------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------


def test_basic_company_data_format(data):
    header = data.basic_header
    assert len(header) == 55
    for name in (" CompanyNumber", " RegAddress.AddressLine2", " PreviousName_1.CompanyName", " ConfStmtLastMadeUpDate"):
        assert name in header, name
    real = REALDATA / "ch_basic_company_data_sample.csv"
    if real.exists():
        assert header == next(csv.reader(open(real)))
    with open_text(manifest_files(data.path, "companies-house-bulk")[0]) as f:
        first_lines = [next(f) for _ in range(50)]
    assert all(line.startswith('"') and line.endswith('"\r\n') for line in first_lines), "every field quoted, CRLF"
    col = {name.strip(): i for i, name in enumerate(header)}
    for row in data.basic_rows:
        assert len(row) == 55
        assert len(row[col["CompanyNumber"]]) == 8
        assert DMY.match(row[col["IncorporationDate"]])
    categories = Counter(r[col["CompanyCategory"]] for r in data.basic_rows)
    assert {"Private Limited Company", "Registered Overseas Entity", "Limited Liability Partnership"} <= set(categories)
    assert any(r[col["CompanyName"]].startswith("!") for r in data.basic_rows) or data.facts["scale"] == "tiny"


def test_directory_csv_format(data):
    (path,) = manifest_files(data.path, "cqc-directory")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "the directory starts with a BOM"
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "CQC Locations data" and lines[1] == "" and lines[3] == ""
    assert re.fullmatch(r"This data was produced on \d{2} \w+ \d{4}", lines[2])
    # formats.md prints the names with a space after each comma; the file has none (readers strip them).
    assert lines[4].split(",") == [h.strip() for h in DIRECTORY_HEADER_TEXT.split(",")]
    rows = list(csv.DictReader(io.StringIO("\r\n".join(lines[4:]))))
    assert len(rows) == data.facts["counts"]["cqc_directory_rows"]
    assert any("|" in r["Service types"] for r in rows)
    assert all(DMY.match(r["Date of latest check"]) for r in rows)


def test_cqc_api_records(data):
    by_id = {loc["locationId"]: loc for loc in data.locations}
    registered_homes = [l for l in data.locations if l["careHome"] == "Y" and l["registrationStatus"] == "Registered"]
    assert len(registered_homes) == data.facts["care_homes"]
    assert all(re.fullmatch(r"1-\d{9,10}", l["locationId"]) for l in data.locations)
    assert any("uprn" not in l for l in data.locations), "absent keys, not nulls, as the API does"
    assert all(c["primary"] == "true" for l in data.locations for c in l["inspectionCategories"])
    assert {a["code"] for l in data.locations for a in l["regulatedActivities"]} >= {"RA1", "RA2"}
    successors = [l for l in data.locations if any(r["type"] == "HSCA Predecessor" for r in l["relationships"])]
    assert successors and all(by_id[r["relatedLocationId"]]["registrationStatus"] == "Deregistered"
                              for l in successors for r in l["relationships"])
    real = REALDATA / "cqc_locations_sample.jsonl"
    if real.exists():
        real_keys = set().union(*(json.loads(line).keys() for line in open(real)))
        extra = set().union(*(l.keys() for l in data.locations)) - real_keys - {"onspdIcbCode", "onspdIcbName"}
        assert not extra, f"keys the real API does not have: {extra}"
    for provider in data.providers:
        if "companiesHouseNumber" in provider:
            assert len(provider["companiesHouseNumber"]) == 8


def test_psc_snapshot_format(data):
    kinds = Counter(line["data"]["kind"] for line in data.psc)
    assert PSC_KINDS <= set(kinds), f"missing kinds: {PSC_KINDS - set(kinds)}"
    trailer = data.psc[-1]
    assert "company_number" not in trailer
    totals = trailer["data"]
    assert totals["kind"] == "totals#persons-of-significant-control-snapshot"
    assert totals["persons_of_significant_control_count"] == sum(kinds[k] for k in PSC_KINDS)
    assert totals["statements_count"] == kinds["persons-with-significant-control-statement"]
    assert totals["exemptions_count"] == kinds["exemptions"]
    statements = {line["data"].get("statement") for line in data.psc}
    assert "no-individual-or-entity-with-signficant-control" in statements  # CH's typo, verbatim
    datas = [line["data"] for line in data.psc[:-1]]
    assert any("ceased_on" in d for d in datas)
    corporate = [d for d in datas if d["kind"].startswith("corporate-entity")]
    assert any(d["identification"]["registration_number"].isdigit() and len(d["identification"]["registration_number"]) < 8
               for d in corporate), "unpadded registration numbers"
    assert len({d["identification"]["country_registered"] for d in corporate}) >= 3, "free-text countries"
    for d in datas:
        assert d["links"]["self"].split("/")[2] in data.psc_by_company or d["kind"] == "exemptions"
        if "date_of_birth" in d:
            assert set(d["date_of_birth"]) == {"month", "year"}
    assert all(", " not in line[:40] for line in data.psc_raw), "compact JSON, as the real file"
    real = REALDATA / "ch_psc_snapshot_line.jsonl"
    if real.exists():
        real_keys = set(json.loads(real.read_text())["data"])
        ours = [d for d in datas if d["kind"] == "individual-person-with-significant-control"]
        assert all(set(d) <= real_keys for d in ours)
        assert any(set(d) == real_keys for d in ours)


def test_land_registry_formats(data):
    ccod, ocod = data.land["ccod"]["full"], data.land["ocod"]["full"]
    assert ccod["header"] == CCOD_HEADER_TEXT.split(",")
    assert len(ocod["header"]) == 39
    for n in range(1, 5):
        i = ocod["header"].index(f"Proprietorship Category ({n})")
        assert ocod["header"][i + 1] == f"Country Incorporated ({n})"
    for dataset in ("ccod", "ocod"):
        for which in ("full", "cou"):
            part = data.land[dataset][which]
            assert part["trailer"] == [f"Row Count: {len(part['rows'])}"], part["name"]
        cou = data.land[dataset]["cou"]
        assert cou["header"][-2:] == ["Change Indicator", "Change Date"]
        assert {r[-2] for r in cou["rows"]} <= {"A", "D"}
        assert all(DMY_DASH.match(r[-1]) for r in cou["rows"])
    rows = data.titles("ccod") + data.titles("ocod")
    assert all(DMY_DASH.match(r["Date Proprietor Added"]) for r in rows)
    numbers = [r["Company Registration No. (1)"] for r in data.titles("ccod")]
    assert any(n.isdigit() and len(n) < 8 for n in numbers), "numbers missing leading zeros"
    countries = {r["Country Incorporated (1)"] for r in data.titles("ocod")}
    assert {"JERSEY", "BRITISH VIRGIN ISLANDS", "DELAWARE, U.S.A."} <= countries
    bracketed = [r for r in rows if r["Postcode"]]
    assert all(r["Property Address"].endswith(f"({r['Postcode']})") for r in bracketed)
    assert any(not r["Postcode"] for r in rows), "some titles describe land without a postcode"


def test_neighbours_share_postcodes(data):
    by_postcode = Counter(r["Postcode"] for r in data.titles("ccod") + data.titles("ocod") if r["Postcode"])
    home_postcodes = {l["postalCode"] for l in data.locations if l["careHome"] == "Y"}
    shared = [pc for pc in home_postcodes if by_postcode[pc] >= 2]
    assert len(shared) >= len(home_postcodes) // 4


def test_bods_file(data):
    (path,) = manifest_files(data.path, "bods")
    statements = json.loads(path.read_text())
    records = {s["recordId"] for s in statements}
    for s in statements:
        assert s["publicationDetails"]["bodsVersion"] == "0.4"
        assert s["recordType"] in {"entity", "person", "relationship"}
        if s["recordType"] == "relationship":
            assert s["recordDetails"]["subject"] in records
            assert s["recordDetails"]["interestedParty"] in records
    assert len({s["statementId"] for s in statements}) == len(statements)


# ---------------------------------------------------------------------------
# The story, checked against the files
# ---------------------------------------------------------------------------


def test_big_operator(data):
    big = data.facts["big_operator"]
    homes = [l for l in data.locations if l["providerId"] == big["provider_id"] and l["careHome"] == "Y"]
    assert len(homes) == big["homes"] >= 40
    provider = next(p for p in data.providers if p["providerId"] == big["provider_id"])
    assert provider["companiesHouseNumber"] == big["company_number"] in data.companies
    assert big["landlord_count"] == len(big["landlords"]) == 18
    assert big["homes_sold_and_leased_back"] == sum(l["homes"] for l in big["landlords"])
    reasons = {l["reason"] for l in big["landlords"] if not l["traceable"]}
    assert reasons == {"psc_statement", "super_secure", "not_in_register", "overseas_no_roe",
                       "foreign_owner_no_record", "no_psc_filed", "cycle", "roe_statement",
                       "super_secure_beneficial_owner"}


def test_each_landlord_owns_its_titles(data):
    titles = {r["Title Number"]: r for r in data.titles("ccod") + data.titles("ocod")}
    for landlord in data.facts["big_operator"]["landlords"]:
        assert len(landlord["titles"]) == landlord["homes"]
        for number in landlord["titles"]:
            row = titles[number]
            assert row["Proprietor Name (1)"] == landlord["name"]
            if landlord["register"] == "ocod":
                assert row["Country Incorporated (1)"] == landlord["country_incorporated"]
            elif landlord["company_number"]:
                assert normalise_company_number(row["Company Registration No. (1)"]) == landlord["company_number"]


def _statements(data, number):
    return {d.get("statement") for d in data.psc_by_company.get(number, [])}


def _kinds(data, number):
    return {d["kind"] for d in data.psc_by_company.get(number, []) if "ceased_on" not in d}


def test_untraceable_landlords_are_untraceable_for_the_stated_reason(data):
    names = {r[0] for r in data.basic_rows}
    for l in data.facts["big_operator"]["landlords"]:
        number, reason = l["company_number"], l["reason"]
        if reason == "psc_statement":
            assert _statements(data, number) & set(gen.PSC_STATEMENTS_UNKNOWN)
            assert not _kinds(data, number) - {"persons-with-significant-control-statement"}
        elif reason == "super_secure":
            assert _kinds(data, number) == {"super-secure-person-with-significant-control"}
        elif reason == "not_in_register":
            assert number not in data.companies
        elif reason == "overseas_no_roe":
            assert number is None and l["name"] not in names
        elif reason == "foreign_owner_no_record":
            (owner,) = data.psc_by_company[number]
            assert owner["identification"]["country_registered"] == "Cayman Islands"
            assert owner["name"] not in names
            assert normalise_company_number(owner["identification"]["registration_number"]) not in data.companies
        elif reason == "no_psc_filed":
            assert number in data.companies and number not in data.psc_by_company
            assert data.companies[number][11] == "Active"
        elif reason == "cycle":
            (up,) = data.psc_by_company[number]
            other = normalise_company_number(up["identification"]["registration_number"])
            (back,) = data.psc_by_company[other]
            assert normalise_company_number(back["identification"]["registration_number"]) == number
        elif reason == "roe_statement":
            assert number.startswith("OE") and "no-beneficial-owner-identified" in _statements(data, number)
            assert data.companies[number][0] == l["name"], "the ROE record is found by the OCOD name"
        elif reason == "super_secure_beneficial_owner":
            assert "super-secure-beneficial-owner" in _kinds(data, number)
        else:
            assert l["traceable"]


def test_traceable_landlords_reach_a_person_or_a_listed_company(data):
    for l in data.facts["big_operator"]["landlords"]:
        if not l["traceable"]:
            continue
        number = l["company_number"]
        assert number in data.companies
        kinds = _kinds(data, number)
        if l["reason"] == "listed_company":
            assert kinds == {"exemptions"}
        elif l["reason"] == "roe_corporate_owner_in_bods":
            assert "corporate-entity-beneficial-owner" in kinds
            (path,) = manifest_files(data.path, "bods")
            bods = json.loads(path.read_text())
            assert any(s["recordType"] == "person" for s in bods)
            assert any(i.get("id") == number for s in bods for i in s["recordDetails"].get("identifiers", []))
        else:
            assert kinds & {"individual-person-with-significant-control", "individual-beneficial-owner",
                            "corporate-entity-person-with-significant-control"}
            for owner in l["owners"]:
                company = owner["link"].split("/")[2]
                assert any(d.get("name") == owner["name"] for d in data.psc_by_company[company])


def test_common_control(data):
    group = data.facts["common_control"]
    parent = group["parent_company_number"]
    for company in (group["operator_company_number"], group["landlord_company_number"]):
        (psc,) = data.psc_by_company[company]
        assert psc["kind"] == "corporate-entity-person-with-significant-control"
        assert normalise_company_number(psc["identification"]["registration_number"]) == parent
    homes = [l for l in data.locations if l["providerId"] == group["provider_id"]]
    assert len(homes) == group["homes"]
    landlord_titles = [r for r in data.titles("ccod") if r["Proprietor Name (1)"] == group["landlord"]]
    assert len(landlord_titles) == group["homes"]


def test_truth_and_independent_homes(data):
    titles = {r["Title Number"] for r in data.titles("ccod") + data.titles("ocod")}
    assert all(t["title_number"] in titles for t in data.truth)
    with_title = {t["location_id"] for t in data.truth}
    homes = [l for l in data.locations if l["careHome"] == "Y" and l["registrationStatus"] == "Registered"]
    without = [l for l in homes if l["locationId"] not in with_title]
    assert len(without) == data.facts["independent"]["homes_without_ccod_title"]


def test_next_month_changes(data):
    transfers = data.facts["changes_next_month"]["title_transfers"]
    deleted = {r["Title Number"] for r in data.titles("ccod", "cou") if r["Change Indicator"] == "D"}
    added = {r["Title Number"]: r for r in data.titles("ocod", "cou") if r["Change Indicator"] == "A"}
    for t in transfers:
        assert t["title_number"] in deleted
        assert added[t["title_number"]]["Proprietor Name (1)"] == t["to"]
    assert data.facts["counts"]["ccod_cou_indicators"] == dict(Counter(r[-2] for r in data.land["ccod"]["cou"]["rows"]))
