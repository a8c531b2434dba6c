"""inspect-kit export bods: schema-valid BODS 0.4, and round trips that lose nothing BODS can say."""

import json

import pytest
from click.testing import CliRunner

import inspect_kit
from inspect_kit.cli import cli
from inspect_kit.plugins import get_exporters
from inspect_kit.registry import Registry
from inspect_kit_bods.schema import package_errors, statement_errors

from bods_helpers import OWN_FIXTURES, collect, export, realdata_files, rows

OWN = sorted(OWN_FIXTURES.glob("*/*.json"))


def package_files():
    bods_fixtures = pytest.importorskip("bods_fixtures")
    from importlib.resources import files

    root = files(bods_fixtures) / "data"
    return [root / f"{name}.json" for name in bods_fixtures.list_cases()]


def all_files():
    return [*realdata_files(), *package_files(), *OWN]


def comparable(db_path):
    """What a round trip must keep: every column but provenance and the statementId we mint anew."""
    tables = {}
    for table, skip in (
        ("entities", set()),
        ("relationships", set()),
        ("bods_statements", {"statement_id"}),
    ):
        found = rows(db_path, f"select * from {table}")
        tables[table] = sorted(
            (
                {k: v for k, v in row.items()
                 if k not in skip | {"source", "run_id", "valid_from", "valid_to", "ended_run_id"}}
                for row in found
            ),
            key=lambda r: r["id"],
        )
    return tables


def test_the_shipped_schema_has_its_licence():
    from importlib.resources import files

    folder = files("inspect_kit_bods") / "schema"
    assert "Apache License" in (folder / "LICENSE").read_text()
    assert "Apache" in (folder / "NOTICE.md").read_text()


def test_the_schema_catches_a_bad_statement():
    bad = {"statementId": "short", "recordType": "relationship", "recordDetails": {"subject": "a"}}
    errors = statement_errors(bad)
    assert any("statementId" in e for e in errors)
    assert any("declarationSubject" in e for e in errors)
    assert any("interestedParty" in e for e in errors)


def test_every_input_file_is_itself_valid(tmp_path):
    """The inputs validate too, so a failure below is the exporter's own."""
    for path in all_files():
        assert package_errors(json.loads(path.read_text())) == [], path


def test_export_of_everything_validates(tmp_path):
    db = tmp_path / "r.db"
    collect(db, *all_files())
    document = json.loads(export(db))
    assert package_errors(document) == []
    assert all(s["publicationDetails"]["bodsVersion"] == "0.4" for s in document)
    assert len({s["statementId"] for s in document}) == len(document)
    assert len({s["recordId"] for s in document}) == len(document)
    # Every record is written before a relationship names it.
    seen = set()
    for s in document:
        if s["recordType"] == "relationship":
            for end in (s["recordDetails"]["subject"], s["recordDetails"]["interestedParty"]):
                assert isinstance(end, dict) or end in seen, s["recordId"]
        seen.add(s["recordId"])


@pytest.mark.parametrize("path", all_files(), ids=lambda p: p.name)
def test_round_trip_keeps_everything(tmp_path, path):
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    collect(first, path)
    out = tmp_path / "out.json"
    out.write_bytes(export(first))
    assert collect(second, out).rejected == 0
    before, after = comparable(first), comparable(second)
    # A recordId the source used for two different records (an official example
    # does) is exported once as published and once under the registry id.
    reused = rows(first, "select record_id from bods_statements where row_table = 'entities' "
                         "group by record_id having count(*) > 1")
    for row in before["bods_statements"]:
        if row["record_id"] in {r["record_id"] for r in reused} and row["id"].startswith("bods/"):
            row["record_id"] = row["id"]
    assert after == before
    # And once more: exporting the round-tripped registry gives the same statements.
    assert json.loads(export(second)) == json.loads(out.read_bytes())


def test_export_is_stable_across_runs(tmp_path):
    collect(tmp_path / "r.db", *realdata_files())
    assert export(tmp_path / "r.db") == export(tmp_path / "r.db")


def test_json_lines_export(tmp_path):
    collect(tmp_path / "r.db", *realdata_files())
    lines = export(tmp_path / "r.db", lines=True).decode().splitlines()
    assert package_errors([json.loads(line) for line in lines]) == []
    assert json.loads(export(tmp_path / "r.db")) == [json.loads(line) for line in lines]


def test_an_empty_registry_exports_an_empty_array(tmp_path):
    Registry.open(tmp_path / "r.db").close()
    assert json.loads(export(tmp_path / "r.db")) == []


def register_rows(db_path):
    """Rows as the Companies House collectors deliver them (fictional values)."""
    registry = Registry.open(db_path)
    records = [
        inspect_kit.Entity(id="GB-COH-09900041", name="Quayside Care Ltd", entity_type="company", jurisdiction="GB",
                           company_number="09900041", incorporation_date="2011-02-03",
                           address="1 Harbour Road, Exampleton, EX1 1AA", register="GB-COH"),
        inspect_kit.Entity(id="GB-COH-09900041/psc/abc1", name="Mr Ivo Example", entity_type="person",
                           nationality="British", birth_month="1970-04"),
        inspect_kit.Entity(id="GB-COH-09900041/psc/def2", name="Quayside Holdings Limited", entity_type="company",
                           jurisdiction="JE", company_number="99042"),
        inspect_kit.Entity(id="GB-COH-09900041/psc/sec3", entity_type="super_secure"),
        inspect_kit.Relationship(id="GB-COH-09900041/psc/abc1#ownership-of-shares-25-to-50-percent",
                                 subject_id="GB-COH-09900041", interested_party_id="GB-COH-09900041/psc/abc1",
                                 interest_type="shareholding", interest_detail="ownership-of-shares-25-to-50-percent",
                                 share_min=25, share_max=50, start_date="2016-04-06"),
        inspect_kit.Relationship(id="GB-COH-09900041/psc/abc1#voting-rights-25-to-50-percent",
                                 subject_id="GB-COH-09900041", interested_party_id="GB-COH-09900041/psc/abc1",
                                 interest_type="votingRights", interest_detail="voting-rights-25-to-50-percent",
                                 share_min=25, share_max=50, start_date="2016-04-06", end_date="2020-01-31"),
        inspect_kit.Relationship(id="GB-COH-09900041/psc/def2#significant-influence-or-control",
                                 subject_id="GB-COH-09900041", interested_party_id="GB-COH-09900041/psc/def2",
                                 interest_type="otherInfluenceOrControl",
                                 interest_detail="significant-influence-or-control"),
        inspect_kit.Relationship(id="GB-COH-09900041/psc-statement/st4", subject_id="GB-COH-09900041",
                                 unspecified_reason="psc-contacted-but-no-response"),
        inspect_kit.Relationship(id="GB-COH-09900042/psc/xyz#right-to-appoint-and-remove-directors",
                                 subject_id="GB-COH-09900042", interested_party_id="GB-COH-09900041",
                                 interest_type="appointmentOfBoard"),
    ]

    class Rows(inspect_kit.Collector):
        name = "psc-snapshot"
        description = "rows as the PSC collector yields them"
        takes_files = False

        def collect(self, run):
            yield from records

    registry.collect(Rows())
    registry.close()


def test_register_rows_become_bods(tmp_path):
    db = tmp_path / "r.db"
    register_rows(db)
    document = json.loads(export(db))
    assert package_errors(document) == []
    by_id = {s["recordId"]: s for s in document}
    company = by_id["GB-COH-09900041"]["recordDetails"]
    assert company["entityType"] == {"type": "registeredEntity"}
    assert company["identifiers"] == [{"scheme": "GB-COH", "schemeName": "Companies House", "id": "09900041"}]
    assert by_id["GB-COH-09900041"]["source"]["type"] == ["officialRegister"]
    person = by_id["GB-COH-09900041/psc/abc1"]["recordDetails"]
    assert person["birthDate"] == "1970-04" and person["nationalities"] == [{"name": "British"}]
    assert "addresses" not in person
    secure = by_id["GB-COH-09900041/psc/sec3"]["recordDetails"]
    assert secure["personType"] == "anonymousPerson"
    assert secure["unspecifiedPersonDetails"]["reason"] == "interestedPartyExemptFromDisclosure"
    # The PSC's two natures of control are one relationship with two interests.
    (psc,) = [s for s in document if s["recordType"] == "relationship"
              and s["recordDetails"]["interestedParty"] == "GB-COH-09900041/psc/abc1"]
    interests = psc["recordDetails"]["interests"]
    assert [(i["type"], i["share"]) for i in interests] == [
        ("shareholding", {"minimum": 25, "maximum": 50}), ("votingRights", {"minimum": 25, "maximum": 50})
    ]
    assert interests[1]["endDate"] == "2020-01-31"
    (statement,) = [s for s in document if s["recordType"] == "relationship"
                    and isinstance(s["recordDetails"]["interestedParty"], dict)]
    assert statement["recordDetails"]["interestedParty"] == {
        "reason": "interestedPartyHasNotProvidedInformation", "description": "psc-contacted-but-no-response"
    }
    # A company named by a relationship but not collected gets a minimal record before it.
    stub = by_id["GB-COH-09900042"]
    assert stub["recordDetails"]["identifiers"][0]["id"] == "09900042"
    assert document.index(stub) < document.index(next(
        s for s in document if s["recordType"] == "relationship" and s["recordDetails"]["subject"] == "GB-COH-09900042"))


def test_register_rows_round_trip(tmp_path):
    db, again = tmp_path / "r.db", tmp_path / "again.db"
    register_rows(db)
    out = tmp_path / "out.json"
    out.write_bytes(export(db))
    collect(again, out)
    # Entity ids come back as they were (the export names them when BODS alone could not).
    assert {r["id"] for r in rows(again, "select id from entities")} == {
        r["id"] for r in rows(db, "select id from entities")} | {"GB-COH-09900042"}
    keep = "subject_id, interested_party_id, interest_type, interest_detail, share_min, share_max, start_date, end_date"
    before = rows(db, f"select {keep} from relationships where unspecified_reason is null order by 1, 2, 3")
    after = rows(again, f"select {keep} from relationships where unspecified_reason is null order by 1, 2, 3")
    assert after == before
    (unknown,) = rows(again, "select * from relationships where interested_party_id is null")
    assert unknown["unspecified_reason"] == "interestedPartyHasNotProvidedInformation"
    assert unknown["unspecified_description"] == "psc-contacted-but-no-response"


def test_cli_export(tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "r.db")
    for path in realdata_files():
        result = runner.invoke(cli, ["collect", "bods", "--db", db, str(path)])
        assert result.exit_code == 0, result.output
    out = tmp_path / "out.json"
    result = runner.invoke(cli, ["export", "bods", "--db", db, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert package_errors(json.loads(out.read_text())) == []
    assert "bods" in get_exporters()
