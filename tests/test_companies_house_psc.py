import json
import sqlite3
import zipfile

import pytest

from companies_house_support import FIXTURES, REALDATA, by_id, collect, dump, open_registry, rows
from inspect_kit import Entity, Relationship, SourceError
from inspect_kit_companies_house.psc import PscError, nature_of_control, psc_records

SNAPSHOT = FIXTURES / "psc_snapshot.txt"
LINES = SNAPSHOT.read_text().splitlines(keepends=True)
COMPANY = "GB-COH-01234567"


@pytest.fixture
def registry(tmp_path):
    reg = open_registry(tmp_path / "registry.db")
    yield reg
    reg.close()


def write(tmp_path, name, lines):
    path = tmp_path / name
    path.write_text("".join(lines))
    return path


def test_real_snapshot_line(registry):
    report = collect(registry, "psc-snapshot", [REALDATA / "ch_psc_snapshot_line.jsonl"], partial=True)
    assert (report.records, report.rejected) == (2, 0)
    person_id = "GB-COH-09145694/psc/bIhuKnMFctSnjrDjUG8n3NgOrlU"
    person = by_id(registry, "entities")[person_id]
    assert person["name"] == "Mrs Nga Thanh Wildman"
    assert person["entity_type"] == "person"
    assert person["birth_month"] == "1977-02"
    assert (person["nationality"], person["country_of_residence"]) == ("Vietnamese", "England")
    relationship = by_id(registry, "relationships")[person_id + "#ownership-of-shares-50-to-75-percent"]
    assert relationship["subject_id"] == "GB-COH-09145694"
    assert relationship["interested_party_id"] == person_id
    assert (relationship["interest_type"], relationship["share_min"], relationship["share_max"]) == ("shareholding", 50, 75)
    # Ceased, and kept as an ended relationship.
    assert (relationship["start_date"], relationship["end_date"]) == ("2016-04-06", "2018-05-14")


def test_a_persons_address_is_never_stored(registry):
    collect(registry, "psc-snapshot", [REALDATA / "ch_psc_snapshot_line.jsonl"], partial=True)
    collect(registry, "psc-snapshot", [SNAPSHOT])
    everything = json.dumps(dump(registry))
    for fragment in ("St. Andrews Road", "RG9 1HP", "Henley", "Private Lane", "ZZ1 1ZZ"):
        assert fragment not in everything


def test_real_stream_psc_item_maps_like_a_snapshot_line():
    event = json.loads((REALDATA / "ch_stream_psc_event_14101021.json").read_text())
    records = psc_records("14101021", event["data"])
    relationships = [r for r in records if isinstance(r, Relationship)]
    assert [(r.interest_type, r.share_min, r.share_max) for r in relationships] == [
        ("shareholding", 75, 100), ("votingRights", 75, 100), ("appointmentOfBoard", None, None)
    ]
    (person,) = [r for r in records if isinstance(r, Entity)]
    assert person.id == "GB-COH-14101021/psc/VLR98wu5c2fzRanelWt-zGD6oFw"
    assert person.birth_month == "1995-12" and person.address is None


def test_real_totals_trailer_is_recognised_and_checked(registry, tmp_path):
    trailer = json.dumps(json.loads((REALDATA / "ch_psc_snapshot_totals_prettified.json").read_text()))
    line = (REALDATA / "ch_psc_snapshot_line.jsonl").read_text()
    path = write(tmp_path, "persons-with-significant-control-snapshot-2022-06-28.txt", [line, trailer + "\n"])
    # The real trailer declares 9,792,999 PSCs: one line of them is an incomplete snapshot.
    with pytest.raises(SourceError, match="declares 9,792,999 persons but 1 were read"):
        collect(registry, "psc-snapshot", [path])
    assert rows(registry, "select count(*) n from relationships")[0]["n"] == 0


def test_every_kind_statement_and_exemption(registry):
    report = collect(registry, "psc-snapshot", [SNAPSHOT])
    assert report.rejected == 0
    entities = by_id(registry, "entities")
    relationships = by_id(registry, "relationships")
    types = {id: e["entity_type"] for id, e in entities.items()}
    assert types[f"{COMPANY}/psc/PERSON1"] == "person"
    assert types[f"{COMPANY}/psc/CORP1"] == "company"
    assert types[f"{COMPANY}/psc/LEGAL1"] == "legal_person"
    assert types[f"{COMPANY}/psc/SECURE1"] == "super_secure"
    assert types["GB-COH-OE000123/psc/BO1"] == "person"
    assert types["GB-COH-OE000123/psc/BO2"] == "company"
    assert types["GB-COH-OE000123/psc/BO3"] == "legal_person"
    assert types["GB-COH-OE000123/psc/BO4"] == "super_secure"

    corporate = entities[f"{COMPANY}/psc/CORP1"]
    assert corporate["company_number"] == "5498655"  # unpadded, as given
    assert corporate["jurisdiction"] == "GB"
    assert corporate["address"] == "2 Office Park, Leeds, LS1 1AA"  # an organisation's address
    offshore = entities["GB-COH-OE000123/psc/BO2"]
    assert (offshore["company_number"], offshore["jurisdiction"]) == ("000123", "JE")
    assert entities[f"{COMPANY}/psc/PERSON1"]["birth_month"] == "1960-07"

    half = relationships[f"{COMPANY}/psc/CORP1#ownership-of-shares-50-to-75-percent-as-firm"]
    assert (half["interest_type"], half["share_min"], half["share_max"]) == ("shareholding", 50, 75)
    roe = relationships["GB-COH-OE000123/psc/BO2#voting-rights-more-than-25-percent-registered-overseas-entity"]
    assert (roe["interest_type"], roe["share_min"], roe["share_max"]) == ("votingRights", 25, 100)
    assert relationships[f"{COMPANY}/psc/LEGAL1#significant-influence-or-control"]["interest_type"] == "otherInfluenceOrControl"
    secure = relationships[f"{COMPANY}/psc/SECURE1#unknown"]
    assert (secure["interest_type"], secure["interested_party_id"]) == ("unknownInterest", f"{COMPANY}/psc/SECURE1")
    ceased = relationships[f"{COMPANY}/psc/PERSON2#ownership-of-shares-75-to-100-percent"]
    assert ceased["end_date"] == "2017-04-30" and ceased["valid_to"] is None

    statement = relationships["GB-COH-SC765432/psc-statement/STATEMENT1"]
    assert statement["interested_party_id"] is None
    assert statement["unspecified_reason"] == "no-individual-or-entity-with-signficant-control"  # CH's spelling
    assert relationships["GB-COH-SC765432/psc-statement/STATEMENT2"]["end_date"] == "2018-01-14"

    exemption = relationships["GB-COH-00000042/psc-exemption/psc_exempt_as_shares_admitted_on_market/1"]
    assert exemption["unspecified_reason"] == "psc-exempt-as-shares-admitted-on-market"
    assert exemption["start_date"] == "2016-04-06"
    assert entities["GB-COH-00000042"]["listed"] == 1


def test_exemption_does_not_erase_what_the_bulk_file_says(registry, tmp_path):
    collect(registry, "companies-house-bulk", [FIXTURES / "basic_company_data.csv"])
    line = json.dumps({"company_number": "01234567", "data": {"kind": "exemptions", "exemptions": {
        "psc_exempt_as_trading_on_regulated_market": {"exemption_type": "psc-exempt-as-trading-on-regulated-market",
                                                      "items": [{"exempt_from": "2017-01-01"}]}}}})
    path = write(tmp_path, "extract.jsonl", [line + "\n"])
    collect(registry, "psc-snapshot", [path], partial=True)
    company = by_id(registry, "entities")[COMPANY]
    assert company["listed"] == 1
    assert company["name"] == "ASHGROVE CARE HOMES LIMITED" and company["status"] == "active"


def test_zip_of_the_snapshot(registry, tmp_path):
    archive = tmp_path / "persons-with-significant-control-snapshot-2024-05-01.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(SNAPSHOT, "persons-with-significant-control-snapshot-2024-05-01.txt")
    direct = collect(registry, "psc-snapshot", [SNAPSHOT])
    again = collect(registry, "psc-snapshot", [archive])
    assert again.records == direct.records and again.changed == 0


def test_chunks_trailer_only_in_the_last(registry, tmp_path):
    first = write(tmp_path, "psc-snapshot-2024-05-01_1of2.txt", LINES[:6])
    last = write(tmp_path, "psc-snapshot-2024-05-01_2of2.txt", LINES[6:])
    # The first chunk alone: no trailer expected, and no relationship ended by it.
    report = collect(registry, "psc-snapshot", [first])
    assert report.rejected == 0
    # The last chunk alone: its trailer counts the whole snapshot, so it cannot be checked.
    report = collect(registry, "psc-snapshot", [last])
    assert report.ended == 0
    # Both: the whole snapshot, checked against the trailer.
    report = collect(registry, "psc-snapshot", [last, first])
    assert report.ended == 0 and report.rejected == 0


def test_both_chunks_are_checked_against_the_trailer(registry, tmp_path):
    first = write(tmp_path, "psc-snapshot-2024-05-01_1of2.txt", LINES[:5])  # one line lost
    last = write(tmp_path, "psc-snapshot-2024-05-01_2of2.txt", LINES[6:])
    with pytest.raises(SourceError, match="declares 9 persons but 8 were read"):
        collect(registry, "psc-snapshot", [first, last])


def test_missing_trailer_means_truncated(registry, tmp_path):
    path = write(tmp_path, "persons-with-significant-control-snapshot-2024-05-01.txt", LINES[:-1])
    with pytest.raises(SourceError, match="no totals trailer"):
        collect(registry, "psc-snapshot", [path])
    cut = write(tmp_path, "psc-snapshot-2024-05-01_1of2.txt", [*LINES[:3], LINES[3][:40]])
    with pytest.raises(SourceError, match="line 4: the last line is cut short"):
        collect(registry, "psc-snapshot", [cut])
    assert rows(registry, "select count(*) n from relationships")[0]["n"] == 0


def test_data_after_the_trailer_is_refused(registry, tmp_path):
    path = write(tmp_path, "snapshot.txt", [*LINES, LINES[0]])
    with pytest.raises(SourceError, match="data after the totals trailer"):
        collect(registry, "psc-snapshot", [path])


def test_more_lines_than_declared_is_a_warning(registry, tmp_path, capsys):
    trailer = json.loads(LINES[-1])
    trailer["data"]["statements_count"] = 1
    path = write(tmp_path, "snapshot.txt", [*LINES[:-1], json.dumps(trailer) + "\n"])
    report = collect(registry, "psc-snapshot", [path])
    assert report.records > 0
    assert "declares 1 statements but 2 were read" in capsys.readouterr().err


def test_malformed_lines_are_rejected_and_the_rest_loaded(registry, tmp_path):
    unknown = json.dumps({"company_number": "01234567", "data": {"kind": "martian-with-significant-control",
                                                                  "links": {"self": "/x/y"}}})
    bad_date = LINES[0].replace('"2016-04-06"', '"06/04/2016"')
    no_company = json.dumps({"data": {"kind": "individual-person-with-significant-control", "links": {"self": "/a/b"}}})
    lines = [unknown + "\n", bad_date, "{not json\n", no_company + "\n", *LINES[1:]]
    trailer = json.loads(LINES[-1])
    path = write(tmp_path, "extract.txt", lines)
    report = collect(registry, "psc-snapshot", [path], partial=True)
    rejected = rows(registry, "select line, error, raw from rejected_records order by line")
    assert [r["line"] for r in rejected] == [1, 2, 3, 4]
    assert "unknown kind 'martian-with-significant-control'" in rejected[0]["error"]
    assert "notified_on: '06/04/2016' is not a YYYY-MM-DD date" in rejected[1]["error"]
    assert json.loads(rejected[1]["raw"]) == json.loads(bad_date)  # nothing withheld to take out
    private = rows(registry, "select raw from rejected_raw order by id")
    assert [r["raw"] for r in private[:3]] == [unknown, bad_date.rstrip("\n"), "{not json"]
    assert rejected[2]["error"].startswith("not JSON") and rejected[2]["raw"] is None  # unreadable: private only
    assert rejected[3]["error"] == "no company_number"
    assert f"{COMPANY}/psc/PERSON1" not in by_id(registry, "entities")
    assert f"{COMPANY}/psc/CORP1" in by_id(registry, "entities")
    assert trailer  # the trailer line at the end was skipped, not rejected
    assert report.rejected == 4


def test_whole_snapshot_ends_relationships_that_disappear(registry, tmp_path):
    collect(registry, "psc-snapshot", [SNAPSHOT])
    trailer = json.loads(LINES[-1])
    trailer["data"]["persons_of_significant_control_count"] = 8
    without_legal = [l for l in LINES[:-1] if "LEGAL1" not in l] + [json.dumps(trailer) + "\n"]
    path = write(tmp_path, "persons-with-significant-control-snapshot-2024-06-01.txt", without_legal)
    report = collect(registry, "psc-snapshot", [path])
    assert report.ended == 1
    gone = by_id(registry, "relationships")[f"{COMPANY}/psc/LEGAL1#significant-influence-or-control"]
    assert gone["valid_to"] is not None


@pytest.mark.parametrize(
    "nature, expected",
    [
        ("ownership-of-shares-25-to-50-percent", ("shareholding", 25, 50)),
        ("ownership-of-shares-75-to-100-percent-as-trust", ("shareholding", 75, 100)),
        ("voting-rights-50-to-75-percent-limited-liability-partnership", ("votingRights", 50, 75)),
        ("right-to-appoint-and-remove-members-limited-liability-partnership", ("appointmentOfBoard", None, None)),
        ("part-right-to-share-surplus-assets-25-to-50-percent", ("rightsToSurplusAssetsOnDissolution", 25, 50)),
        ("significant-influence-or-control-as-firm", ("otherInfluenceOrControl", None, None)),
        ("registered-owner-as-nominee-person-england-wales-registered-overseas-entity", ("nominee", None, None)),
        ("ownership-of-shares-more-than-25-percent-as-control-over-trust-registered-overseas-entity",
         ("shareholding", 25, 100)),
        ("something-new", ("unknownInterest", None, None)),
    ],
)
def test_nature_of_control(nature, expected):
    assert nature_of_control(nature) == expected


def test_birth_month_rejects_nonsense():
    data = json.loads(LINES[0])["data"]
    data["date_of_birth"] = {"month": 13, "year": 1960}
    with pytest.raises(PscError, match="month 13"):
        psc_records("01234567", data)


def test_a_rejected_line_never_publishes_a_residence_or_a_birth_day(registry, tmp_path):
    """Companies House withholds a PSC's usual residential address and day of birth: so does the registry."""
    item = json.loads(LINES[0])
    item["data"]["notified_on"] = "06/04/2016"  # rejected for its date
    item["data"]["usual_residential_address"] = {"premises": "12", "address_line_1": "Hidden Home Road",
                                                 "postal_code": "ZZ9 9ZZ"}
    item["data"]["date_of_birth"] = {"day": 23, "month": 7, "year": 1960}
    line = json.dumps(item)
    path = write(tmp_path, "extract.txt", [line + "\n", *LINES[1:]])
    collect(registry, "psc-snapshot", [path], partial=True)
    public = rows(registry, "select source, line, error, raw from rejected_records")
    assert len(public) == 1 and public[0]["line"] == 1 and "notified_on" in public[0]["error"]
    assert public[0]["source"].endswith("extract.txt")
    shown = json.loads(public[0]["raw"])
    assert "usual_residential_address" not in shown["data"]
    assert shown["data"]["date_of_birth"] == {"month": 7, "year": 1960}
    assert shown["data"]["name"] == item["data"]["name"]  # what the register publishes stays
    registry.close()
    assert b"Hidden Home Road" not in (tmp_path / "registry.db").read_bytes()
    with sqlite3.connect(tmp_path / "private.db") as conn:
        assert conn.execute("select raw from rejected_raw").fetchone()[0] == line
