"""What a newcomer trips over on the published site, through Datasette's own client.

The fixture registry of ``publish_registry`` (its paths stored by the real
ownership resolver) plus what the demo showed: a landlord holding many titles, a cycle, query columns holding long
lists, and entity ids in query results that are in no register.
"""

from __future__ import annotations

import json
import re
import sqlite3
import xml.etree.ElementTree as ET

import pytest

from inspect_kit_datasette.publish import make_datasette
from publish_registry import GROUP, HOME, LANDLORD, OPERATOR, PERSON, build_registry
from test_publish import REGULATOR, TOKEN, get, hrefs, run_async

CYCLE_A = "GB-COH-09100001"
CYCLE_B = "GB-COH-09100002"


def add_landlord_titles(path: str, count: int, entity_id: str = LANDLORD) -> None:
    """Give a landlord ``count`` more fictional titles, as a big sale-and-leaseback landlord has."""
    conn = sqlite3.connect(path)
    with conn:
        for n in range(count):
            number = f"TX{200000 + n}"
            conn.execute(
                "insert into titles (title_number, tenure, property_address, valid_from) values (?, 'Freehold', ?, '2026-01-01')",
                [number, f"{n} Fictional Row, Testborough"],
            )
            conn.execute(
                "insert into title_proprietors (title_number, position, entity_id, name, valid_from) "
                "values (?, 1, ?, 'Fictional Landlord', '2026-01-01')",
                [number, entity_id],
            )
    conn.close()


def add_cycle(path: str) -> None:
    """Two fictional companies that each own the other, with the resolver's path."""
    conn = sqlite3.connect(path)
    with conn:
        for entity, name in ((CYCLE_A, "Loop One Ltd"), (CYCLE_B, "Loop Two Ltd")):
            conn.execute("insert into entities (id, name, entity_type, jurisdiction) values (?, ?, 'company', 'GB')",
                         [entity, name])
        for subject, owner in ((CYCLE_A, CYCLE_B), (CYCLE_B, CYCLE_A)):
            conn.execute(
                "insert into relationships (id, subject_id, interested_party_id, interest_type, share_min, share_max, source) "
                "values (?, ?, ?, 'shareholding', 75, 100, 'fixture')",
                [f"{subject}/psc/loop#shareholding", subject, owner],
            )
        conn.execute(
            "insert into ownership_paths (subject_id, path_number, depth, path, relationship_ids, end_id, end_kind, "
            "traceable, reason) values (?, 1, 2, ?, ?, ?, 'cycle', 0, 'the path returns to ' || ?)",
            [CYCLE_A, json.dumps([CYCLE_A, CYCLE_B, CYCLE_A]),
             json.dumps([[f"{CYCLE_A}/psc/loop#shareholding"], [f"{CYCLE_B}/psc/loop#shareholding"]]),
             CYCLE_A, CYCLE_A],
        )
    conn.close()


@pytest.fixture
def site_path(tmp_path):
    path = build_registry(tmp_path / "registry.db")  # paths stored by the real resolver
    add_cycle(path)
    return path


@pytest.fixture
def ds(site_path, monkeypatch):
    monkeypatch.setenv("INSPECT_KIT_REGULATOR_TOKEN", TOKEN)
    return make_datasette(site_path, secret="test-secret")


def svg_of(html: str) -> ET.Element:
    start = html.index('<svg xmlns="http://www.w3.org/2000/svg" class="ownership-graph"')
    return ET.fromstring(html[start : html.index("</svg>", start) + 6])


# --- graphs ------------------------------------------------------------------------------


@run_async
async def test_home_graph_reads_paths_as_the_resolver_stores_them(ds):
    response = await get(ds, f"/-/ownership/home/{HOME}?_format=json")
    assert response.status_code == 200  # was a 500: a list of ids per step
    edges = {(e["owner"], e["owned"]): e["label"] for e in response.json()["edges"]}
    assert edges[(f"entity:{GROUP}", f"entity:{OPERATOR}")] == "75–100%"
    assert edges[(f"entity:{PERSON}", f"entity:{GROUP}")] == "50–75%"


@run_async
async def test_unmatched_proprietor_is_marked_untraceable(ds):
    data = (await get(ds, f"/-/ownership/home/{HOME}?_format=json")).json()
    proprietor = {n["id"]: n for n in data["nodes"]}["proprietor:TT100002:1"]
    assert proprietor["untraceable"] and "no register" in proprietor["detail"]
    html = (await get(ds, f"/-/ownership/home/{HOME}")).text
    node = svg_of(html).find(".//{*}g[@data-id='proprietor:TT100002:1']")
    assert "flagged" in node.get("class")


@run_async
async def test_paths_table_names_and_links_the_entities(ds):
    html = (await get(ds, f"/-/ownership/home/{HOME}")).text
    table = html[html.index("<h2>Ownership paths</h2>") :]
    assert "Alex Example" in table  # the person at the top, by name
    assert f">{OPERATOR}<" not in table  # not a bare id


@run_async
async def test_big_landlord_graph_summarises_its_titles_and_fits_a_screen(ds, site_path):
    add_landlord_titles(site_path, 30)
    data = (await get(ds, f"/-/ownership/entity/{LANDLORD}?_format=json")).json()
    nodes = {n["id"]: n for n in data["nodes"]}
    summary = nodes[f"titles:{LANDLORD}"]
    assert summary["label"] == "31 land titles held"
    assert not [n for n in nodes if n.startswith("title:")]
    assert (await get(ds, summary["href"])).status_code == 200
    assert len(rows := (await get(ds, summary["href"].replace("?", ".json?") + "&_shape=array")).json()) == 31, rows
    svg = svg_of((await get(ds, f"/-/ownership/entity/{LANDLORD}")).text)
    assert float(svg.get("width")) <= 1280


@run_async
async def test_a_dozen_titles_wrap_onto_rows(ds, site_path):
    add_landlord_titles(site_path, 9)  # 10 with TT100001: drawn one by one
    html = (await get(ds, f"/-/ownership/entity/{LANDLORD}")).text
    svg = svg_of(html)
    assert float(svg.get("width")) <= 1280
    titles = svg.findall(".//{*}g[@class='node node-title']")
    assert len(titles) == 10
    rows_y = {t.find("{*}rect").get("y") for t in titles}
    assert len(rows_y) == 2
    assert "site of Meadow View Care Home" in html  # which home stands on the title


@run_async
async def test_cycle_is_drawn_as_a_marked_curve(ds):
    html = (await get(ds, f"/-/ownership/entity/{CYCLE_A}")).text
    svg = svg_of(html)
    assert len(svg.findall(".//{*}path[@class='edge edge-cycle']")) == 1
    assert {g.get("data-id") for g in svg.findall(".//{*}g")} >= {f"entity:{CYCLE_A}", f"entity:{CYCLE_B}"}
    assert "Loop One Ltd</a> (cycle)" in html


@run_async
async def test_operator_entity_links_to_its_homes(ds):
    data = (await get(ds, f"/-/ownership/entity/{OPERATOR}?_format=json")).json()
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes["provider:1-800000001"]["detail"] == "operator of 2 care homes"
    homes = nodes["homes:1-800000001"]
    response = await get(ds, homes["href"].replace("?", ".json?") + "&_shape=array")
    assert {r["location_id"] for r in response.json()} == {HOME, "1-900000002"}


@run_async
async def test_every_link_on_entity_graph_works(ds, site_path):
    add_landlord_titles(site_path, 30)
    for path in (f"/-/ownership/entity/{LANDLORD}", f"/-/ownership/entity/{OPERATOR}", f"/-/ownership/entity/{CYCLE_A}"):
        html = (await get(ds, path)).text
        for link in hrefs(html):
            if link.startswith("/") and not link.startswith("/-/static"):
                assert (await get(ds, link)).status_code == 200, (path, link)


# --- query results -------------------------------------------------------------------------


@run_async
async def test_query_results_link_ids_only_when_the_row_exists(ds):
    sql = f"select '{LANDLORD}' as landlord_id union all select 'GB-COH-99999999'"
    html = (await get(ds, "/registry", params={"sql": sql})).text
    assert f"/-/ownership/entity/{LANDLORD}" in html
    assert "/-/ownership/entity/GB-COH-99999999" not in html  # no dead link
    assert "GB-COH-99999999" in html


@run_async
async def test_long_lists_in_query_results_are_folded_and_titles_linked(ds):
    sql = "select 'Ash,Birch,Cedar,Damson,Elder,Fir,Gorse' as home_names, 'TT100001,TT100002' as title_numbers"
    html = (await get(ds, "/registry", params={"sql": sql})).text
    assert re.search(r"<details class=\"ik-list\"><summary>Ash, Birch, Cedar, … \(7 in all\)</summary>", html)
    assert '<a href="/registry/titles/TT100001">TT100001</a>' in html
    assert (await get(ds, "/registry/titles/TT100001")).status_code == 200


# --- the front page and privacy ------------------------------------------------------------


@run_async
async def test_front_page_searches_homes_by_name(ds):
    html = (await get(ds, "/")).text
    form = re.search(r'<form[^>]*action="/registry/care_homes"[^>]*>.*?</form>', html, re.S)
    assert form and 'name="_search"' in form.group(0)
    found = (await get(ds, "/registry/care_homes.json", params={"_search": "Meadow", "_shape": "array"})).json()
    assert [r["location_id"] for r in found] == [HOME]


@run_async
async def test_schedule_stays_private_on_the_new_pages(ds):
    for path in (f"/-/ownership/home/{HOME}", f"/-/ownership/entity/{OPERATOR}"):
        assert "secret visit" not in (await get(ds, path)).text
    assert (await get(ds, "/private/inspection_schedule")).status_code == 403
    assert (await get(ds, "/private/inspection_schedule", headers=REGULATOR)).status_code == 200
