"""Private data in its own file: registry.db holds only what public registers publish."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import pytest

import inspect_kit as ik
from inspect_kit.registry import PRIVATE_DB_ENV, Registry
from inspect_kit.registry.schema import PRIVATE_APPLICATION_ID
from inspect_kit_ownership.tables import MatchDecision
from inspect_kit_schedule.tables import ScheduleRun


def tables_in(path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}


@dataclass(kw_only=True)
class Watch(ik.Record):
    """A later plugin's private table, declared the documented way."""

    __table__ = "watchlist"
    __key__ = ("subject_id",)
    __private__ = True
    __description__ = "Who a council watches."

    subject_id: str
    note: str | None = None


class _Once(ik.Collector):
    name = "once"
    description = "Records given in the test."
    takes_files = False

    def __init__(self, records):
        self.records = records

    def collect(self, run):
        run.as_of = "2024-01-01"
        yield from self.records


class _Planner(ik.Scheduler):
    name = "test-planner"
    description = "One visit."

    def schedule(self, context):
        yield ik.InspectionVisit(location_id="1-1", planned_date="2024-02-01", reason="secret visit")


@pytest.fixture
def paths(tmp_path):
    return tmp_path / "registry.db", tmp_path / "private.db"


def test_private_tables_live_beside_the_registry(paths):
    registry_path, private_path = paths
    registry = Registry(registry_path, extra_records=[MatchDecision, ScheduleRun, Watch])
    assert registry.private_path == private_path
    registry.collect(_Once([
        MatchDecision(kind="provider", left_id="1-1", right_id="GB-COH-1", decision="same", decided_by="A. Person"),
        Watch(subject_id="GB-COH-1", note="keep an eye"),
        ik.CareHome(location_id="1-1", name="Home"),
    ]))
    with registry.transaction():
        registry.store_results(_Planner(), _Planner().schedule(None))
    # Code reads them unqualified, as before.
    assert registry.conn.execute("select decided_by from match_decisions").fetchone() == ("A. Person",)
    assert registry.conn.execute("select reason from inspection_schedule").fetchone() == ("secret visit",)
    registry.close()

    public = tables_in(registry_path)
    private = tables_in(private_path)
    assert {"care_homes", "rejected_records", "collection_runs"} <= public
    for table in ("inspection_schedule", "schedule_runs", "match_decisions", "match_decisions_history", "watchlist"):
        assert table not in public and table in private, table
    with sqlite3.connect(registry_path) as conn:
        assert "secret visit" not in "".join(str(r) for r in conn.execute("select * from sqlite_master"))
        assert conn.execute("pragma application_id").fetchone()[0] == 0
    with sqlite3.connect(private_path) as conn:
        assert conn.execute("pragma application_id").fetchone()[0] == PRIVATE_APPLICATION_ID
    assert b"secret visit" not in registry_path.read_bytes() and b"A. Person" not in registry_path.read_bytes()


def test_a_failed_run_leaves_both_files_alone(paths):
    registry_path, private_path = paths
    registry = Registry(registry_path, extra_records=[Watch])

    class Broken(_Once):
        def collect(self, run):
            yield from super().collect(run)
            raise RuntimeError("the source broke")

    with pytest.raises(RuntimeError):
        registry.collect(Broken([Watch(subject_id="X"), ik.CareHome(location_id="1-9")]))
    assert registry.conn.execute("select count(*) from watchlist").fetchone() == (0,)
    assert registry.conn.execute("select count(*) from care_homes").fetchone() == (0,)
    registry.close()


def test_the_private_path_can_be_given(tmp_path, monkeypatch):
    elsewhere = tmp_path / "vault" / "secrets.db"
    elsewhere.parent.mkdir()
    monkeypatch.setenv(PRIVATE_DB_ENV, str(elsewhere))
    registry = Registry(tmp_path / "registry.db", extra_records=[Watch])
    registry.close()
    assert "watchlist" in tables_in(elsewhere)
    assert not (tmp_path / "private.db").exists()
    monkeypatch.delenv(PRIVATE_DB_ENV)
    given = tmp_path / "given.db"
    Registry(tmp_path / "registry.db", extra_records=[Watch], private_path=given).close()
    assert "watchlist" in tables_in(given)
    Registry(tmp_path / "demo.db", extra_records=[Watch]).close()  # two registries never share one
    assert "watchlist" in tables_in(tmp_path / "demo-private.db")


def test_an_older_registry_moves_its_private_rows_out(paths):
    """A registry written when the schedule lived in registry.db: opening it moves the rows."""
    registry_path, private_path = paths
    with sqlite3.connect(registry_path) as conn:
        conn.execute("create table inspection_schedule (location_id text, scheduler text, planned_date text, "
                     "reason text, primary key (scheduler, location_id, planned_date))")
        conn.execute("insert into inspection_schedule values ('1-1', 'old', '2023-05-01', 'old secret')")
    Registry(registry_path).close()
    assert "inspection_schedule" not in tables_in(registry_path)
    with sqlite3.connect(private_path) as conn:
        assert conn.execute("select reason from inspection_schedule").fetchall() == [("old secret",)]
