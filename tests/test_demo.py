"""``inspect-kit demo --no-serve`` builds a registry that tells the dataset's story.

Checks that need a collector, resolver or scorer skip (saying which) while that
plugin is not installed, so each becomes strict the moment it lands.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from inspect_kit.cli import cli
from inspect_kit.plugins import get_collectors, get_scorers
from inspect_kit_demo.cqc_server import serve_cqc_api
from inspect_kit_demo.demo import DATA_DIR, load_manifest, plan

FACTS = json.loads((DATA_DIR / "scenario.json").read_text())
COLLECTORS = [entry["collector"] for entry in load_manifest(DATA_DIR)]
INSTALLED = set(get_collectors())


def need(*names):
    missing = [n for n in names if n not in INSTALLED]
    if missing:
        pytest.skip(f"collector(s) not installed yet: {', '.join(missing)}")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    result = CliRunner().invoke(cli, ["demo", "--no-serve", "--db", str(db), "--no-progress"])
    assert result.exit_code == 0, result.output
    return db, result.output


def query(db, sql, *params):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


# ---------------------------------------------------------------------------
# Plumbing: the plan, the local CQC API, the command
# ---------------------------------------------------------------------------


def test_plan_reads_full_files_before_change_files():
    steps, notes = plan(DATA_DIR, installed={"ccod", "ocod"})
    assert [s.files[0].name for s in steps] == [
        "CCOD_FULL_2026_10.zip", "CCOD_COU_2026_11.zip", "OCOD_FULL_2026_10.zip", "OCOD_COU_2026_11.zip"]
    assert "psc-snapshot: skipped, the collector is not installed" in notes


def test_plan_prefers_the_cqc_api_over_the_directory():
    steps, notes = plan(DATA_DIR, installed={"cqc-api", "cqc-directory"})
    assert [s.collector for s in steps] == ["cqc-api"] and steps[0].serve == DATA_DIR / "cqc-api"
    assert any(n.startswith("cqc-directory: not needed") for n in notes)
    steps, _ = plan(DATA_DIR, installed={"cqc-directory"})
    assert [s.collector for s in steps] == ["cqc-directory"]


def test_local_cqc_api_speaks_the_real_shapes():
    with serve_cqc_api(DATA_DIR / "cqc-api") as base:
        first = requests.get(f"{base}/locations", params={"careHome": "Y", "page": 1, "perPage": 100}, timeout=5)
        assert first.status_code == 200
        page = first.json()
        assert page["previousPageUri"] is None and page["page"] == 1 and page["perPage"] == 100
        assert set(page["locations"][0]) == {"locationId", "locationName", "postalCode"}
        ids, next_uri = [], "/locations?careHome=Y&page=1&perPage=100"
        while next_uri:
            body = requests.get(base + next_uri, timeout=5).json()
            ids += [item["locationId"] for item in body["locations"]]
            next_uri = body["nextPageUri"]
        assert len(ids) == len(set(ids)) == page["total"] >= FACTS["care_homes"]
        detail = requests.get(f"{base}/locations/{ids[0]}", timeout=5).json()
        assert detail["locationId"] == ids[0] and "name" in detail
        provider = requests.get(f"{base}/providers/{FACTS['big_operator']['provider_id']}", timeout=5).json()
        assert provider["companiesHouseNumber"] == FACTS["big_operator"]["company_number"]
        assert len(provider["locationIds"]) == FACTS["big_operator"]["homes"]
        assert requests.get(f"{base}/locations/1-999", timeout=5).status_code == 404
        assert requests.get(f"{base}/locations/{ids[0].lower()}x", timeout=5).status_code == 400


def test_demo_builds_and_tells_what_to_click(built):
    db, output = built
    assert db.exists() and not Path(f"{db}.partial").exists()
    for name in COLLECTORS:
        if name not in INSTALLED:
            assert f"{name}: skipped, the collector is not installed" in output
    assert f"/demo/care_homes?provider_id={FACTS['big_operator']['provider_id']}" in output
    assert "risk_flags?flag=untraceable_landlord" in output


def test_second_run_reuses_the_registry(built):
    db, _ = built
    runs = query(db, "select count(*) from collection_runs")[0][0]
    result = CliRunner().invoke(cli, ["demo", "--no-serve", "--db", str(db), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "reusing" in result.output
    assert query(db, "select count(*) from collection_runs")[0][0] == runs


# ---------------------------------------------------------------------------
# Every collector reads its files without a rejected row
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", COLLECTORS)
def test_collector_reads_the_generated_files(built, name, tmp_path):
    need(name)
    db, _ = built
    entry = next(e for e in load_manifest(DATA_DIR) if e["collector"] == name)
    if name == "cqc-directory" and "cqc-api" in INSTALLED:
        # The demo reads CQC through the API then; check the directory file on its own.
        from inspect_kit.registry import Registry
        from inspect_kit_demo.demo import Step, collect_step

        db = tmp_path / "directory.db"
        registry = Registry.open(db)
        try:
            collect_step(registry, Step(name, files=[DATA_DIR / f for f in entry["files"]]))
            homes = registry.conn.execute("select count(*) from care_homes where care_home").fetchone()[0]
        finally:
            registry.close()
        assert homes == FACTS["care_homes"]
    runs = query(db, "select records, rejected from collection_runs where collector = ?", name)
    assert len(runs) == len(entry.get("files", [None]))
    assert all(records > 0 for records, _ in runs)
    rejected = query(db, "select source, line, error from rejected_records where run_id in "
                         "(select run_id from collection_runs where collector = ?) limit 5", name)
    assert not rejected, f"{name} rejected generated rows: {rejected}"


# ---------------------------------------------------------------------------
# Headline figures against scenario.json
# ---------------------------------------------------------------------------


def test_care_homes_and_the_big_operator(built):
    if not INSTALLED & {"cqc-api", "cqc-directory"}:
        pytest.skip("no CQC collector installed yet (cqc-api or cqc-directory)")
    db, _ = built
    homes = query(db, "select count(*) from care_homes where valid_to is null and status = 'Registered' "
                      "and care_home is not 0")[0][0]
    assert homes == FACTS["care_homes"]
    big = FACTS["big_operator"]
    assert query(db, "select count(*) from care_homes where provider_id = ? and valid_to is null",
                 big["provider_id"])[0][0] == big["homes"]
    if "cqc-api" in INSTALLED:
        assert query(db, "select company_number from providers where provider_id = ?",
                     big["provider_id"]) == [(big["company_number"],)]


def test_companies_and_overseas_entities(built):
    need("companies-house-bulk")
    db, _ = built
    assert query(db, "select name from entities where id = ?", FACTS["big_operator"]["entity_id"])
    oe = [l for l in FACTS["big_operator"]["landlords"] if (l["company_number"] or "").startswith("OE")]
    for landlord in oe:
        assert query(db, "select entity_type from entities where id = ?", landlord["entity_id"]) == [
            ("overseas_entity",)]


def test_owner_unknown_statements(built):
    need("psc-snapshot")
    db, _ = built
    for landlord in FACTS["big_operator"]["landlords"]:
        if landlord["reason"] == "psc_statement":
            reasons = query(db, "select unspecified_reason from relationships where subject_id = ? "
                                "and interested_party_id is null", landlord["entity_id"])
            assert reasons, landlord["name"]


def test_titles_after_the_change_only_files(built):
    need("ccod", "ocod")
    db, _ = built
    for transfer in FACTS["changes_next_month"]["title_transfers"]:
        names = query(db, "select name from title_proprietors where title_number = ? and valid_to is null",
                      transfer["title_number"])
        assert names == [(transfer["to"],)]


def _truth():
    return list(csv.DictReader(open(DATA_DIR / "truth" / "home_titles.csv")))


def _flagged(db, flag):
    return {row[0] for row in query(db, "select subject_id from risk_flags where subject_type = 'care_home' "
                                        "and flag = ?", flag)}


def test_untraceable_landlords_are_flagged(built):
    need(*COLLECTORS)
    if not get_scorers():
        pytest.skip("no scorers installed yet")
    db, _ = built
    landlords = {l["key"]: l for l in FACTS["big_operator"]["landlords"]}
    moved = {t["title_number"] for t in FACTS["changes_next_month"]["title_transfers"]}
    expected, clean = set(), set()
    for row in _truth():
        landlord = landlords.get(row["owner"])
        if not landlord or row["role"] != "freehold":
            continue
        if not landlord["traceable"] or row["title_number"] in moved:
            expected.add(row["location_id"])
        else:
            clean.add(row["location_id"])
    flagged = _flagged(db, "untraceable_landlord")
    assert len(flagged & expected) >= 0.9 * len(expected), "most homes of untraceable landlords are flagged"
    assert not flagged & clean, "no home of a traceable landlord is flagged untraceable"


def test_common_control_is_flagged(built):
    need(*COLLECTORS)
    if not get_scorers():
        pytest.skip("no scorers installed yet")
    db, _ = built
    group = FACTS["common_control"]
    homes = {r[0] for r in query(db, "select location_id from care_homes where provider_id = ? and valid_to is null",
                                 group["provider_id"])}
    assert len(_flagged(db, "common_control") & homes) >= 0.9 * group["homes"]


def test_chains_read_from_the_registry_above_the_subjects_equal_the_whole_graphs(built):
    """The build reads only what is above operators and landlords; it must see the same chains."""
    need(*COLLECTORS)
    from inspect_kit_ownership.chains import OwnershipChains, load_graph

    from inspect_kit.plugins import get_tables
    from inspect_kit.registry import Registry

    db, _ = built
    registry = Registry(db, extra_records=get_tables())
    try:
        subjects = OwnershipChains.subjects(registry.conn, "care_homes")
        whole = load_graph(registry, as_of="2026-11-22")
        above = load_graph(registry, as_of="2026-11-22", subjects=subjects)
        assert len(above.entities) < len(whole.entities)
        reached = whole.above(subjects)
        assert above.above(subjects) == reached
        assert any(kind == "cycle" for s in reached for kind in {p.end_kind for p in whole.paths(s)})
        for subject in sorted(reached):
            assert list(above.paths(subject)) == list(whole.paths(subject)), subject
            assert above.ultimate_owners(subject) == whole.ultimate_owners(subject), subject
    finally:
        registry.close()


# ---------------------------------------------------------------------------
# The demo's collection path, with a stand-in collector (real ones may not be installed)
# ---------------------------------------------------------------------------


class _ProbeCollector:
    """Pages the local API with the core's HttpClient as an API collector would."""

    def make(self):
        import inspect_kit
        from inspect_kit.http import HttpClient

        class Probe(inspect_kit.Collector):
            name = "demo-probe-cqc"
            description = "Test-only: reads care homes from the demo's local CQC API."
            takes_files = False

            def collect(self, run):
                client = HttpClient(run.base_url, cache_dir=run.cache_dir, timeout=5, retries=0)
                next_uri = "/locations?careHome=Y&page=1&perPage=50"
                while next_uri:
                    page = client.get_json(next_uri)
                    for item in page["locations"]:
                        detail = client.get_json(f"/locations/{item['locationId']}")
                        yield inspect_kit.CareHome(location_id=detail["locationId"], name=detail["name"],
                                                   provider_id=detail["providerId"], postcode=detail["postalCode"],
                                                   beds=detail.get("numberOfBeds"),
                                                   status=detail["registrationStatus"], care_home=True)
                    next_uri = page["nextPageUri"]

        return Probe()


def test_collect_step_serves_the_local_api_to_a_collector(tmp_path):
    import inspect_kit
    from inspect_kit.plugins import get_plugin_manager
    from inspect_kit.registry import Registry
    from inspect_kit_demo.demo import Step, collect_step

    probe = _ProbeCollector().make()

    class Plugin:
        @staticmethod
        @inspect_kit.hookimpl
        def register_collectors(register):
            register(probe)

    manager = get_plugin_manager()
    manager.register(Plugin, name="demo-probe")
    try:
        registry = Registry.open(tmp_path / "probe.db")
        report = collect_step(registry, Step("demo-probe-cqc", serve=DATA_DIR / "cqc-api"))
        big = FACTS["big_operator"]
        homes = registry.conn.execute("select count(*) from care_homes where provider_id = ?",
                                      (big["provider_id"],)).fetchone()[0]
        registry.close()
    finally:
        manager.unregister(name="demo-probe")
    assert report.rejected == 0 and report.records >= FACTS["care_homes"]
    assert homes == big["homes"]


def test_national_benchmark_runs_at_tiny_scale(tmp_path):
    """The benchmark's plumbing only (no timings are asserted): it runs and reports every step."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "report.json"
    subprocess.run([sys.executable, str(root / "benchmarks" / "bench_national.py"), "--scale", "tiny",
                    "--work", str(tmp_path / "work"), "--out", str(out)], check=True, capture_output=True)
    report = json.loads(out.read_text())
    steps, _ = plan(tmp_path / "work" / "data")
    assert [s["step"] for s in report["steps"]] == [s.label for s in steps]
    assert all(s["baseline_rows"] > 0 for s in report["steps"])
    assert "build" in report and report["peak_mb"] > 0
