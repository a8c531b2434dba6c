import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest
from helpers import ListCollector, data_dump, table_rows

from inspect_kit import CareHome, Ended, Entity, PluginError, Rejected, RiskFlag, TitleProprietor, Update
from inspect_kit.api import Scorer
from inspect_kit.records import Provider
from inspect_kit.registry import SCHEMA_VERSION, Registry, RegistryError

HOMES = [
    CareHome(location_id="1-101", name="Rose House", beds=30, postcode="AB1 2CD", line=1),
    CareHome(location_id="1-102", name="Ivy Lodge", beds="42", rating_date="2024-03-01", line=2),
]


def test_contract_tables_are_created(registry):
    tables = set(registry.db.table_names())
    for table in [
        "care_homes", "providers", "entities", "relationships", "titles", "title_proprietors",
        "care_home_titles", "risk_flags", "collection_runs", "rejected_records",
    ]:
        assert table in tables
    assert "inspection_schedule" not in tables  # private: see test_registry_private.py
    columns = {c.name for c in registry.db["relationships"].columns}
    assert {"subject_id", "interested_party_id", "interest_type", "share_min", "share_max",
            "start_date", "end_date", "source", "unspecified_reason"} <= columns
    assert registry.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_rows_carry_provenance(registry):
    report = registry.collect(ListCollector(HOMES, as_of="2024-05-01"))
    rows = table_rows(registry, "care_homes")
    assert [r["location_id"] for r in rows] == ["1-101", "1-102"]
    assert rows[1]["beds"] == 42  # "42" validated into an integer
    assert all(r["run_id"] == report.run_id and r["source"] == "list" for r in rows)
    assert all(r["valid_from"] == "2024-05-01" and r["valid_to"] is None for r in rows)
    run = table_rows(registry, "collection_runs")[0]
    assert run["collector"] == "list" and run["records"] == 2 and run["finished_at"]


def test_same_import_twice_changes_nothing(registry):
    registry.collect(ListCollector(HOMES, snapshot=[CareHome]))
    before = data_dump(registry)
    report = registry.collect(ListCollector(HOMES, snapshot=[CareHome]))
    assert report.changed == 0 and report.ended == 0
    assert data_dump(registry) == before


def test_changed_row_keeps_its_old_version(registry):
    registry.collect(ListCollector(HOMES, as_of="2024-05-01"))
    changed = CareHome(location_id="1-101", name="Rose House", beds=35)
    registry.collect(ListCollector([changed], as_of="2024-06-01"))
    current = table_rows(registry, "care_homes")[0]
    assert current["beds"] == 35 and current["valid_from"] == "2024-06-01"
    history = table_rows(registry, "care_homes_history")
    assert [(h["location_id"], h["beds"], h["valid_from"], h["valid_to"]) for h in history] == [
        ("1-101", 30, "2024-05-01", "2024-06-01")
    ]
    # As of a date, the registry answers with the version then in force.
    assert [r["beds"] for r in registry.as_of(CareHome, "2024-05-15") if r["location_id"] == "1-101"] == [30]
    assert [r["beds"] for r in registry.as_of(CareHome, "2024-06-15") if r["location_id"] == "1-101"] == [35]


def test_a_value_the_source_does_not_give_keeps_what_is_known(registry):
    registry.collect(ListCollector([Entity(id="GB-COH-00000001", name="ACME LTD", status="active")]))
    registry.collect(ListCollector([Entity(id="GB-COH-00000001", sic_codes='["87100"]')], name="other"))
    row = table_rows(registry, "entities")[0]
    assert (row["name"], row["status"], row["sic_codes"]) == ("ACME LTD", "active", '["87100"]')


def test_row_missing_from_next_snapshot_is_ended_not_deleted(registry):
    registry.collect(ListCollector(HOMES, snapshot=[CareHome], as_of="2024-05-01"))
    report = registry.collect(ListCollector(HOMES[:1], snapshot=[CareHome], as_of="2024-06-01"))
    assert report.ended == 1
    rows = {r["location_id"]: r for r in table_rows(registry, "care_homes")}
    assert rows["1-102"]["valid_to"] == "2024-06-01"
    assert rows["1-102"]["ended_run_id"] == report.run_id
    assert rows["1-101"]["valid_to"] is None
    assert {r["location_id"] for r in registry.as_of(CareHome, "2024-05-15")} == {"1-101", "1-102"}
    assert {r["location_id"] for r in registry.as_of(CareHome, "2024-06-15")} == {"1-101"}
    # Back again next month: current again, the ended spell kept in history.
    registry.collect(ListCollector(HOMES, snapshot=[CareHome], as_of="2024-07-01"))
    rows = {r["location_id"]: r for r in table_rows(registry, "care_homes")}
    assert rows["1-102"]["valid_to"] is None and rows["1-102"]["valid_from"] == "2024-07-01"
    spells = [(h["valid_from"], h["valid_to"]) for h in table_rows(registry, "care_homes_history")]
    assert spells == [("2024-05-01", "2024-06-01")]


def test_snapshot_ends_only_its_own_source(registry):
    registry.collect(ListCollector(HOMES[:1], name="a", snapshot=[CareHome]))
    registry.collect(ListCollector(HOMES[1:], name="b", snapshot=[CareHome]))
    registry.collect(ListCollector([], name="a", snapshot=[CareHome]))
    rows = {r["location_id"]: r["valid_to"] for r in table_rows(registry, "care_homes")}
    assert rows["1-101"] is not None and rows["1-102"] is None


def test_ended_item_ends_one_row(registry):
    proprietors = [
        TitleProprietor(title_number="T1", position=1, name="A LTD"),
        TitleProprietor(title_number="T1", position=2, name="B LTD"),
    ]
    registry.collect(ListCollector(proprietors, as_of="2024-05-01"))
    report = registry.collect(
        ListCollector([Ended(TitleProprietor, {"title_number": "T1", "position": 2}, on="2024-05-20")])
    )
    assert report.ended == 1
    rows = table_rows(registry, "title_proprietors")
    assert [(r["position"], r["valid_to"]) for r in rows] == [(1, None), (2, "2024-05-20")]


def test_bad_records_are_rejected_and_the_run_goes_on(registry):
    items = [
        HOMES[0],
        CareHome(location_id="1-9", beds="ten", line=7),
        CareHome(location_id="", name="no key", line=8),
        CareHome(location_id="1-10", rating_date="31/02/2024", line=9),
        Rejected("short row: 3 fields, expected 15", raw="a,b,c", line=10, source="dir.csv"),
        HOMES[1],
    ]
    report = registry.collect(ListCollector(items))
    assert report.records == 2 and report.rejected == 4
    assert {r["location_id"] for r in table_rows(registry, "care_homes")} == {"1-101", "1-102"}
    rejected = table_rows(registry, "rejected_records")
    assert [(r["line"], r["run_id"]) for r in rejected] == [(7, report.run_id), (8, report.run_id),
                                                           (9, report.run_id), (10, report.run_id)]
    assert "care_homes.beds: 'ten' is not an integer" in rejected[0]["error"]
    assert "location_id: key is empty" in rejected[1]["error"]
    assert "31/02/2024" in rejected[2]["error"]
    assert rejected[3]["source"] == "dir.csv" and rejected[3]["raw"] == "a,b,c"
    assert json.loads(rejected[0]["raw"])["beds"] == "ten"


def test_collector_that_raises_halfway_leaves_registry_unchanged(registry):
    registry.collect(ListCollector(HOMES[:1]))
    before = data_dump(registry)
    runs_before = table_rows(registry, "collection_runs")
    many = [CareHome(location_id=f"1-{n}", name=f"Home {n}") for n in range(25_000)]
    with pytest.raises(RuntimeError):
        registry.collect(ListCollector([*many, RuntimeError("network gone"), HOMES[1]], snapshot=[CareHome]))
    assert data_dump(registry) == before
    assert table_rows(registry, "collection_runs") == runs_before
    assert registry.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_process_killed_halfway_leaves_registry_unchanged(tmp_path):
    db = tmp_path / "registry.db"
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys._called_from_test = True
        sys.path.insert(0, {str(os.path.dirname(__file__))!r})
        from helpers import ListCollector
        from inspect_kit import CareHome
        from inspect_kit.registry import Registry

        class Killer(ListCollector):
            def collect(self, run):
                for n in range(50_000):
                    yield CareHome(location_id=f"1-{{n}}", name="Home")
                os.kill(os.getpid(), signal.SIGKILL)
                yield CareHome(location_id="1-never")

        registry = Registry.open({str(db)!r})
        registry.collect(ListCollector([CareHome(location_id="1-first", name="First")]))
        print("first run committed", flush=True)
        registry.collect(Killer([]))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert "first run committed" in result.stdout
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("select location_id from care_homes").fetchall() == [("1-first",)]
    assert conn.execute("select count(*) from collection_runs").fetchone()[0] == 1


def test_newer_registry_is_refused(tmp_path):
    db = tmp_path / "registry.db"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RegistryError, match="newer inspect-kit"):
        Registry(db)


def test_collector_state_is_kept_only_when_the_run_commits(registry):
    class Stateful(ListCollector):
        def collect(self, run):
            run.set_state("last_sync", run.get_state("last_sync", 0) + 1)
            yield from super().collect(run)

    registry.collect(Stateful(HOMES))
    with pytest.raises(RuntimeError):
        registry.collect(Stateful([RuntimeError("boom")]))
    state = table_rows(registry, "collector_state")
    assert [(s["key"], json.loads(s["value"])) for s in state] == [("last_sync", 1)]


def test_derived_column_updates_survive_a_reimport(registry):
    registry.collect(ListCollector([Provider(provider_id="1-P", name="Op Ltd", company_number="00000001")]))

    class Linker(Scorer):
        name = "linker"
        description = "Links providers."

        def score(self, context):
            yield Update(Provider, {"provider_id": "1-P"}, {"entity_id": "GB-COH-00000001"})

    with registry.transaction():
        registry.store_results(Linker(), Linker().score(None))
    registry.collect(ListCollector([Provider(provider_id="1-P", name="Op Ltd", company_number="00000001")]))
    assert table_rows(registry, "providers")[0]["entity_id"] == "GB-COH-00000001"
    with pytest.raises(PluginError, match="only derived columns"):
        with registry.transaction():
            registry.store_results(Linker(), [Update(Provider, {"provider_id": "1-P"}, {"name": "x"})])


def test_results_replace_the_same_producers_previous_results(registry):
    class Flagger(Scorer):
        name = "flagger"
        description = "Flags homes."

        def __init__(self, homes):
            self.homes = homes

        def score(self, context):
            for home in self.homes:
                yield RiskFlag(subject_type="care_home", subject_id=home, flag="test",
                               evidence={"rule": "because"})

    class Other(Flagger):
        name = "other"

    for scorer in (Flagger(["1-101", "1-102"]), Other(["1-101"]), Flagger(["1-102"])):
        with registry.transaction():
            registry.store_results(scorer, scorer.score(None))
    rows = sorted((r["scorer"], r["subject_id"]) for r in table_rows(registry, "risk_flags"))
    assert rows == [("flagger", "1-102"), ("other", "1-101")]
    assert json.loads(table_rows(registry, "risk_flags")[0]["evidence"]) == {"rule": "because"}


def test_a_large_result_is_stored_whole_and_indexed_and_a_failure_leaves_the_last_one(registry):
    from inspect_kit.registry import BATCH_SIZE

    class Flagger(Scorer):
        name = "flagger"
        description = "Flags many homes, then perhaps fails."

        def __init__(self, count, fail=False):
            self.count, self.fail = count, fail

        def score(self, context):
            for n in range(self.count):
                yield RiskFlag(subject_type="care_home", subject_id=f"1-{n}", flag="test")
            if self.fail:
                raise RuntimeError("the scorer broke")

    def indexes():
        return sorted(r[0] for r in registry.conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'risk_flags' AND sql IS NOT NULL"))

    before = indexes()
    assert before, "risk_flags has secondary indexes to keep"
    with registry.transaction():
        assert registry.store_results(Flagger(BATCH_SIZE * 2 + 3), Flagger(BATCH_SIZE * 2 + 3).score(None)) \
            == BATCH_SIZE * 2 + 3
    assert indexes() == before
    assert registry.conn.execute("SELECT count(*) FROM risk_flags").fetchone()[0] == BATCH_SIZE * 2 + 3
    with pytest.raises(RuntimeError, match="broke"):
        with registry.transaction():
            registry.store_results(Flagger(BATCH_SIZE + 1, fail=True), Flagger(BATCH_SIZE + 1, fail=True).score(None))
    assert indexes() == before
    assert registry.conn.execute("SELECT count(*) FROM risk_flags").fetchone()[0] == BATCH_SIZE * 2 + 3


def test_many_updates_all_land_and_keep_their_indexes(registry):
    from inspect_kit.registry import BATCH_SIZE

    count = BATCH_SIZE + 7
    registry.collect(ListCollector([TitleProprietor(title_number=f"T{n}", position=1, name="A LTD")
                                    for n in range(count)]))

    class Linker(Scorer):
        name = "linker"
        description = "Links every proprietor."

        def score(self, context):
            for n in range(count):
                yield Update(TitleProprietor, {"title_number": f"T{n}", "position": 1},
                             {"entity_id": f"GB-COH-{n:08d}"})

    def indexes():
        return sorted(r[0] for r in registry.conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'title_proprietors' "
            "AND sql IS NOT NULL"))

    before = indexes()
    assert any("entity_id" in sql for sql in before)
    with registry.transaction():
        registry.store_results(Linker(), Linker().score(None))
    assert indexes() == before
    assert registry.conn.execute(
        "SELECT title_number FROM title_proprietors WHERE entity_id = ?", (f"GB-COH-{count - 1:08d}",)
    ).fetchall() == [(f"T{count - 1}",)]
    assert registry.conn.execute("SELECT count(entity_id) FROM title_proprietors").fetchone()[0] == count


def test_collectors_may_not_write_derived_tables(registry):
    with pytest.raises(PluginError, match="derived"):
        registry.collect(ListCollector([RiskFlag(subject_type="care_home", subject_id="1", flag="x")]))


def test_a_value_sqlite_cannot_store_is_a_plugin_error(registry):
    with pytest.raises(PluginError, match="care_homes a value SQLite cannot store"):
        registry.collect(ListCollector([CareHome(location_id="1-1", name={"not": "text"})]))
    assert table_rows(registry, "care_homes") == []


def test_dates_and_numbers_are_checked_whatever_their_python_type(registry):
    import datetime

    rows = [
        CareHome(location_id="1-1", rating_date=datetime.date(2024, 1, 2), beds=True, latitude=51),
        CareHome(location_id="1-2", rating_date="2024-13-01", line=5),
    ]
    report = registry.collect(ListCollector(rows))
    assert report.rejected == 1
    row = table_rows(registry, "care_homes")[0]
    assert (row["rating_date"], row["beds"], row["latitude"]) == ("2024-01-02", 1, 51.0)
