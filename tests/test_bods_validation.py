"""Every BODS statement is checked against the shipped 0.4 schema: one small case per rule kind.

These run in CI whether or not the standard's own suite is beside the
repository (tests/test_bods_standard_suite.py). Each invalid case is refused
with its JSON path in the file (counted from 0) and the rule; the valid
statements of the same file are kept.
"""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspect_kit.cli import cli

from bods_helpers import collect, rows

PUBLICATION = {"publicationDate": "2024-01-03", "bodsVersion": "0.4", "publisher": {"name": "Fictional Register"}}


def stmt(record_id: str, record_type: str, details: dict, **extra) -> dict:
    return {
        "statementId": f"{record_id:0<8}-0000-4000-8000-000000000000"[:36],
        "declarationSubject": "ent-a",
        "statementDate": "2024-01-02",
        "publicationDetails": copy.deepcopy(PUBLICATION),
        "recordId": record_id,
        "recordType": record_type,
        "recordDetails": details,
        **extra,
    }


def company(record_id="ent-a", **details):
    return stmt(record_id, "entity", {"isComponent": False, "entityType": {"type": "registeredEntity"},
                                      "name": "Fictional Care Ltd", **details})


def person(record_id="per-a", **details):
    return stmt(record_id, "person", {"isComponent": False, "personType": "knownPerson",
                                      "names": [{"type": "legal", "fullName": "Ann Example"}], **details})


def relationship(record_id="rel-a", subject="ent-a", party="per-a", **details):
    return stmt(record_id, "relationship", {"isComponent": False, "subject": subject, "interestedParty": party,
                                            **details})


def load(tmp_path, statements, name="statements.json"):
    path = tmp_path / name
    path.write_text(json.dumps(statements, indent=1))
    report = collect(tmp_path / "r.db", path)
    errors = [r["error"] for r in rows(tmp_path / "r.db", "select error from rejected_records order by line")]
    return report, errors


def with_change(statement, path, value):
    """A copy of ``statement`` with the field at ``path`` (a tuple of keys) set, or removed when value is ...."""
    changed = copy.deepcopy(statement)
    target = changed
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return changed


INVALID = [
    # (what is broken, statement, JSON path, rule)
    ("a required field", with_change(company(), ("statementDate",), ...), "$[1]", "required"),
    ("a required detail", with_change(company(), ("recordDetails", "isComponent"), ...), "$[1].recordDetails", "required"),
    ("a wrong type", with_change(company(), ("recordDetails", "name"), 42), "$[1].recordDetails.name", "type"),
    ("a code outside its codelist",
     with_change(company(), ("recordDetails", "entityType", "type"), "company"), "$[1].recordDetails.entityType.type", "enum"),
    ("a two-letter jurisdiction of one letter",
     company(jurisdiction={"code": "G", "name": "Nowhere"}), "$[1].recordDetails.jurisdiction.code", "minLength"),
    ("a statementId too short", with_change(company(), ("statementId",), "abc"), "$[1].statementId", "minLength"),
    ("a date that is not a date", company(foundingDate="2019-02-30"), "$[1].recordDetails.foundingDate", "format"),
    ("a statementDate in neither form", with_change(company(), ("statementDate",), "yesterday"), "$[1].statementDate", "anyOf"),
    ("a URI that is not one", company(uri="not a uri"), "$[1].recordDetails.uri", "format"),
    ("a share above 100", relationship(interests=[{"type": "shareholding", "share": {"exact": 120}}]),
     "$[1].recordDetails.interests[0].share.exact", "maximum"),
    ("an interest type outside its codelist", relationship(interests=[{"type": "share"}]),
     "$[1].recordDetails.interests[0].type", "enum"),
    ("a null statementId", with_change(company(), ("statementId",), None), "$[1].statementId", "type"),
    ("a bodsVersion that is not a version", with_change(company(), ("publicationDetails", "bodsVersion"), "v4"),
     "$[1].publicationDetails.bodsVersion", "pattern"),
    ("a subject that is neither a recordId nor unspecified", relationship(subject=True), "$[1].recordDetails.subject",
     "oneOf"),
]


@pytest.mark.parametrize("broken, statement, path, rule", INVALID, ids=[case[0] for case in INVALID])
def test_an_invalid_statement_is_refused_and_the_rest_of_the_file_kept(tmp_path, broken, statement, path, rule):
    report, errors = load(tmp_path, [person(), statement, company("ent-b")])
    assert len(errors) == 1 and f"{path}: " in errors[0] and f"({rule})" in errors[0], errors
    ids = {r["record_id"] for r in rows(tmp_path / "r.db", "select record_id from bods_statements")}
    assert {"per-a", "ent-b"} <= ids and report.rejected == 1


def test_refused_values_are_not_repeated_in_the_reason(tmp_path):
    # The reason is published in rejected_records: it names the rule, never a (possibly personal) value.
    _, errors = load(tmp_path, [person(birthDate="1978-07-1x")])
    (error,) = errors
    assert "$[0].recordDetails.birthDate" in error and "1978" not in error


def test_an_unspecified_subject_is_accepted(tmp_path):
    unspecified = {"reason": "subjectExemptFromDisclosure", "description": "Not disclosed"}
    report, errors = load(tmp_path, [person(), relationship(subject=unspecified,
                                                             interests=[{"type": "shareholding"}])])
    assert errors == [] and report.rejected == 0
    (row,) = rows(tmp_path / "r.db", "select * from relationships")
    assert row["subject_id"] == "bods/rel-a#subject" and row["interested_party_id"] == "bods/per-a"
    (subject,) = rows(tmp_path / "r.db", "select * from entities where id = ?", row["subject_id"])
    assert subject["entity_type"] == "unknown"
    details = json.loads(rows(tmp_path / "r.db", "select details from bods_statements where id = ?", row["id"])[0]["details"])
    assert details["subject"] == unspecified


def test_a_file_holding_one_statement_object_is_read(tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps(company(), indent=2))
    report = collect(tmp_path / "r.db", path)
    assert rows(tmp_path / "r.db", "select id, name from entities") == [{"id": "bods/ent-a", "name": "Fictional Care Ltd"}]
    # The schema wants an array: the form is reported once, not as a rejection per line.
    (error,) = [r["error"] for r in rows(tmp_path / "r.db", "select error from rejected_records")]
    assert error.startswith("$: ") and "(type)" in error and report.rejected == 1


def test_described_by_references_resolve_by_record_or_statement_id(tmp_path):
    owner, owned = person(), company()
    statements = [
        owner, owned,
        relationship("rel-a", subject={"describedByEntityStatement": "ent-a"},
                     party={"describedByPersonStatement": owner["statementId"]},
                     interests=[{"type": "shareholding", "share": {"exact": 100}}]),
    ]
    report, errors = load(tmp_path, statements)
    assert errors == []
    (row,) = rows(tmp_path / "r.db", "select subject_id, interested_party_id from relationships")
    assert row == {"subject_id": "bods/ent-a", "interested_party_id": "bods/per-a"}


def test_unspecified_reason_empty_dates_and_shares_are_tolerated(tmp_path):
    statements = [
        company(foundingDate="", dissolutionDate=""),
        person(birthDate=""),
        relationship("rel-a", party={"unspecifiedReason": "interestedPartyHasNotProvidedInformation",
                                     "unspecifiedDescription": "No answer"},
                     interests=[{"type": "shareholding", "share": {"exact": "", "minimum": 25, "maximum": 50},
                                 "startDate": "", "endDate": ""},
                                {"type": "votingRights", "share": ""}]),
    ]
    report, errors = load(tmp_path, statements)
    assert errors == [] and report.rejected == 0
    found = rows(tmp_path / "r.db", "select * from relationships order by id")
    assert [(r["interest_type"], r["share_min"], r["share_max"], r["start_date"]) for r in found] == [
        ("shareholding", 25, 50, None), ("votingRights", None, None, None)]
    assert {r["unspecified_reason"] for r in found} == {"interestedPartyHasNotProvidedInformation"}
    assert {r["unspecified_description"] for r in found} == {"No answer"}


def test_tolerance_does_not_forgive_other_forms(tmp_path):
    # A reference object with anything else in it, or a non-empty bad date, is still refused.
    _, errors = load(tmp_path, [company(), person(),
                                relationship(subject={"describedByEntityStatement": "ent-a", "extra": 1}),
                                company("ent-c", foundingDate=" 2019")])
    assert len(errors) == 2
    assert "$[2].recordDetails.subject" in errors[0] and "$[3].recordDetails.foundingDate" in errors[1]


def test_the_cli_prints_one_line_and_no_traceback_for_a_lone_surrogate(tmp_path):
    path = tmp_path / "s.jsonl"
    good = json.dumps(company("ent-b"))
    path.write_text(json.dumps(company()).replace("Fictional Care Ltd", "Fictional \\ud800 Ltd") + "\n" + good + "\n")
    result = CliRunner().invoke(cli, ["collect", "bods", str(path), "--db", str(tmp_path / "r.db"), "--no-progress"])
    assert result.exit_code == 0 and "Traceback" not in result.output
    (error,) = [r["error"] for r in rows(tmp_path / "r.db", "select error from rejected_records")]
    assert "lone surrogate" in error and "$[0].recordDetails.name" in error
    assert [r["id"] for r in rows(tmp_path / "r.db", "select id from entities")] == ["bods/ent-b"]


# -- fuzz ---------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
FIELDS = [("recordType",), ("recordId",), ("statementId",), ("statementDate",), ("recordDetails",),
          ("recordDetails", "subject"), ("recordDetails", "interestedParty"), ("recordDetails", "interests"),
          ("recordDetails", "names"), ("recordDetails", "entityType"), ("recordDetails", "identifiers"),
          ("recordDetails", "jurisdiction"), ("recordDetails", "addresses"), ("recordDetails", "birthDate"),
          ("publicationDetails",), ("source",)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    base=st.sampled_from(["company", "person", "relationship"]),
    changes=st.lists(st.tuples(st.sampled_from(FIELDS), JSON_VALUES), min_size=1, max_size=3),
    shape=st.sampled_from(["array", "lines", "object"]),
)
def test_fuzz_wrong_json_types_never_traceback(tmp_path_factory, base, changes, shape):
    statement = {"company": company, "person": person, "relationship": relationship}[base]()
    for field, value in changes:
        if field[0] == "recordDetails" and len(field) > 1 and not isinstance(statement.get("recordDetails"), dict):
            continue
        statement = with_change(statement, field, value)
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "fuzz.json"
    if shape == "array":
        path.write_text(json.dumps([statement, company("ent-ok")]))
    elif shape == "lines":
        path.write_text(json.dumps(statement) + "\n" + json.dumps(company("ent-ok")) + "\n")
    else:
        path.write_text(json.dumps(statement, indent=1))
    result = CliRunner().invoke(cli, ["collect", "bods", str(path), "--db", str(folder / "r.db"), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert result.exception is None and "Traceback" not in result.output
    if shape != "object":  # the good statement beside the fuzzed one is always kept
        assert "bods/ent-ok" in {r["id"] for r in rows(folder / "r.db", "select id from entities")}
