"""inspect-kit collect bods: the official examples, their quirks, streaming and bad input."""

import gzip
import json
import sqlite3

import pytest

from inspect_kit import SourceError
from inspect_kit_bods.reader import read_items

from bods_helpers import collect, realdata_files, rows, write_statements

REAL = {path.name: path for path in realdata_files()}


def statement(record_id, record_type, details, **extra):
    return {
        "statementId": f"{record_id}-0000-4000-8000-000000000000",
        "declarationSubject": "rec-subject",
        "statementDate": "2024-01-02",
        "publicationDetails": {"publicationDate": "2024-01-03", "bodsVersion": "0.4",
                               "publisher": {"name": "Fictional Register"}},
        "recordId": record_id,
        "recordType": record_type,
        "recordDetails": details,
        **extra,
    }


def test_the_official_examples_are_all_there():
    assert set(REAL) == {
        "bods-package.json", "bods-package-entity-owning-entity.json", "indirect-ownership.json",
        "joint-ownership.json", "listed-company-exempt-from-disclosure.json",
    }


@pytest.mark.parametrize("name", sorted(REAL))
def test_every_official_example_parses_without_a_rejection(tmp_path, name):
    document = json.loads(REAL[name].read_text())
    report = collect(tmp_path / "r.db", REAL[name])
    assert report.rejected == 0
    things = [s for s in document if s["recordType"] in ("entity", "person")]
    entities = rows(tmp_path / "r.db", "select * from entities")
    assert len(entities) == len(things)
    stored = rows(tmp_path / "r.db", "select * from bods_statements")
    assert {r["record_id"] for r in stored} == {s["recordId"] for s in document}


def test_direct_ownership_example(tmp_path):
    collect(tmp_path / "r.db", REAL["bods-package.json"])
    company, person = rows(tmp_path / "r.db", "select * from entities order by entity_type")
    assert company["id"] == "GB-COH-2063384560" and company["entity_type"] == "company"
    assert company["incorporation_date"] == "2019-09-03" and company["jurisdiction"] == "GB"
    assert person["id"] == "bods/10478c6cf6de"
    assert person["name"] == "Jennifer Hewitson-Smith"  # the legal name, not the alternative
    assert person["birth_month"] == "1978-07"
    assert person["nationality"] == "GB"
    assert person["address"] is None  # a person's address is never kept...
    details = rows(tmp_path / "r.db", "select details from bods_statements where id = ?", person["id"])[0]["details"]
    assert "York Road" not in details and "BH81" not in details  # ...not even in the details
    (relationship,) = rows(tmp_path / "r.db", "select * from relationships")
    assert relationship["subject_id"] == company["id"] and relationship["interested_party_id"] == person["id"]
    assert (relationship["interest_type"], relationship["share_min"], relationship["share_max"]) == ("shareholding", 100, 100)
    assert relationship["start_date"] == "2016-04-06"


def test_entity_owning_entity_with_minimum_and_exclusive_maximum(tmp_path):
    collect(tmp_path / "r.db", REAL["bods-package-entity-owning-entity.json"])
    (relationship,) = rows(tmp_path / "r.db", "select * from relationships")
    assert relationship["subject_id"] == "GB-COH-03209885"
    assert relationship["interested_party_id"] == "GB-COH-08150312"
    assert (relationship["share_min"], relationship["share_max"]) == (75, 100)
    extra = rows(tmp_path / "r.db", "select * from bods_statements where id = ?", relationship["id"])[0]
    assert json.loads(extra["details"])["share"] == {"minimum": 75, "exclusiveMaximum": 100}
    assert extra["beneficial_ownership_or_control"] is None  # not published: not invented


def test_listed_company_unspecified_owner(tmp_path):
    collect(tmp_path / "r.db", REAL["listed-company-exempt-from-disclosure.json"])
    (relationship,) = rows(tmp_path / "r.db", "select * from relationships")
    assert relationship["subject_id"] == "GB-COH-XE000017"
    assert relationship["interested_party_id"] is None
    assert relationship["unspecified_reason"] == "subjectExemptFromDisclosure"
    assert relationship["unspecified_description"].startswith("Exempt from disclosure")
    source = rows(tmp_path / "r.db", "select statement_source from bods_statements where id = ?", relationship["id"])
    assert json.loads(source[0]["statement_source"]) == {"assertedBy": [{"name": "Listed Company 17"}]}


def test_joint_ownership_quirks(tmp_path):
    """Duplicate statementId, a recordId used for two things, a self-relationship, a 35-character id."""
    report = collect(tmp_path / "r.db", REAL["joint-ownership.json"])
    assert report.rejected == 0
    entities = {r["id"]: r for r in rows(tmp_path / "r.db", "select * from entities")}
    assert entities["GB-COH-07444723"]["name"] == "CHRINON LTD"
    assert entities["GB-COH-07444723"]["address"] == "Aston House, Cornwall Avenue, London, N3 1LF, United Kingdom"
    assert entities["bods/31c55e425764"]["name"] == "Joint shareholding"  # kept apart, not an update
    relationships = {r["id"]: r for r in rows(tmp_path / "r.db", "select * from relationships")}
    self_relationship = relationships["bods/2670f25aee62#shareholding"]
    assert self_relationship["subject_id"] == "GB-COH-07444723"
    assert self_relationship["interested_party_id"] == "bods/31c55e425764"
    # Both statements that share a statementId are kept.
    assert relationships["bods/a86c50f8b3dd#shareholding"]["interested_party_id"] == "bods/1accb8b18b99"
    assert relationships["bods/b391a41da07e#shareholding"]["interested_party_id"] == "bods/f040df24d9ec"


def test_indirect_ownership_quirks(tmp_path):
    report = collect(tmp_path / "r.db", REAL["indirect-ownership.json"])
    assert report.rejected == 0
    ids = {r["id"] for r in rows(tmp_path / "r.db", "select id from entities")}
    assert ids == {"GB-COH-XE009999", "GB-COH-XE001010", "bods/c25d4d612c2c"}
    untyped = rows(tmp_path / "r.db", "select * from relationships where interest_type is null")
    assert [r["id"] for r in untyped] == ["bods/05e81af035e4#interest"]  # the interest with no type
    summary = rows(
        tmp_path / "r.db",
        "select r.*, b.direct_or_indirect, b.details from relationships r join bods_statements b using (id) "
        "where r.id = 'bods/d8d75ccf40e4#shareholding'",
    )[0]
    # The indirect interest is marked, so that a chain walk does not add it to the chain it summarises.
    assert summary["direct_or_indirect"] == "indirect"
    assert json.loads(summary["details"])["componentRecords"] == ["05e81af035e4", "d4ab89ea169a", "4cf2837bd01f"]


def test_reimporting_changes_nothing(tmp_path):
    collect(tmp_path / "r.db", *realdata_files())
    again = collect(tmp_path / "r.db", *realdata_files())
    assert again.changed == 0 and again.rejected == 0


def test_json_lines_and_gzip(tmp_path):
    document = json.loads(REAL["bods-package.json"].read_text())
    lines = "\n".join(json.dumps(s) for s in document) + "\n\n"
    (tmp_path / "package.jsonl").write_text(lines)
    with gzip.open(tmp_path / "package.json.gz", "wt") as out:
        json.dump(document, out)
    for name in ("package.jsonl", "package.json.gz"):
        report = collect(tmp_path / f"{name}.db", tmp_path / name)
        assert (report.records, report.rejected) == (6, 0)


def test_malformed_statements_are_rejected_with_their_line(tmp_path):
    good = statement("rec-a", "entity", {"isComponent": False, "entityType": {"type": "registeredEntity"},
                                          "name": "Fictional Ltd"})
    bad = [
        statement("rec-b", "company", {}),
        {k: v for k, v in statement("rec-x", "entity", {"isComponent": False, "entityType": {"type": "unknownEntity"}}).items()
         if k != "recordId"},
        statement("rec-c", "entity", {"isComponent": False}),
        statement("rec-d", "relationship", {"isComponent": False, "subject": "rec-a", "interestedParty": "rec-a",
                                            "interests": [{"type": "shareholding", "share": {"exact": "lots"}}]}),
        statement("rec-e", "relationship", {"isComponent": False, "subject": "rec-a",
                                            "interests": [{"startDate": "2024-13-45"}]}),
        statement("rec-f", "relationship", {"isComponent": False, "subject": "rec-a", "interestedParty": "rec-a",
                                            "interests": [{"startDate": "2024-13-45"}]}),
        {"statementID": "x", "statementType": "entityStatement"},
    ]
    lines = [json.dumps(good), "{not json"] + [json.dumps(s) for s in bad]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = collect(tmp_path / "r.db", path)
    assert report.records == 2  # the good entity and its provenance
    rejected = rows(tmp_path / "r.db", "select line, error, raw from rejected_records order by line")
    assert [r["line"] for r in rejected] == [2, 3, 4, 5, 6, 7, 8, 9]
    errors = [r["error"] for r in rejected]
    assert "invalid JSON" in errors[0]
    # Each names the statement's JSON path in the file (counted from 0) and the rule it breaks.
    assert "$[2].recordType: must be one of entity, person, relationship (enum)" in errors[1]
    assert "$[3]: 'recordId' is a required property (required)" in errors[2]
    assert "$[4].recordDetails: 'entityType' is a required property (required)" in errors[3]
    assert "$[5].recordDetails.interests[0].share.exact: must be of type number (type)" in errors[4]
    assert "$[6].recordDetails: 'interestedParty' is a required property (required)" in errors[5]
    assert "$[7].recordDetails.interests[0].startDate: must be a date (format)" in errors[6]
    assert "BODS 0.3" in errors[7]
    assert "13-45" not in "".join(errors) and "lots" not in "".join(errors)  # rules, not the values found
    assert rejected[0]["raw"] is None  # not JSON: its text is kept in the private database only
    assert all(r["raw"] for r in rejected[1:])


def test_a_truncated_array_stops_the_run(tmp_path):
    text = REAL["bods-package.json"].read_text()
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2])
    with pytest.raises(SourceError, match="cut short"):
        collect(tmp_path / "r.db", path)
    assert rows(tmp_path / "r.db", "select count(*) as n from entities")[0]["n"] == 0  # rolled back


def test_broken_json_inside_an_array_names_the_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[\n{"recordId": "a"},\n{"recordId": "b",, }\n]\n')
    with pytest.raises(SourceError, match=r"broken.json, line 3: invalid JSON"):
        list(read_items(path))


def test_the_array_reader_streams_across_chunks(tmp_path, monkeypatch):
    """Statements larger than the read buffer, split anywhere, come out whole and with their lines."""
    import inspect_kit_bods.reader as reader

    monkeypatch.setattr(reader, "CHUNK", 7)
    statements = [statement(f"rec-{n}", "person", {"isComponent": False, "personType": "knownPerson",
                                                   "names": [{"fullName": "Ann Example " * n}]})
                  for n in range(1, 6)]
    path = write_statements(tmp_path / "many.json", statements)
    items = list(read_items(path))
    assert [item.statement for item in items] == statements
    starts = [n for n, line in enumerate(path.read_text().splitlines(), start=1) if line == " {"]
    assert [item.line for item in items] == starts


def test_a_later_statement_replaces_an_earlier_one(tmp_path):
    company = {"isComponent": False, "entityType": {"type": "registeredEntity"}, "name": "Old Name Ltd",
               "identifiers": [{"scheme": "GB-COH", "id": "9900071"}]}
    first = statement("rec-rel", "relationship", {"isComponent": False, "subject": "rec-co", "interestedParty": "rec-co2",
                                                  "interests": [{"type": "shareholding", "share": {"exact": 30}},
                                                                {"type": "votingRights", "share": {"exact": 30}}]})
    second = statement("rec-rel", "relationship", {"isComponent": False, "subject": "rec-co", "interestedParty": "rec-co2",
                                                   "interests": [{"type": "shareholding", "share": {"exact": 40}}]})
    path = write_statements(tmp_path / "updates.json", [
        first,
        statement("rec-co", "entity", company),
        statement("rec-co", "entity", {**company, "name": "New Name Ltd"}),
        second,
    ])
    collect(tmp_path / "r.db", path)
    (entity,) = rows(tmp_path / "r.db", "select * from entities")
    assert (entity["id"], entity["name"]) == ("GB-COH-09900071", "New Name Ltd")
    relationships = rows(tmp_path / "r.db", "select * from relationships")
    assert [(r["interest_type"], r["share_min"]) for r in relationships] == [("shareholding", 40)]
    # The relationship came before the entity it names, and still resolved.
    assert relationships[0]["subject_id"] == "GB-COH-09900071"
    assert relationships[0]["interested_party_id"] == "bods/rec-co2"  # described elsewhere: a stable id


def test_no_residence_or_birth_day_reaches_a_public_table(tmp_path):
    """A rejected person statement, and an entity's residence address, stay out of registry.db."""
    person = statement("rec-p", "person", {
        "personType": "knownPerson", "names": [{"type": "legal", "fullName": "Fictional Hidden Person"}],
        "birthDate": "1960-07-23", "nationalities": [{"code": "GB", "name": "United Kingdom"}],
        "addresses": [{"type": "residence", "address": "12 Hidden Home Road", "postCode": "ZZ9 9ZZ"}],
    })
    del person["recordId"]  # rejected for that
    country = {"name": "United Kingdom", "code": "GB"}
    registered = {"type": "registered", "address": "1 Office Street", "country": country}
    residence = {"type": "residence", "address": "12 Hidden Home Road", "country": country}
    def entity(record_id, addresses):
        return statement(record_id, "entity", {
            "isComponent": False, "entityType": {"type": "registeredEntity"}, "name": "Fictional Sole Trader Ltd",
            "jurisdiction": {"code": "GB", "name": "United Kingdom"}, "addresses": addresses})
    path = write_statements(tmp_path / "people.json",
                            [person, entity("rec-e", [registered, residence]), entity("rec-f", [registered])])
    report = collect(tmp_path / "r.db", path)
    assert report.rejected == 2  # the person for its missing recordId; an entity cannot have a residence
    rejected = rows(tmp_path / "r.db", "select line, error, raw from rejected_records order by id")
    assert "recordId" in rejected[0]["error"] and "addresses[1].type" in rejected[1]["error"]
    shown = json.loads(rejected[0]["raw"])
    assert shown["recordDetails"]["birthDate"] == "1960-07"
    assert "addresses" not in shown["recordDetails"]
    assert shown["recordDetails"]["names"][0]["fullName"] == "Fictional Hidden Person"
    assert json.loads(rejected[1]["raw"])["recordDetails"]["addresses"] == [registered]
    details = json.loads(rows(tmp_path / "r.db", "select details from bods_statements")[0]["details"])
    assert details["addresses"] == [registered]
    registry_bytes = (tmp_path / "r.db").read_bytes()
    assert b"Hidden Home Road" not in registry_bytes and b"1960-07-23" not in registry_bytes
    with sqlite3.connect(tmp_path / "r-private.db") as conn:
        private = "".join(r[0] for r in conn.execute("select raw from rejected_raw"))
    assert "Hidden Home Road" in private and "1960-07-23" in private
