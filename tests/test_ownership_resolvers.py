"""The ownership plugin end to end, on small fictional registries built with Registry.collect."""

from __future__ import annotations

import datetime
import json

import pytest
from click.testing import CliRunner

import inspect_kit
from inspect_kit import (
    BuildContext,
    CareHome,
    Entity,
    Provider,
    Relationship,
    Title,
    TitleProprietor,
)
from inspect_kit.cli import cli
from inspect_kit.plugins import get_collectors, get_queries, get_resolvers, get_tables, ordered
from inspect_kit.registry import Registry

OURS = ("entity-linking", "care-home-titles", "ownership-chains", "common-control")
TODAY = datetime.date(2024, 6, 1)


class Records(inspect_kit.Collector):
    """A collector that yields the records a test gives it."""

    name = "fixture"
    description = "Records given by a test"
    takes_files = False

    def __init__(self, records, name="fixture"):
        self.records = list(records)
        self.name = name

    def collect(self, run):
        yield from self.records


@pytest.fixture
def registry(tmp_path):
    registry = Registry(tmp_path / "registry.db", extra_records=get_tables())
    yield registry
    registry.close()


def build(registry, today=TODAY):
    resolvers = {n: r for n, r in get_resolvers().items() if n in OURS}
    context = BuildContext(registry, today=today)
    with registry.transaction():
        for resolver in ordered(resolvers):
            registry.store_results(resolver, resolver.resolve(context))


def rows(registry, sql, *params):
    if len(params) == 1 and isinstance(params[0], dict):
        params = params[0]
    cursor = registry.conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def company(number, name, **kw):
    return Entity(id=f"GB-COH-{number}", name=name, entity_type="company", jurisdiction="GB",
                  company_number=number, status="active", **kw)


def psc_person(company_number, psc, name):
    return Entity(id=f"GB-COH-{company_number}/psc/{psc}", name=name, entity_type="person")


def holds(company_number, owner_id, low, high, nature="ownership-of-shares", interest="shareholding", **kw):
    return Relationship(
        id=f"{owner_id}#{nature}-{low}-{high}" if "/psc/" in owner_id else f"GB-COH-{company_number}/{owner_id}#{nature}",
        subject_id=f"GB-COH-{company_number}", interested_party_id=owner_id, interest_type=interest,
        interest_detail=f"{nature}-{low}-to-{high}-percent", share_min=low, share_max=high, **kw)


def home(location_id, name, address, postcode, provider_id="1-100"):
    return CareHome(location_id=location_id, name=name, address=address, postcode=postcode,
                    provider_id=provider_id, care_home=True, status="Registered")


def title(number, address, postcode, tenure="Freehold", dataset="ccod"):
    return Title(title_number=number, property_address=f"{address} ({postcode})", postcode=postcode,
                 tenure=tenure, dataset=dataset)


# A fictional group: Ashdown Care Ltd runs Oak Lodge; Ashdown Property Ltd owns the
# freehold; both belong to Ashdown Group Ltd, whose owner is a person.
def ashdown_group():
    return [
        Provider(provider_id="1-100", name="Ashdown Care Ltd", company_number="1234567"),
        company("01234567", "ASHDOWN CARE LIMITED"),
        company("07654321", "ASHDOWN PROPERTY LIMITED"),
        company("05498655", "ASHDOWN GROUP LIMITED"),
        # Ashdown Care's PSC is the group, named as a corporate PSC with its unpadded number.
        Entity(id="GB-COH-01234567/psc/grp1", name="Ashdown Group Limited", entity_type="company",
               jurisdiction="GB", company_number="5498655"),
        holds("01234567", "GB-COH-01234567/psc/grp1", 75, 100),
        Entity(id="GB-COH-07654321/psc/grp2", name="Ashdown Group Ltd", entity_type="company",
               jurisdiction="GB", company_number="05498655"),
        holds("07654321", "GB-COH-07654321/psc/grp2", 75, 100),
        psc_person("05498655", "p1", "Alex Example"),
        holds("05498655", "GB-COH-05498655/psc/p1", 50, 75),
        holds("05498655", "GB-COH-05498655/psc/p1", 50, 75, nature="voting-rights", interest="votingRights"),
        home("1-L1", "Oak Lodge", "12 High Street, Exampletown", "ZZ9 9ZA"),
        title("ZZ100", "12 High Street, Exampletown", "ZZ9 9ZA"),
        TitleProprietor(title_number="ZZ100", position=1, name="ASHDOWN PROPERTY LIMITED",
                        company_number="7654321"),
        # The neighbour at the same postcode.
        title("ZZ101", "14 High Street, Exampletown", "ZZ9 9ZA"),
        TitleProprietor(title_number="ZZ101", position=1, name="NEIGHBOUR LIMITED", company_number="999"),
    ]


def test_operator_landlord_chains_and_common_control(registry):
    registry.collect(Records(ashdown_group()))
    build(registry)

    provider = rows(registry, "select entity_id from providers")[0]
    assert provider["entity_id"] == "GB-COH-01234567"
    assert rows(registry, "select location_id, title_number, method from care_home_titles") == [
        {"location_id": "1-L1", "title_number": "ZZ100", "method": "postcode+address"}
    ]
    landlord = rows(registry, "select entity_id from title_proprietors where title_number = 'ZZ100'")[0]
    assert landlord["entity_id"] == "GB-COH-07654321"

    psc_links = rows(registry, "select source_id, entity_id, method from entity_matches where kind = 'corporate_psc' order by 1")
    assert [r["entity_id"] for r in psc_links] == ["GB-COH-05498655", "GB-COH-05498655"]

    paths = rows(registry, "select * from ownership_paths where subject_id = 'GB-COH-01234567'")
    assert len(paths) == 1
    assert json.loads(paths[0]["path"]) == ["GB-COH-01234567", "GB-COH-05498655", "GB-COH-05498655/psc/p1"]
    assert paths[0]["end_kind"] == "person" and paths[0]["traceable"] == 1
    assert (paths[0]["share_min"], paths[0]["share_max"]) == (37.5, 75.0)

    owners = rows(registry, "select subject_id, owner_id, share_min, share_max from ultimate_owners order by subject_id")
    assert {o["subject_id"] for o in owners} == {"GB-COH-01234567", "GB-COH-07654321", "GB-COH-05498655",
                                                 "GB-COH-05498655/psc/p1"}

    common = rows(registry, "select * from common_control where nearest = 1")
    assert len(common) == 1
    assert common[0]["owner_id"] == "GB-COH-05498655"
    assert common[0]["owner_name"] == "ASHDOWN GROUP LIMITED"
    assert json.loads(common[0]["operator_path"]) == ["GB-COH-01234567", "GB-COH-05498655"]
    assert json.loads(common[0]["landlord_path"]) == ["GB-COH-07654321", "GB-COH-05498655"]


def test_no_common_control_when_chains_do_not_meet(registry):
    records = ashdown_group()
    # The landlord belongs to someone else.
    records = [r for r in records if getattr(r, "subject_id", None) != "GB-COH-07654321"]
    records += [psc_person("07654321", "q", "Sam Other"), holds("07654321", "GB-COH-07654321/psc/q", 75, 100)]
    registry.collect(Records(records))
    build(registry)
    assert rows(registry, "select * from common_control") == []


def test_home_chain_query_shows_both_sides(registry):
    registry.collect(Records(ashdown_group()))
    build(registry)
    sql = get_queries()["home_ownership_chain"].sql
    result = rows(registry, sql, {"location_id": "1-L1"})
    operator = [(r["depth"], r["entity_id"]) for r in result if r["side"] == "operator"]
    landlord = [(r["depth"], r["entity_id"]) for r in result if r["side"] == "landlord"]
    assert operator == [(0, "GB-COH-01234567"), (1, "GB-COH-05498655"), (2, "GB-COH-05498655/psc/p1")]
    assert landlord == [(0, "GB-COH-07654321"), (1, "GB-COH-05498655"), (2, "GB-COH-05498655/psc/p1")]
    top = [r for r in result if r["depth"] == 2][0]
    assert "ownership-of-shares-50-to-75-percent" in top["interests"] and "voting-rights" in top["interests"]


def test_home_chain_query_stops_at_a_cycle_and_shows_unknown_owners(registry):
    records = [
        Provider(provider_id="1-100", name="Loop Care Ltd", company_number="00000011"),
        company("00000011", "LOOP CARE LIMITED"),
        company("00000012", "LOOP HOLDINGS LIMITED"),
        Relationship(id="a", subject_id="GB-COH-00000011", interested_party_id="GB-COH-00000012",
                     interest_type="shareholding", share_min=75, share_max=100),
        Relationship(id="b", subject_id="GB-COH-00000012", interested_party_id="GB-COH-00000011",
                     interest_type="shareholding", share_min=75, share_max=100),
        Relationship(id="c", subject_id="GB-COH-00000012", interested_party_id=None,
                     unspecified_reason="psc-contacted-but-no-response"),
        home("1-L2", "Loop House", "1 Ring Road", "ZZ9 9ZB"),
    ]
    registry.collect(Records(records))
    build(registry)
    sql = get_queries()["home_ownership_chain"].sql
    result = rows(registry, sql, {"location_id": "1-L2"})
    notes = [r["note"] for r in result if r["note"]]
    assert "cycle: back to GB-COH-00000011" in notes
    assert "owner declared unknown: psc-contacted-but-no-response" in notes
    paths = rows(registry, "select end_kind, traceable, reason from ownership_paths where subject_id = 'GB-COH-00000011'")
    assert sorted(p["end_kind"] for p in paths) == ["cycle", "unknown_owner"]
    assert all(p["traceable"] == 0 for p in paths)


def test_queries_for_owner_homes_and_operator_landlords(registry):
    registry.collect(Records(ashdown_group()))
    build(registry)
    queries = get_queries()
    homes = rows(registry, queries["homes_of_ultimate_owner"].sql, {"owner_id": "GB-COH-05498655/psc/p1"})
    assert {(h["location_id"], h["via"]) for h in homes} == {("1-L1", "operator"), ("1-L1", "landlord")}
    landlords = rows(registry, queries["landlords_of_operator"].sql, {"operator": "1-100"})
    assert [(l["landlord_id"], l["homes"]) for l in landlords] == [("GB-COH-07654321", 1)]


def test_overseas_proprietor_matched_to_roe_by_name_and_jurisdiction(registry):
    records = [
        Entity(id="GB-COH-OE000123", name="HARBOUR ESTATES (JERSEY) LIMITED", entity_type="overseas_entity",
               jurisdiction="JE", company_number="OE000123"),
        Entity(id="GB-COH-OE000124", name="HARBOUR ESTATES (JERSEY) LIMITED", entity_type="overseas_entity",
               jurisdiction="GG", company_number="OE000124"),
        title("JE1", "Gull House, Sea Lane, Exampletown", "ZZ9 9ZC", dataset="ocod"),
        TitleProprietor(title_number="JE1", position=1, name="Harbour Estates (Jersey) Ltd.",
                        country_incorporated="JE", country_incorporated_as_given="JERSEY"),
        title("JE2", "Tern House, Sea Lane, Exampletown", "ZZ9 9ZC", dataset="ocod"),
        TitleProprietor(title_number="JE2", position=1, name="MISTY COVE LIMITED",
                        country_incorporated="VG", country_incorporated_as_given="BRITISH VIRGIN ISLANDS"),
    ]
    registry.collect(Records(records))
    build(registry)
    matched = rows(registry, "select * from entity_matches where source_id = 'JE1:1'")[0]
    assert matched["entity_id"] == "GB-COH-OE000123"
    assert matched["method"] == "name+jurisdiction" and matched["confidence"] >= 0.9
    unmatched = rows(registry, "select * from entity_matches where source_id = 'JE2:1'")[0]
    assert unmatched["entity_id"] is None and unmatched["method"] == "unmatched"
    assert "no Register of Overseas Entities record" in unmatched["reason"]
    assert rows(registry, "select entity_id from title_proprietors where title_number = 'JE2'") == [{"entity_id": None}]


def test_ccod_number_without_leading_zeros_and_number_in_no_register(registry):
    records = [
        company("00012345", "SMALL PROPERTY LIMITED"),
        title("T1", "1 A Road", "ZZ9 9ZD"), TitleProprietor(title_number="T1", position=1, name="SMALL PROPERTY LTD", company_number="12345"),
        title("T2", "2 A Road", "ZZ9 9ZD"), TitleProprietor(title_number="T2", position=1, name="GHOST LTD", company_number="99999998"),
    ]
    registry.collect(Records(records))
    build(registry)
    found = {r["source_id"]: r for r in rows(registry, "select * from entity_matches where kind = 'ccod_proprietor'")}
    assert found["T1:1"]["entity_id"] == "GB-COH-00012345" and found["T1:1"]["confidence"] == 1.0
    assert found["T2:1"]["entity_id"] == "GB-COH-99999998" and found["T2:1"]["confidence"] < 1.0
    assert "no register collected" in found["T2:1"]["reason"]


def test_corporate_psc_numbers_written_every_way_find_their_company(registry):
    records = [
        company("00012345", "PLAIN PARENT LIMITED"),
        company("SC012345", "SCOTTISH PARENT LIMITED"),
        Entity(id="GB-COH-00000001/psc/a", name="Plain Parent Ltd", entity_type="company",
               jurisdiction="GB", company_number="12345"),
        Entity(id="GB-COH-00000001/psc/b", name="Scottish Parent Ltd", entity_type="company",
               jurisdiction="GB", company_number="sc 12345"),
        Entity(id="GB-COH-00000001/psc/c", name="Missing Parent Ltd", entity_type="company",
               jurisdiction="GB", company_number="00777"),
    ]
    registry.collect(Records(records))
    build(registry)
    found = {r["source_id"]: r["entity_id"]
             for r in rows(registry, "select * from entity_matches where kind = 'corporate_psc'")}
    assert found == {"GB-COH-00000001/psc/a": "GB-COH-00012345", "GB-COH-00000001/psc/b": "GB-COH-SC012345",
                     "GB-COH-00000001/psc/c": None}


def test_corporate_psc_abroad_with_no_record_is_foreign_not_found(registry):
    records = [
        Provider(provider_id="1-100", name="Island Care Ltd", company_number="00000021"),
        company("00000021", "ISLAND CARE LIMITED"),
        Entity(id="GB-COH-00000021/psc/ky", name="PALM TRUSTEES LTD", entity_type="company",
               jurisdiction="KY", company_number="CR-1234"),
        holds("00000021", "GB-COH-00000021/psc/ky", 75, 100),
    ]
    registry.collect(Records(records))
    build(registry)
    (path,) = rows(registry, "select * from ownership_paths where subject_id = 'GB-COH-00000021'")
    assert path["end_kind"] == "foreign_not_found" and path["traceable"] == 0
    assert "KY" in path["reason"]


def test_ended_relationship_is_not_on_the_chain(registry):
    records = [
        Provider(provider_id="1-100", name="Change Care Ltd", company_number="00000031"),
        company("00000031", "CHANGE CARE LIMITED"),
        psc_person("00000031", "old", "Old Owner"),
        holds("00000031", "GB-COH-00000031/psc/old", 75, 100, end_date="2023-01-31"),
    ]
    registry.collect(Records(records))
    build(registry)
    (path,) = rows(registry, "select * from ownership_paths where subject_id = 'GB-COH-00000031'")
    assert path["end_kind"] == "no_psc_filed" and "2023-01-31" in path["reason"]
    build(registry, today=datetime.date(2022, 6, 1))
    (path,) = rows(registry, "select * from ownership_paths where subject_id = 'GB-COH-00000031'")
    assert path["end_kind"] == "person"


def test_an_indirect_interest_does_not_count_a_chain_twice(registry):
    records = [
        Provider(provider_id="1-100", name="Layer Care Ltd", company_number="00000041"),
        company("00000041", "LAYER CARE LIMITED"),
        company("00000042", "LAYER HOLDINGS LIMITED"),
        holds("00000041", "GB-COH-00000042", 75, 100),
        psc_person("00000042", "p", "Pat Example"),
        holds("00000042", "GB-COH-00000042/psc/p", 75, 100),
        # The same person's stake in the operator, summarised as one indirect interest.
        holds("00000041", "GB-COH-00000042/psc/p", 75, 100, nature="indirect", direct=False),
    ]
    registry.collect(Records(records))
    build(registry)
    paths = rows(registry, "select path from ownership_paths where subject_id = 'GB-COH-00000041'")
    assert [json.loads(p["path"]) for p in paths] == [
        ["GB-COH-00000041", "GB-COH-00000042", "GB-COH-00000042/psc/p"]
    ]
    (owner,) = rows(registry, "select * from ultimate_owners where subject_id = 'GB-COH-00000041'")
    assert (owner["share_min"], owner["share_max"]) == (56.25, 100)


def test_ambiguous_title_goes_to_a_person_and_the_decision_is_reused(registry, tmp_path):
    records = [
        Provider(provider_id="1-100", name="Ashdown Care Ltd", company_number="01234567"),
        home("1-L9", "Willow Court Nursing Home", "High Street, Exampletown", "ZZ9 9ZE"),
        # No number, no building name: plausible but not sure.
        title("W1", "High Street, Exampletown", "ZZ9 9ZE"),
        title("W2", "Elm House, High Street, Exampletown", "ZZ9 9ZE"),
    ]
    registry.collect(Records(records))
    build(registry)
    assert rows(registry, "select * from care_home_titles") == []
    candidates = rows(registry, "select left_id, right_id, score, reason from match_candidates")
    assert [(c["left_id"], c["right_id"]) for c in candidates] == [("1-L9", "W1")]

    # A person decides, with the CLI command; the next build follows the decision.
    db = str(registry.path)
    result = CliRunner().invoke(cli, ["decide", "care_home_title", "1-L9", "W1", "same", "--by", "Tester", "--db", db])
    assert result.exit_code == 0, result.output
    build(registry)
    assert rows(registry, "select title_number, method, confidence from care_home_titles") == [
        {"title_number": "W1", "method": "decision", "confidence": 1.0}
    ]
    assert rows(registry, "select * from match_candidates") == []

    # A 'different' decision from a CSV file stops an automatic match too.
    decisions = tmp_path / "decisions.csv"
    decisions.write_text("kind,left_id,right_id,decision,decided_by,note\n"
                         "care_home_title,1-L9,W1,different,Tester,wrong building\n"
                         "care_home_title,1-L9,W2,maybe,Tester,\n")
    report = registry.collect(get_collectors()["match-decisions"], files=[decisions])
    assert (report.records, report.rejected) == (1, 1)
    rejected = rows(registry, "select line, error from rejected_records")
    assert rejected == [{"line": 3, "error": "decision 'maybe' is not 'same' or 'different'"}]
    build(registry)
    assert rows(registry, "select * from care_home_titles") == []


def test_home_on_a_freehold_and_a_lease(registry):
    records = [
        home("1-L5", "Birch Lodge", "5 Mill Lane, Exampletown", "ZZ9 9ZF"),
        title("F1", "Birch Lodge, 5 Mill Lane, Exampletown", "ZZ9 9ZF"),
        title("L1", "5 Mill Lane, Exampletown", "ZZ9 9ZF", tenure="Leasehold"),
        title("N1", "7 Mill Lane, Exampletown", "ZZ9 9ZF"),
    ]
    registry.collect(Records(records))
    build(registry)
    assert [r["title_number"] for r in rows(registry, "select title_number from care_home_titles order by 1")] == ["F1", "L1"]


def test_ambiguous_overseas_name_is_not_guessed(registry):
    records = [
        Entity(id="GB-COH-OE000201", name="SEAVIEW LIMITED", entity_type="overseas_entity", jurisdiction="JE"),
        Entity(id="GB-COH-OE000202", name="SEAVIEW LTD", entity_type="overseas_entity", jurisdiction="JE"),
        title("S1", "1 Shore Road", "ZZ9 9ZG", dataset="ocod"),
        TitleProprietor(title_number="S1", position=1, name="Seaview Limited", country_incorporated="JE"),
    ]
    registry.collect(Records(records))
    build(registry)
    match = rows(registry, "select * from entity_matches where source_id = 'S1:1'")[0]
    assert match["entity_id"] is None and match["method"] == "ambiguous"
    candidates = rows(registry, "select left_id, right_id from match_candidates where kind = 'ocod_proprietor'")
    assert {c["right_id"] for c in candidates} == {"GB-COH-OE000201", "GB-COH-OE000202"}
    left = candidates[0]["left_id"]
    CliRunner().invoke(cli, ["decide", "ocod_proprietor", left, "GB-COH-OE000202", "same", "--db", str(registry.path)])
    build(registry)
    assert rows(registry, "select entity_id from title_proprietors") == [{"entity_id": "GB-COH-OE000202"}]


def test_rebuild_is_stable(registry):
    registry.collect(Records(ashdown_group()))
    build(registry)
    first = rows(registry, "select * from ownership_paths order by subject_id, path_number")
    build(registry)
    assert rows(registry, "select * from ownership_paths order by subject_id, path_number") == first


def _operator_ends(registry, number):
    return [(p["end_kind"], p["traceable"]) for p in
            rows(registry, "select * from ownership_paths where subject_id = ?", f"GB-COH-{number}")]


def test_a_listed_company_with_a_psc_exemption_is_traceable(registry):
    registry.collect(Records([
        Provider(provider_id="1-100", name="Listed Care plc", company_number="00000051"),
        company("00000051", "LISTED CARE PLC", listed=True),
        Relationship(id="GB-COH-00000051/psc-exemption/1", subject_id="GB-COH-00000051",
                     unspecified_reason="psc-exempt-as-shares-admitted-on-market"),
    ]))
    build(registry)
    assert _operator_ends(registry, "00000051") == [("listed_company", 1)]


def test_a_statutory_body_named_as_a_legal_person_is_a_public_body(registry):
    registry.collect(Records([
        Provider(provider_id="1-100", name="Municipal Care Ltd", company_number="00000052"),
        company("00000052", "MUNICIPAL CARE LIMITED"),
        Entity(id="GB-COH-00000052/psc/lp", name="THE EXAMPLE MUNICIPAL TRUST", entity_type="legal_person",
               company_type="Statutory Body"),
        holds("00000052", "GB-COH-00000052/psc/lp", 75, 100),
    ]))
    build(registry)
    assert _operator_ends(registry, "00000052") == [("public_body", 1)]


def test_a_foreign_corporate_owner_is_found_in_another_register_by_number(registry):
    registry.collect(Records([
        Provider(provider_id="1-100", name="Island Care Ltd", company_number="00000053"),
        company("00000053", "ISLAND CARE LIMITED"),
        Entity(id="GB-COH-00000053/psc/ky", name="ISLAND HOLDINGS LTD", entity_type="company",
               jurisdiction="KY", company_number="0204417"),
        holds("00000053", "GB-COH-00000053/psc/ky", 75, 100),
    ]))
    # The Cayman company's own register, as a BODS file describes it, names its owner.
    registry.collect(Records([
        Entity(id="bods/ky-1", name="Island Holdings Ltd", entity_type="company", jurisdiction="KY",
               company_number="204417"),
        Entity(id="bods/person-1", name="Ida Example", entity_type="person"),
        Relationship(id="bods/rel-1", subject_id="bods/ky-1", interested_party_id="bods/person-1",
                     interest_type="shareholding", share_min=100, share_max=100),
    ], name="bods-fixture"))
    build(registry)
    (match,) = rows(registry, "select * from entity_matches where source_id = 'GB-COH-00000053/psc/ky'")
    assert (match["entity_id"], match["method"]) == ("bods/ky-1", "registration_number+jurisdiction")
    assert _operator_ends(registry, "00000053") == [("person", 1)]
