"""Conformance: the bods-v04-fixtures cases, and our own cases in the same style.

Each case's ``.expected.md`` says what a correct adapter does; the tests below
check each of those sentences that concerns an importer and exporter. The
package is used as installed, through its own API (``list_cases``, ``load``).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from inspect_kit.matching import company_entity_id
from inspect_kit_bods.schema import package_errors

from bods_helpers import OWN_FIXTURES, collect, export, rows

bods_fixtures = pytest.importorskip("bods_fixtures")

PACKAGE_CASES = {"core/01-direct-ownership", "edge-cases/10-circular-ownership", "edge-cases/11-anonymous-person"}


@dataclass
class Case:
    """A case loaded, collected into a fresh registry and exported again."""

    name: str
    statements: list
    description: str
    db: Path
    exported: list

    def records(self, record_type):
        return [s for s in self.exported if s["recordType"] == record_type]

    def record(self, record_id):
        (found,) = [s for s in self.exported if s["recordId"] == record_id]
        return found


def own_cases() -> list[str]:
    return sorted(f"{p.parent.name}/{p.name[:-len('.json')]}" for p in OWN_FIXTURES.glob("*/*.json"))


def run_case(tmp_path, name) -> Case:
    if name in own_cases():
        statements = json.loads((OWN_FIXTURES / f"{name}.json").read_text())
        description = (OWN_FIXTURES / f"{name}.expected.md").read_text()
    else:
        fixture = bods_fixtures.load(name)
        statements, description = fixture.statements, fixture.description
    path = tmp_path / (name.replace("/", "_") + ".json")
    path.write_text(json.dumps(statements))
    db = tmp_path / "r.db"
    report = collect(db, path)
    assert report.rejected == 0
    return Case(name, statements, description, db, json.loads(export(db)))


def owners_up(db, entity_id, as_of=None):
    """Every path upwards from an entity: (path of ids, shares, end) with cycles stopped.

    A plain walk over the relationships table, as a reader of the registry would write it.
    """
    as_of = as_of or datetime.date.today().isoformat()
    edges = {}
    current = "(start_date is null or start_date <= ?1) and (end_date is null or end_date > ?1)"
    for r in rows(db, f"select * from relationships where {current}", as_of):
        edges.setdefault(r["subject_id"], []).append(r)
    paths = []

    def walk(node, path, shares):
        above = edges.get(node, [])
        if not above:
            paths.append((path, shares, "end"))
        for r in above:
            share = (r["share_min"], r["share_max"])
            if r["interested_party_id"] is None:
                paths.append((path, shares + [share], r["unspecified_reason"]))
            elif r["interested_party_id"] in path:
                paths.append((path + [r["interested_party_id"]], shares + [share], "cycle"))
            else:
                walk(r["interested_party_id"], path + [r["interested_party_id"]], shares + [share])

    walk(entity_id, [entity_id], [])
    return paths


def test_the_package_cases_are_the_ones_checked_here():
    assert set(bods_fixtures.list_cases()) == PACKAGE_CASES, (
        "bods-v04-fixtures has new cases: add a test for each expected.md"
    )
    assert bods_fixtures.VERSION.startswith("0.1")


@pytest.mark.parametrize("name", sorted(PACKAGE_CASES) + own_cases())
def test_every_case_imports_and_exports_valid_bods(tmp_path, name):
    case = run_case(tmp_path, name)
    assert package_errors(case.exported) == []
    # Nothing dropped, nothing invented: the same records come back out.
    assert sorted(s["recordId"] for s in case.exported) == sorted({s["recordId"] for s in case.statements})
    for statement in case.exported:
        assert statement["publicationDetails"]["bodsVersion"] == "0.4"
    original = {s["recordId"]: s for s in case.statements}
    for statement in case.exported:
        assert statement["source"] == original[statement["recordId"]]["source"]
        assert statement["publicationDetails"] == original[statement["recordId"]]["publicationDetails"]


def test_01_direct_ownership(tmp_path):
    case = run_case(tmp_path, "core/01-direct-ownership")
    assert len(case.records("entity")) == len(case.records("person")) == len(case.records("relationship")) == 1
    (relationship,) = case.records("relationship")
    interests = relationship["recordDetails"]["interests"]
    assert [i["type"] for i in interests] == ["shareholding", "votingRights"]  # not collapsed
    assert all(i["beneficialOwnershipOrControl"] is True for i in interests)
    assert all(i["share"] == {"exact": 75} for i in interests)
    assert relationship["recordDetails"]["subject"] == "rec-acme-holdings-ltd"
    assert relationship["recordDetails"]["interestedParty"] == "rec-jane-smith-1975"
    # recordIds are stable across runs: a second import and export give the same ids.
    again = run_case(tmp_path / "again", "core/01-direct-ownership") if (tmp_path / "again").mkdir() is None else None
    assert [s["recordId"] for s in again.exported] == [s["recordId"] for s in case.exported]
    assert [s["statementId"] for s in again.exported] == [s["statementId"] for s in case.exported]
    # "Find UBO" from the company: Jane Smith, one hop, 75%.
    (path,) = {(tuple(p), tuple(s[0] for s in shares), end) for p, shares, end in owners_up(case.db, "GB-COH-10000001")}
    assert path == (("GB-COH-10000001", "bods/rec-jane-smith-1975"), (75.0,), "end")
    (jane,) = rows(case.db, "select * from entities where entity_type = 'person'")
    assert (jane["name"], jane["birth_month"]) == ("Jane Smith", "1975-06")  # the day is never kept
    assert case.record("rec-jane-smith-1975")["recordDetails"]["birthDate"] == "1975-06"


def test_10_circular_ownership(tmp_path):
    case = run_case(tmp_path, "edge-cases/10-circular-ownership")
    stored = rows(case.db, "select subject_id, interested_party_id from relationships order by 1")
    assert stored == [
        {"subject_id": "GB-COH-10000010", "interested_party_id": "GB-COH-10000011"},
        {"subject_id": "GB-COH-10000011", "interested_party_id": "GB-COH-10000010"},
    ]  # both edges kept
    assert len(case.records("relationship")) == 2 and case.records("person") == []
    for relationship in case.records("relationship"):
        assert relationship["recordDetails"]["interests"][0]["beneficialOwnershipOrControl"] is False
    for start in ("GB-COH-10000010", "GB-COH-10000011"):
        paths = owners_up(case.db, start)
        assert [end for _, _, end in paths] == ["cycle"]  # the walk terminates, and says why
        (path, _, _) = paths[0]
        assert path[-1] == start  # the cycle returns to where it started: no person is reached


def test_11_anonymous_person(tmp_path):
    case = run_case(tmp_path, "edge-cases/11-anonymous-person")
    original = bods_fixtures.load("edge-cases/11-anonymous-person").find_record("rec-rel-opaque-no-ubo")
    (relationship,) = rows(case.db, "select * from relationships")
    assert relationship["interested_party_id"] is None
    assert relationship["unspecified_reason"] == "subjectUnableToConfirmOrIdentifyBeneficialOwner"
    assert relationship["unspecified_description"] == original["recordDetails"]["interestedParty"]["description"]
    assert rows(case.db, "select count(*) as n from entities where entity_type = 'person'")[0]["n"] == 0
    assert case.records("person") == []  # no placeholder person
    (exported,) = case.records("relationship")
    assert exported["recordDetails"]["interestedParty"] == original["recordDetails"]["interestedParty"]
    # "Declared unknown" is distinct from "no owner records": the walk ends on the reason.
    assert [end for _, _, end in owners_up(case.db, "bods/rec-opaque-holdings-sa")] == [
        "subjectUnableToConfirmOrIdentifyBeneficialOwner"
    ]
    (entity,) = rows(case.db, "select * from entities")
    assert (entity["jurisdiction"], entity["company_number"], entity["register"]) == ("PA", "PA-1000011", "PA-PUB")


def test_20_indirect_chain(tmp_path):
    case = run_case(tmp_path, "edge-cases/20-indirect-chain")
    (path,) = owners_up(case.db, "GB-COH-09900001")
    assert path == (
        ["GB-COH-09900001", "GB-COH-09900002", "bods/rec-holdco", "bods/rec-ada"],
        [(100, 100), (75, 100), (50, 75)],
        "end",
    )
    holdco = rows(case.db, "select * from entities where id = 'bods/rec-holdco'")[0]
    assert (holdco["jurisdiction"], holdco["company_number"]) == ("JE", "JE-99001")
    ada = rows(case.db, "select * from entities where id = 'bods/rec-ada'")[0]
    assert ada["birth_month"] == "1961-03"
    share = case.record("rec-rel-ada-holdco")["recordDetails"]["interests"][0]["share"]
    assert share == {"exclusiveMinimum": 50, "maximum": 75}


def test_21_joint_ownership(tmp_path):
    case = run_case(tmp_path, "edge-cases/21-joint-ownership")
    arrangement = rows(case.db, "select * from entities where id = 'bods/rec-joint'")[0]
    assert arrangement["name"] == "Joint shareholding of Larchwood House Ltd"
    assert case.record("rec-joint")["recordDetails"]["entityType"] == {"type": "arrangement", "subtype": "other"}
    paths = owners_up(case.db, "GB-COH-09900011")
    assert sorted((p[-1], shares) for p, shares, _ in paths) == [
        ("bods/rec-ben", [(100, 100), (50, 50)]),
        ("bods/rec-cleo", [(100, 100), (50, 50)]),
    ]


def test_22_every_unspecified_reason(tmp_path):
    case = run_case(tmp_path, "edge-cases/22-unspecified-reasons")
    reasons = [r["reason"] for r in (s["recordDetails"]["interestedParty"] for s in case.statements
                                      if s["recordType"] == "relationship")]
    assert len(set(reasons)) == 7
    stored = rows(case.db, "select * from relationships order by subject_id")
    assert [r["unspecified_reason"] for r in stored] == reasons
    assert all(r["interested_party_id"] is None for r in stored)
    assert [r["unspecified_description"] for r in stored] == [
        f"Fictional declaration {k}: {reason}" for k, reason in enumerate(reasons, start=1)
    ]
    assert rows(case.db, "select count(*) as n from entities")[0]["n"] == 7  # nothing invented
    exported = [s["recordDetails"]["interestedParty"] for s in case.records("relationship")]
    assert sorted(exported, key=lambda p: p["description"]) == [
        s["recordDetails"]["interestedParty"] for s in case.statements if s["recordType"] == "relationship"
    ]


def test_23_ceased_relationship(tmp_path):
    case = run_case(tmp_path, "edge-cases/23-ceased-relationship")
    dana = rows(case.db, "select * from relationships where id = 'bods/rec-rel-dana#shareholding'")[0]
    assert (dana["start_date"], dana["end_date"]) == ("2016-04-06", "2021-09-30")
    current = {p[-1] for p, _, _ in owners_up(case.db, "GB-COH-09900021")}
    assert current == {"bods/rec-eli"}
    in_2020 = {p[-1] for p, _, _ in owners_up(case.db, "GB-COH-09900021", as_of="2020-06-30")}
    assert in_2020 == {"bods/rec-dana"}
    board = rows(case.db, "select * from relationships where id like 'bods/rec-rel-dana-board%'")
    assert [(r["interest_type"], r["end_date"]) for r in board] == [("appointmentOfBoard", "2022-01-10")]
    closed = case.record("rec-rel-dana-board")
    assert closed["recordStatus"] == "closed"
    assert "endDate" not in closed["recordDetails"]["interests"][0]  # as published
    assert case.record("rec-rel-dana")["recordDetails"]["interests"][0]["endDate"] == "2021-09-30"


def test_24_landlord_chain(tmp_path):
    case = run_case(tmp_path, "edge-cases/24-landlord-chain")
    # The CCOD proprietor's number, with its leading zeros dropped, names the same entity.
    landlord_id = company_entity_id("9900031")
    assert rows(case.db, "select name from entities where id = ?", landlord_id)[0]["name"] == "Beacon Care Properties Ltd"
    (path,) = owners_up(case.db, landlord_id)
    assert path[0] == [landlord_id, "bods/rec-fund", "bods/rec-gp"]
    assert path[2] == "informationUnknownToPublisher"
    jurisdictions = [rows(case.db, "select jurisdiction from entities where id = ?", i)[0]["jurisdiction"] for i in path[0]]
    assert jurisdictions == ["GB", "KY", "VG"]
    control = rows(case.db, "select * from relationships where subject_id = 'bods/rec-fund'")[0]
    assert (control["interest_type"], control["interest_detail"]) == ("otherInfluenceOrControl", "General partner")
