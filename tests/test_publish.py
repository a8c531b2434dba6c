"""The published site, through Datasette's own test client."""

from __future__ import annotations

import asyncio
import functools
import json
import re
import shutil
import sqlite3
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

import inspect_kit
from inspect_kit import plugins as ik_plugins
from inspect_kit.cli import cli
from inspect_kit_datasette.publish import make_datasette
from inspect_kit.records import CONTRACT_RECORDS
from publish_registry import (
    GROUP, HOME, LANDLORD, LANDLORD_NAME, OPERATOR, OTHER_HOME, PERSON, TOPCO, build_registry,
)

TOKEN = "fictional-regulator-token"


def run_async(test):
    """Run an async test on its own event loop (no pytest plugin needed)."""

    @functools.wraps(test)
    def runner(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return runner


DB = "registry"
PRIVATE = "private"  # the private database beside it, served to regulators only


@pytest.fixture
def registry_path(tmp_path):
    return build_registry(tmp_path / f"{DB}.db")


@pytest.fixture
def ds(registry_path, monkeypatch):
    monkeypatch.setenv("INSPECT_KIT_REGULATOR_TOKEN", TOKEN)
    return make_datasette(registry_path, secret="test-secret")


REGULATOR = {"Authorization": f"Bearer {TOKEN}"}


async def get(ds, path, **kwargs):
    return await ds.client.get(path, **kwargs)


def rows(response):
    return response.json()["rows"] if "rows" in response.json() else response.json()


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.extend(v for k, v in attrs if k == "href")


def hrefs(html):
    parser = Links()
    parser.feed(html)
    return parser.hrefs


# --- metadata ------------------------------------------------------------------------


@run_async
async def test_metadata_describes_every_contract_table(ds):
    metadata = (await get(ds, "/-/metadata.json")).json()
    tables = metadata["databases"][DB]["tables"]
    private = metadata["databases"]["private"]["tables"]
    for record_class in CONTRACT_RECORDS:
        table = (private if record_class.__private__ else tables)[record_class.__table__]
        assert record_class.__table__ not in (tables if record_class.__private__ else private)
        assert table["description"], record_class.__table__
        assert table["license"] == "Open Government Licence v3.0"
        assert table["title"]
        assert table.get("source"), record_class.__table__
    assert "HM Land Registry" in tables["titles"]["attribution"]
    assert tables["care_homes"]["columns"]["beds"] == "Number of registered beds"
    assert tables["care_homes"]["facets"] == ["rating", "region", "local_authority"]
    assert tables["entities"]["label_column"] == "name"
    assert "jurisdiction" in tables["entities"]["facets"]
    assert "flag" in tables["risk_flags"]["facets"]
    assert metadata["plugins"]["inspect-kit"]["confidential"] == [
        "inspection_schedule", "match_decisions", "schedule_runs"]


@run_async
@pytest.mark.parametrize("path,attribution", [
    ("/", "Care Quality Commission, Companies House and HM Land Registry"),
    (f"/{DB}", "Care Quality Commission, Companies House and HM Land Registry"),
    (f"/{DB}/care_homes", "Contains CQC data © Care Quality Commission"),
    (f"/{DB}/care_homes/{HOME}", "Contains CQC data © Care Quality Commission"),
    (f"/{DB}/titles", "Contains HM Land Registry data © Crown copyright"),
    (f"/{DB}/entities", "Contains Companies House data © Crown copyright"),
    (f"/{DB}/risk_flags", "Derived by inspect-kit from the public registers"),
    (f"/{DB}/rejected_records", "Care Quality Commission, Companies House and HM Land Registry"),
])
async def test_every_page_carries_its_licence_and_attribution(ds, path, attribution):
    html = (await get(ds, path)).text
    footer = html[html.index("<footer"):]
    assert "Open Government Licence v3.0" in footer and attribution in footer, path


@run_async
async def test_table_page_shows_facets_licence_and_source(ds):
    response = await get(ds, f"/{DB}/care_homes.json?_facet=rating")
    facets = response.json()["facet_results"]
    assert {"rating", "region", "local_authority"} <= set(facets)
    html = (await get(ds, f"/{DB}/titles")).text
    assert "Open Government Licence v3.0" in html
    assert "HM Land Registry CCOD and OCOD" in html


# --- search, links, filters ---------------------------------------------------------------


@run_async
@pytest.mark.parametrize(
    "table,term,column,expected",
    [
        ("care_homes", "meadow", "location_id", HOME),
        ("care_homes", "Otherford", "location_id", OTHER_HOME),
        ("providers", "sunrise", "provider_id", "1-800000001"),
        ("entities", "cayman", "id", TOPCO),
        ("title_proprietors", "guernsey", "title_number", "TT100002"),
    ],
)
async def test_full_text_search(ds, table, term, column, expected):
    found = rows(await get(ds, f"/{DB}/{table}.json?_search={term}&_shape=array"))
    assert [row[column] for row in found] == [expected]


def test_enable_search_command(tmp_path):
    path = build_registry(tmp_path / "fresh.db")
    runner = CliRunner()
    first = runner.invoke(cli, ["enable-search", path])
    assert first.exit_code == 0, first.output
    assert "care_homes" in first.output and "entities" in first.output
    again = runner.invoke(cli, ["enable-search", path])
    assert "already enabled" in again.output
    with sqlite3.connect(path) as conn:
        hit = conn.execute("select rowid from care_homes_fts where care_homes_fts match 'meadow'").fetchall()
    assert len(hit) == 1


@run_async
async def test_home_row_links_to_operator_titles_flags_and_graph(ds):
    html = (await get(ds, f"/{DB}/care_homes/{HOME}")).text
    assert "Sunrise Care Operations Ltd" in html  # the operator's label beside provider_id
    links = hrefs(html)
    assert f"/-/ownership/home/{HOME}" in links
    assert f"/{DB}/care_home_titles?location_id={HOME}" in links
    provider_link = next(h for h in links if h.startswith(f"/{DB}/providers/"))
    provider_page = (await get(ds, provider_link)).text
    assert OPERATOR in provider_page
    for link in links:
        if link.startswith(f"/{DB}/") or link.startswith("/-/ownership"):
            assert (await get(ds, link)).status_code == 200, link


@run_async
async def test_flag_filter_on_homes(ds):
    flagged = rows(await get(ds, f"/{DB}/care_homes.json?_flag=offshore_landlord&_shape=array"))
    assert [r["location_id"] for r in flagged] == [HOME]
    assert rows(await get(ds, f"/{DB}/care_homes.json?_flag=title_churn&_shape=array")) == []
    anything = rows(await get(ds, f"/{DB}/care_homes.json?_flag=any&_shape=array"))
    assert [r["location_id"] for r in anything] == [HOME]
    entities = rows(await get(ds, f"/{DB}/entities.json?_flag=any&_shape=array"))
    assert [r["id"] for r in entities] == [LANDLORD]
    html = (await get(ds, f"/{DB}/care_homes?_flag=offshore_landlord")).text
    assert "the flag &#34;offshore_landlord&#34; is raised" in html


# --- ownership graphs ------------------------------------------------------------------


@run_async
async def test_home_graph_shows_both_sides_and_flags(ds):
    data = (await get(ds, f"/-/ownership/home/{HOME}?_format=json")).json()
    nodes = {n["id"]: n for n in data["nodes"]}
    assert {f"home:{HOME}", "provider:1-800000001", "title:TT100001", "title:TT100002",
            f"entity:{OPERATOR}", f"entity:{GROUP}", f"entity:{PERSON}", f"entity:{LANDLORD}",
            f"entity:{TOPCO}", "proprietor:TT100002:1"} <= set(nodes)
    unknown = [n for n in nodes.values() if n["kind"] == "unknown"]
    assert len(unknown) == 1 and "no-beneficial-owner-identified" in unknown[0]["untraceable"]
    edges = {(e["owner"], e["owned"]) for e in data["edges"]}
    assert (f"entity:{GROUP}", f"entity:{OPERATOR}") in edges
    assert (f"entity:{LANDLORD}", "title:TT100001") in edges
    assert (f"entity:{TOPCO}", f"entity:{LANDLORD}") in edges
    assert nodes[f"home:{HOME}"]["flags"] == ["offshore_landlord"]
    assert nodes[f"entity:{LANDLORD}"]["flags"] == ["untraceable_owner"]
    assert nodes[f"entity:{OPERATOR}"]["flags"] == []


@run_async
async def test_home_graph_page_is_svg_with_working_links(ds):
    response = await get(ds, f"/-/ownership/home/{HOME}")
    assert response.status_code == 200
    html = response.text
    start = html.index("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ownership-graph\"")
    svg = html[start : html.index("</svg>", start) + 6]
    ET.fromstring(svg)  # well-formed
    assert "cdn" not in html.lower() and "<script src=\"http" not in html
    assert svg.count('class="node node-') == 11
    assert svg.count(" flagged\"") >= 3  # the home, the landlord and the unknown owner
    assert "offshore_landlord" in svg and "owner not known" in html.lower()
    links = hrefs(svg)
    assert len(links) == 11
    for link in links:
        assert (await get(ds, link)).status_code == 200, link
    assert "The landlord is registered in Jersey." in html  # why it is flagged


@run_async
async def test_entity_graph_and_missing_rows(ds):
    from urllib.parse import quote

    response = await get(ds, f"/-/ownership/entity/{quote(PERSON, safe='')}?_format=json")
    assert response.status_code == 200
    assert response.json()["title"] == "Alex Example"
    data = (await get(ds, f"/-/ownership/entity/{GROUP}?_format=json")).json()
    ids = {n["id"] for n in data["nodes"]}
    assert f"entity:{PERSON}" in ids  # the chain above, read from relationships: no paths traced
    landlord = (await get(ds, f"/-/ownership/entity/{LANDLORD}?_format=json")).json()
    assert "title:TT100001" in {n["id"] for n in landlord["nodes"]}
    assert (await get(ds, "/-/ownership/home/1-000000000")).status_code == 404
    assert (await get(ds, "/-/ownership/entity/GB-COH-00000000")).status_code == 404


# --- escaping ------------------------------------------------------------------------------


@run_async
@pytest.mark.parametrize(
    "path",
    [
        f"/-/ownership/home/{HOME}",
        f"/-/ownership/entity/{LANDLORD}",
        f"/{DB}/title_proprietors",
        f"/{DB}/entities",
        f"/{DB}/relationships",
        f"/{DB}/homes_with_offshore_or_untraceable_landlords?local_authority=",
        f"/{DB}/ownership_changes?since=&area=&offshore=",
    ],
)
async def test_names_are_escaped(ds, path):
    html = (await get(ds, path)).text
    assert "alert(&#39;owned&#39;)" in html or "alert(&#x27;owned&#x27;)" in html or "&lt;script&gt;" in html
    assert "<script>alert" not in html
    assert "<b>jurisdiction</b>" not in html


# --- privacy -----------------------------------------------------------------------------


@run_async
async def test_schedule_refused_to_the_public(ds):
    for path in (
        f"/{PRIVATE}/inspection_schedule",
        f"/{PRIVATE}/inspection_schedule.json",
        f"/{PRIVATE}/inspection_schedule.csv",
        f"/{PRIVATE}.json?sql=select+*+from+inspection_schedule",
        f"/{PRIVATE}?sql=select+reason+from+INSPECTION_SCHEDULE",
        f"/{PRIVATE}",
        f"/{PRIVATE}.db",
        f"/{DB}.db",
    ):
        response = await get(ds, path)
        assert response.status_code == 403, path
        assert "secret visit" not in response.text
    for path in (  # the public registry does not hold it at all
        f"/{PRIVATE}/inspection_schedule.json",
        f"/{DB}.json?sql=select+*+from+inspection_schedule",
        f"/{DB}/care_homes.json?_where=location_id+in+(select+location_id+from+inspection_schedule)",
    ):
        response = await get(ds, path)
        assert response.status_code in (400, 403, 404), path
        assert "secret visit" not in response.text
    index = (await get(ds, "/")).text
    assert "inspection_schedule" not in index and f"/{PRIVATE}" not in index


@run_async
async def test_confidential_table_through_a_view_is_refused(registry_path, monkeypatch):
    with sqlite3.connect(registry_path) as conn:
        conn.execute("create view innocent as select * from risk_flags")
    monkeypatch.setenv("INSPECT_KIT_REGULATOR_TOKEN", TOKEN)
    monkeypatch.setenv("INSPECT_KIT_CONFIDENTIAL", "risk_flags")
    ds = make_datasette(registry_path, secret="s")
    response = await get(ds, f"/{DB}.json?sql=select+*+from+innocent")
    assert response.status_code == 403
    allowed = await get(ds, f"/{DB}.json?sql=select+*+from+innocent", headers=REGULATOR)
    assert allowed.status_code == 200 and "offshore_landlord" in allowed.text


@run_async
async def test_public_sql_still_works(ds):
    response = await get(ds, f"/{DB}.json?sql=select+count(*)+as+n+from+care_homes&_shape=array")
    assert response.status_code == 200 and response.json() == [{"n": 2}]
    settings = (await get(ds, "/-/settings.json")).json()
    assert settings["sql_time_limit_ms"] == 3000
    slow = await get(
        ds,
        f"/{DB}.json?sql=with+recursive+c(x)+as+(select+1+union+all+select+x%2B1+from+c)+select+count(*)+from+c",
    )
    assert slow.status_code == 400 and "too long" in slow.text


@run_async
async def test_regulator_token_opens_the_schedule(ds):
    response = await get(ds, f"/{PRIVATE}/inspection_schedule.json?_shape=array", headers=REGULATOR)
    assert response.status_code == 200
    assert response.json()[0]["reason"] == "offshore landlord; secret visit"
    wrong = await get(ds, f"/{PRIVATE}/inspection_schedule.json", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403


@run_async
async def test_regulator_signs_in_with_the_form(ds):
    page = await get(ds, "/-/regulator-sign-in")
    csrftoken = re.search(r'name="csrftoken" value="([^"]+)"', page.text).group(1)
    cookies = {"ds_csrftoken": page.cookies["ds_csrftoken"]}
    bad = await ds.client.post("/-/regulator-sign-in", data={"token": "guess", "csrftoken": csrftoken}, cookies=cookies)
    assert bad.status_code == 403 and "ds_actor" not in bad.cookies
    good = await ds.client.post("/-/regulator-sign-in", data={"token": TOKEN, "csrftoken": csrftoken}, cookies=cookies)
    assert good.status_code == 302
    schedule = await get(ds, f"/{PRIVATE}/inspection_schedule.json?_shape=array", cookies={"ds_actor": good.cookies["ds_actor"]})
    assert schedule.status_code == 200 and len(schedule.json()) == 1


@run_async
async def test_sign_in_is_off_without_a_token(registry_path, monkeypatch):
    monkeypatch.delenv("INSPECT_KIT_REGULATOR_TOKEN", raising=False)
    ds = make_datasette(registry_path, secret="s")
    assert "Sign-in is off" in (await get(ds, "/-/regulator-sign-in")).text
    response = await get(ds, f"/{PRIVATE}/inspection_schedule.json", headers={"Authorization": "Bearer "})
    assert response.status_code == 403


@run_async
async def test_more_confidential_tables_from_the_environment(registry_path, monkeypatch):
    monkeypatch.setenv("INSPECT_KIT_CONFIDENTIAL", "risk_flags")
    ds = make_datasette(registry_path, secret="s")
    assert (await get(ds, f"/{DB}/risk_flags")).status_code == 403
    assert (await get(ds, f"/{DB}/care_homes")).status_code == 200
    # Nor do the graph pages show what the flags say, except to a regulator.
    public = await get(ds, f"/-/ownership/home/{HOME}")
    assert public.status_code == 200 and "offshore_landlord" not in public.text
    monkeypatch.setenv("INSPECT_KIT_REGULATOR_TOKEN", TOKEN)
    regulator = await get(ds, f"/-/ownership/home/{HOME}", headers=REGULATOR)
    assert "offshore_landlord" in regulator.text
    monkeypatch.setenv("INSPECT_KIT_CONFIDENTIAL", "entities")
    ds = make_datasette(registry_path, secret="s")
    assert (await get(ds, f"/-/ownership/entity/{LANDLORD}")).status_code == 403
    assert (await get(ds, f"/{DB}/title_proprietors.bods")).json() == []
    assert "Cayman" not in (await get(ds, f"/{DB}/relationships")).text  # no labels from entities


class _PrivateQueries:
    @staticmethod
    @inspect_kit.hookimpl
    def register_queries(register):
        register(inspect_kit.Query(name="visits_this_month", title="Visits", description="Planned visits.",
                                   sql="select * from inspection_schedule", private=True))


@run_async
async def test_private_query_only_for_regulators(registry_path, monkeypatch):
    monkeypatch.setenv("INSPECT_KIT_REGULATOR_TOKEN", TOKEN)
    manager = ik_plugins.get_plugin_manager()
    manager.register(_PrivateQueries, name="test-private-queries")
    try:
        ds = make_datasette(registry_path, secret="s")
        assert (await get(ds, f"/{PRIVATE}/visits_this_month.json")).status_code == 403
        assert (await get(ds, f"/{DB}/visits_this_month.json")).status_code == 404  # not even named
        assert (await get(ds, f"/{PRIVATE}/visits_this_month.json", headers=REGULATOR)).status_code == 200
    finally:
        manager.unregister(name="test-private-queries")


# --- canned queries -------------------------------------------------------------------------


@run_async
async def test_canned_queries_have_titles(ds):
    metadata = (await get(ds, "/-/metadata.json")).json()
    queries = metadata["databases"][DB]["queries"]
    for name in ("homes_with_offshore_or_untraceable_landlords", "offshore_landlords_by_local_authority",
                 "beds_at_risk_by_local_authority", "ownership_changes"):
        assert queries[name]["title"] and queries[name]["description"]


@run_async
async def test_homes_with_offshore_landlords(ds):
    found = rows(await get(ds, f"/{DB}/homes_with_offshore_or_untraceable_landlords.json?local_authority=&_shape=array"))
    assert [r["location_id"] for r in found] == [HOME]
    assert found[0]["offshore"] == 1 and found[0]["untraceable"] == 1
    assert set(found[0]["jurisdictions"].split(",")) == {"JE", "GG"}
    other = rows(await get(ds, f"/{DB}/homes_with_offshore_or_untraceable_landlords.json?local_authority=Otherford&_shape=array"))
    assert other == []
    by_area = rows(await get(ds, f"/{DB}/offshore_landlords_by_local_authority.json?_shape=array"))
    assert by_area == [{"local_authority": "Testshire", "homes": 1, "beds": 60, "with_offshore_landlord": 1,
                        "with_untraceable_landlord": 1, "all_homes": 1, "all_beds": 60, "percent_of_beds": 100.0}]


@run_async
async def test_beds_at_risk_if_a_group_fails(ds):
    group = rows(await get(ds, f"/{DB}/beds_at_risk_by_local_authority.json?entity_id={GROUP}&_shape=array"))
    assert {(r["local_authority"], r["beds_at_risk"], r["run_by_group"]) for r in group} == {
        ("Testshire", 60, 1), ("Otherford", 40, 1)}
    landlord = rows(await get(ds, f"/{DB}/beds_at_risk_by_local_authority.json?entity_id={TOPCO}&_shape=array"))
    assert [(r["local_authority"], r["beds_at_risk"], r["on_group_land"], r["run_by_group"]) for r in landlord] == [
        ("Testshire", 60, 1, 0)]


@run_async
async def test_ownership_changes_since_previous_snapshot(ds):
    changes = rows(await get(ds, f"/{DB}/ownership_changes.json?since=&area=&offshore=&_shape=array"))
    assert [(c["title_number"], c["new_proprietor"], c["previous_proprietor"]) for c in changes] == [
        ("TT100001", LANDLORD_NAME, "Old Homes Property Ltd")]
    assert changes[0]["care_homes"] == "Meadow View Care Home"
    assert rows(await get(ds, f"/{DB}/ownership_changes.json?since=&area=Nowhere&offshore=&_shape=array")) == []
    assert len(rows(await get(ds, f"/{DB}/ownership_changes.json?since=&area=testshire&offshore=1&_shape=array"))) == 1
    # Since before the first snapshot: the first proprietors count as new too.
    early = rows(await get(ds, f"/{DB}/ownership_changes.json?since=2025-01-01&area=&offshore=&_shape=array"))
    assert {c["title_number"] for c in early} == {"TT100001", "TT100002"}


# --- renderers ------------------------------------------------------------------------------


@run_async
async def test_bods_for_entities(ds):
    response = await get(ds, f"/{DB}/entities.bods")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    statements = response.json()
    by_record = {s["recordId"]: s for s in statements}
    for statement in statements:  # the exporter's statements: schema-valid BODS 0.4
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", statement["statementId"])
        assert statement["publicationDetails"]["bodsVersion"] == "0.4"
    assert by_record[PERSON]["recordType"] == "person"
    assert by_record[PERSON]["recordDetails"]["birthDate"] == "1970-01"
    assert by_record[LANDLORD]["recordDetails"]["jurisdiction"] == {"code": "JE", "name": "Jersey"}
    assert by_record[LANDLORD]["recordDetails"]["name"] == LANDLORD_NAME
    assert by_record[OPERATOR]["recordDetails"]["identifiers"] == [
        {"id": "09000001", "scheme": "GB-COH", "schemeName": "Companies House"}
    ]
    relationships = [s for s in statements if s["recordType"] == "relationship"]
    assert len(relationships) == 4
    for rel in relationships:
        details = rel["recordDetails"]
        assert details["subject"] in by_record
        assert isinstance(details["interestedParty"], dict) or details["interestedParty"] in by_record
    unknown = by_record[f"{TOPCO}#relationship"]["recordDetails"]
    assert unknown["interestedParty"]["reason"] == "subjectUnableToConfirmOrIdentifyBeneficialOwner"
    assert "interests" not in unknown
    share = by_record[f"{OPERATOR}/psc/p1#relationship"]["recordDetails"]["interests"][0]["share"]
    assert share == {"minimum": 75, "maximum": 100}
    # Stable ids: the same rows give the same statements.
    again = (await get(ds, f"/{DB}/entities.bods")).json()
    assert [s["statementId"] for s in again] == [s["statementId"] for s in statements]


@run_async
async def test_bods_for_a_query_and_a_filtered_table(ds):
    statements = (await get(ds, f"/{DB}/title_proprietors.bods?title_number=TT100001")).json()
    assert {s["recordId"] for s in statements if s["recordType"] == "entity"} == {LANDLORD}
    sql = f"select+'{OPERATOR}'+as+entity_id+union+select+'{GROUP}'"
    statements = (await get(ds, f"/{DB}.bods?sql={sql}")).json()
    assert [s["recordType"] for s in statements].count("relationship") == 1  # group owns operator
    html = (await get(ds, f"/{DB}/entities")).text
    assert f"/{DB}/entities.bods" in html  # offered as an export


@run_async
async def test_atom_feed_of_ownership_changes(ds):
    response = await get(ds, f"/{DB}/ownership_changes.atom?since=&area=&offshore=")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    assert "<script>" not in response.text
    feed = ET.fromstring(response.text)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert feed.find("a:title", ns).text == "Ownership changes since the previous land registry snapshot"
    entries = feed.findall("a:entry", ns)
    assert len(entries) == 1
    assert entries[0].find("a:title", ns).text == f"New proprietor of title TT100001: {LANDLORD_NAME}"
    assert entries[0].find("a:updated", ns).text == "2026-02-01T00:00:00Z"
    link = entries[0].find("a:link", ns).get("href")
    assert link.endswith(f"/{DB}/titles?title_number=TT100001")
    no_atom = await get(ds, f"/{DB}/care_homes.atom")
    assert no_atom.status_code >= 400


# --- the docs' examples ------------------------------------------------------------------------

DOC_EXAMPLE = re.compile(r"^GET (\S+) (\d{3})$", re.M)


def test_docs_examples_are_checked():
    from pathlib import Path

    text = (Path(__file__).parent.parent / "docs" / "publishing.md").read_text()
    assert len(DOC_EXAMPLE.findall(text)) >= 10


@run_async
async def test_docs_examples_answer_as_documented(ds):
    from pathlib import Path

    text = (Path(__file__).parent.parent / "docs" / "publishing.md").read_text()
    for path, status in DOC_EXAMPLE.findall(text):
        response = await get(ds, path)
        assert response.status_code == int(status), path


@run_async
async def test_an_empty_registry_serves_every_page(tmp_path, monkeypatch):
    from inspect_kit.registry import Registry

    path = tmp_path / "registry.db"
    Registry.open(path).close()
    monkeypatch.setenv("INSPECT_KIT_REGULATOR_TOKEN", TOKEN)
    ds = make_datasette(path, secret="s")
    for name, query in ik_plugins.get_queries().items():
        params = "&".join(f"{p}=" for p in re.findall(r"(?<!:):(\w+)", query.sql))
        response = await get(ds, f"/{PRIVATE if query.private else DB}/{name}.json?{params}", headers=REGULATOR)
        assert response.status_code == 200, (name, response.text[:300])
    assert (await get(ds, f"/{DB}/care_homes?_search=anything")).status_code == 200
    assert (await get(ds, f"/-/ownership/home/{HOME}")).status_code == 404


@run_async
async def test_the_schedule_and_its_seeds_are_refused_to_the_public(ds):
    for table in ("inspection_schedule", "schedule_runs"):
        assert (await get(ds, f"/{PRIVATE}/{table}")).status_code == 403
        assert (await get(ds, f"/{PRIVATE}.json?sql=select+*+from+{table}")).status_code == 403
        assert (await get(ds, f"/{PRIVATE}/{table}", headers=REGULATOR)).status_code == 200


@run_async
async def test_bods_renderer_finds_the_exporter_through_the_hook(ds, monkeypatch):
    """The .bods pages use whatever exporter is registered as 'bods'; with none, there is no .bods."""
    from inspect_kit_datasette import renderers

    written = []

    class Recording:
        def export_entities(self, conn, out, entity_ids, options):
            written.append(set(entity_ids))
            out.write(b'{"statementId": "from-the-registered-exporter"}\n')

    monkeypatch.setattr(ik_plugins, "get_exporters", lambda: {"bods": Recording()})
    response = await get(ds, f"/{DB}/entities.bods?id={LANDLORD}")
    assert response.json() == [{"statementId": "from-the-registered-exporter"}] and written == [{LANDLORD}]
    monkeypatch.setattr(ik_plugins, "get_exporters", lambda: {})
    assert renderers.bods_exporter() is None
    assert (await get(ds, f"/{DB}/entities.bods")).status_code == 404
