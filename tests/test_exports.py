"""inspect-kit export ftm / gexf: the same graph for Aleph and for Gephi."""

import io
import json

import networkx
import pytest
from click.testing import CliRunner

import inspect_kit
from inspect_kit.cli import cli
from inspect_kit.plugins import get_exporters
from inspect_kit.registry import Registry
from inspect_kit_exports.ftm import ftm_id

from bods_helpers import collect, realdata_files


class Rows(inspect_kit.Collector):
    description = "fictional rows in the shapes the real collectors yield"
    takes_files = False

    def __init__(self, name, records):
        self.name = name
        self.records = records

    def collect(self, run):
        yield from self.records


class Links(inspect_kit.Resolver):
    name = "test-links"
    description = "links a resolver would make"

    def __init__(self, items):
        self.items = items

    def resolve(self, context):
        yield from self.items


def build_registry(path):
    """A landlord chain, an operator chain and one home on two titles (fictional values)."""
    registry = Registry.open(path)
    registry.collect(Rows("companies-house-api", [
        inspect_kit.Entity(id="GB-COH-09900051", name="Willowmere Care Ltd", entity_type="company",
                           jurisdiction="GB", company_number="09900051", address="2 Mill Lane, Exampleton"),
        inspect_kit.Entity(id="GB-COH-09900052", name="Willowmere Property Ltd", entity_type="company",
                           jurisdiction="GB", company_number="09900052"),
        inspect_kit.Entity(id="GB-COH-09900051/psc/p1", name="Ms Rosa Example", entity_type="person",
                           nationality="British", birth_month="1969-02"),
        inspect_kit.Relationship(id="GB-COH-09900051/psc/p1#ownership-of-shares-75-to-100-percent",
                                 subject_id="GB-COH-09900051", interested_party_id="GB-COH-09900051/psc/p1",
                                 interest_type="shareholding", share_min=75, share_max=100, start_date="2016-04-06"),
        inspect_kit.Relationship(id="GB-COH-09900052/psc-statement/s1", subject_id="GB-COH-09900052",
                                 unspecified_reason="psc-exists-but-not-identified"),
    ]))
    registry.collect(Rows("cqc-api", [
        inspect_kit.Provider(provider_id="1-99000001", name="Willowmere Care Ltd", company_number="09900051"),
        inspect_kit.Provider(provider_id="1-99000002", name="Unmatched Care Partnership"),
        inspect_kit.CareHome(location_id="1-99000101", name="Willowmere House", provider_id="1-99000001",
                             address="2 Mill Lane, Exampleton", postcode="EX1 2AB", beds=40, rating="Good",
                             latitude=51.5, longitude=-0.1),
        inspect_kit.CareHome(location_id="1-99000102", name="Brook Cottage", provider_id="1-99000002",
                             postcode="EX1 3CD"),
    ]))
    registry.collect(Rows("ccod", [
        inspect_kit.Title(title_number="EX100001", tenure="Freehold", property_address="Willowmere House, Mill Lane",
                          postcode="EX1 2AB", price_paid=1250000, dataset="ccod"),
        inspect_kit.Title(title_number="EX100002", tenure="Leasehold", property_address="Willowmere House, Mill Lane",
                          postcode="EX1 2AB", dataset="ccod"),
        inspect_kit.TitleProprietor(title_number="EX100001", position=1, name="WILLOWMERE PROPERTY LIMITED",
                                    company_number="09900052", country_incorporated="GB"),
        inspect_kit.TitleProprietor(title_number="EX100002", position=1, name="WILLOWMERE CARE LTD",
                                    company_number="09900051", country_incorporated="GB"),
        inspect_kit.TitleProprietor(title_number="EX100002", position=2, name="HARBOUR NOMINEES (JERSEY) LIMITED",
                                    country_incorporated="JE"),
    ]))
    with registry.transaction():
        registry.store_results(Links(None), [
            inspect_kit.Update(inspect_kit.Provider, {"provider_id": "1-99000001"}, {"entity_id": "GB-COH-09900051"}),
            inspect_kit.Update(inspect_kit.TitleProprietor, {"title_number": "EX100001", "position": 1},
                               {"entity_id": "GB-COH-09900052"}),
            inspect_kit.Update(inspect_kit.TitleProprietor, {"title_number": "EX100002", "position": 1},
                               {"entity_id": "GB-COH-09900051"}),
            inspect_kit.CareHomeTitle(location_id="1-99000101", title_number="EX100001", method="postcode+address",
                                      confidence=0.95),
            inspect_kit.CareHomeTitle(location_id="1-99000101", title_number="EX100002", method="postcode+address",
                                      confidence=0.9),
        ])
    registry.close()


def run_export(db, name) -> bytes:
    registry = Registry.open(db)
    out = io.BytesIO()
    try:
        get_exporters()[name].export(registry, out, {})
    finally:
        registry.close()
    return out.getvalue()


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "r.db"
    build_registry(path)
    return path


def read_gexf(data: bytes, tmp_path):
    path = tmp_path / "out.gexf"
    path.write_bytes(data)
    return networkx.read_gexf(path)


def test_gexf_loads_in_networkx_with_every_node_and_edge(db, tmp_path):
    graph = read_gexf(run_export(db, "gexf"), tmp_path)
    kinds = {n: d["kind"] for n, d in graph.nodes(data=True)}
    assert kinds["GB-COH-09900051"] == "entity"
    assert kinds["care_home:1-99000101"] == "care_home"
    assert kinds["title:EX100001"] == "title"
    assert kinds["provider:1-99000002"] == "provider"  # an operator not matched to an entity
    assert kinds["proprietor:EX100002:2"] == "proprietor"  # a landlord not matched to an entity
    company = graph.nodes["GB-COH-09900051"]
    assert (company["label"], company["entity_type"], company["jurisdiction"]) == ("Willowmere Care Ltd", "company", "GB")
    person = graph.nodes["GB-COH-09900051/psc/p1"]
    assert person["birth_month"] == "1969-02" and "address" not in person

    def edge(source, target):
        (data,) = graph.get_edge_data(source, target).values() if graph.is_multigraph() else [graph.get_edge_data(source, target)]
        return data

    owns = edge("GB-COH-09900051/psc/p1", "GB-COH-09900051")
    assert (owns["kind"], owns["interest_type"], owns["share_min"], owns["share_max"]) == ("owns", "shareholding", 75.0, 100.0)
    assert edge("GB-COH-09900051", "care_home:1-99000101")["kind"] == "operates"
    assert edge("provider:1-99000002", "care_home:1-99000102")["kind"] == "operates"
    assert edge("care_home:1-99000101", "title:EX100001")["confidence"] == 0.95
    assert edge("GB-COH-09900052", "title:EX100001")["kind"] == "proprietor"
    assert edge("GB-COH-09900051", "title:EX100002")["kind"] == "proprietor"  # the operator is also a landlord
    unknown = [n for n, k in kinds.items() if k == "unknown_owner"]
    assert len(unknown) == 1
    assert graph.nodes[unknown[0]]["unspecified_reason"] == "psc-exists-but-not-identified"
    assert edge(unknown[0], "GB-COH-09900052")["kind"] == "owns"
    # The landlord chain and the home meet in one connected graph.
    assert networkx.has_path(graph.to_undirected(), "GB-COH-09900051/psc/p1", "title:EX100001")


def test_gexf_of_an_empty_registry_is_valid(tmp_path):
    Registry.open(tmp_path / "r.db").close()
    graph = read_gexf(run_export(tmp_path / "r.db", "gexf"), tmp_path)
    assert graph.number_of_nodes() == 0


def test_gexf_escapes_markup_in_names(tmp_path):
    registry = Registry.open(tmp_path / "r.db")
    registry.collect(Rows("bods", [inspect_kit.Entity(id="bods/x", name='Smith & Sons <"Holdings">', entity_type="company")]))
    registry.close()
    graph = read_gexf(run_export(tmp_path / "r.db", "gexf"), tmp_path)
    assert graph.nodes["bods/x"]["label"] == 'Smith & Sons <"Holdings">'


def ftm_lines(db):
    return [json.loads(line) for line in run_export(db, "ftm").decode().splitlines()]


def test_ftm_entities_have_the_documented_shape(db):
    entities = ftm_lines(db)
    ids = [e["id"] for e in entities]
    assert len(ids) == len(set(ids))
    for entity in entities:
        assert set(entity) == {"id", "schema", "properties"}
        assert all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in entity["properties"].values())
        assert entity["id"].startswith("ik-") and entity["id"] == entity["id"].lower()
    # Every reference points at an entity written before it.
    seen = set()
    for entity in entities:
        for prop in ("owner", "asset", "subject", "object"):
            for ref in entity["properties"].get(prop, []):
                assert ref in seen
        seen.add(entity["id"])


def test_ftm_mapping(db):
    by_id = {e["id"]: e for e in ftm_lines(db)}
    company = by_id[ftm_id("GB-COH-09900051")]
    assert company["schema"] == "Company"
    assert company["properties"]["registrationNumber"] == ["09900051"]
    assert company["properties"]["jurisdiction"] == ["gb"]
    person = by_id[ftm_id("GB-COH-09900051/psc/p1")]
    assert person["schema"] == "Person" and person["properties"]["birthDate"] == ["1969-02"]
    assert "address" not in person["properties"]
    ownership = by_id[ftm_id("GB-COH-09900051/psc/p1#ownership-of-shares-75-to-100-percent")]
    assert ownership["schema"] == "Ownership"
    assert ownership["properties"]["percentage"] == ["75-100"]
    assert ownership["properties"]["owner"] == [person["id"]] and ownership["properties"]["asset"] == [company["id"]]
    # An owner declared unknown is not invented: its reason is a note on the company.
    landlord = by_id[ftm_id("GB-COH-09900052")]
    assert landlord["properties"]["notes"] == ["Owner declared unknown: psc-exists-but-not-identified"]
    title = by_id[ftm_id("title:EX100001")]
    assert title["schema"] == "RealEstate" and title["properties"]["titleNumber"] == ["EX100001"]
    proprietor = by_id[ftm_id("proprietor-of:EX100001:1")]
    assert proprietor["schema"] == "Ownership"
    assert proprietor["properties"]["owner"] == [landlord["id"]] and proprietor["properties"]["asset"] == [title["id"]]
    home = by_id[ftm_id("care_home:1-99000101")]
    assert home["schema"] == "Organization"
    links = [e for e in by_id.values() if e["schema"] == "UnknownLink"]
    assert {(e["properties"]["subject"][0], e["properties"]["object"][0]) for e in links} >= {
        (company["id"], home["id"]), (home["id"], title["id"])
    }


def test_ftm_keeps_the_bods_unknown_owner_reason(tmp_path):
    """bods-v04-fixtures 11: sink adapters keep the reason code in a mapped field."""
    bods_fixtures = pytest.importorskip("bods_fixtures")
    path = tmp_path / "11.json"
    path.write_text(json.dumps(bods_fixtures.load("edge-cases/11-anonymous-person").statements))
    collect(tmp_path / "r.db", path)
    (entity,) = ftm_lines(tmp_path / "r.db")
    assert entity["properties"]["notes"][0].startswith(
        "Owner declared unknown: subjectUnableToConfirmOrIdentifyBeneficialOwner (The subject entity has reported"
    )
    assert not [e for e in ftm_lines(tmp_path / "r.db") if e["schema"] == "Person"]


def test_ftm_is_valid_followthemoney_when_the_library_is_installed(db, tmp_path):
    model = pytest.importorskip("followthemoney").model
    collect(db, *realdata_files())
    for entity in ftm_lines(db):
        proxy = model.get_proxy(entity, cleaned=False)
        assert proxy.schema.name == entity["schema"]
        for prop, values in entity["properties"].items():
            assert proxy.schema.get(prop) is not None, f"{entity['schema']} has no property {prop}"
        assert proxy.caption


def test_cli_exports(db, tmp_path):
    runner = CliRunner()
    for name, suffix in (("ftm", "ftm.json"), ("gexf", "gexf")):
        out = tmp_path / f"out.{suffix}"
        result = runner.invoke(cli, ["export", name, "--db", str(db), "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
