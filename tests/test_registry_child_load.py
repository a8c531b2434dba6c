"""A collector that does not read the registry runs in a forked child process while the
parent writes: the registry it leaves, its errors and its rejects must be those of a
load in one process.

``INSPECT_KIT_CHILD_LOAD=1`` forks even on one core; ``0`` keeps the load in one process.
"""

import os
import signal
import sqlite3
import subprocess

import pytest
from helpers import ListCollector, collect_until_killed, data_dump, table_rows
from test_registry_bulk import months, titles

from inspect_kit import CareHome, PluginError, Rejected, SourceError, Title, TitleProprietor
from inspect_kit.registry import tuning
from inspect_kit.registry import Registry


class FileCollector(ListCollector):
    """A list collector that, like the bulk-file collectors, never reads the registry."""

    reads_registry = False

    def collect(self, run):
        run.set_state("pid", os.getpid())
        yield from super().collect(run)


@pytest.fixture
def child(monkeypatch):
    monkeypatch.setenv("INSPECT_KIT_CHILD_LOAD", "1")
    monkeypatch.setattr(tuning, "BATCH_SIZE", 50)


def state(registry, key):
    row = registry.conn.execute("SELECT value FROM collector_state WHERE key = ?", (key,)).fetchone()
    return row and row[0]


def file_months():
    for collector in months():
        collector.__class__ = FileCollector
        yield collector


def load_history(path, mode, monkeypatch):
    monkeypatch.setenv("INSPECT_KIT_CHILD_LOAD", mode)
    registry = Registry(path)
    reports = [registry.collect(c) for c in file_months()]
    pid = state(registry, "pid")
    dump = data_dump(registry)
    for table in dump.values():
        for row in table:
            row.pop("run_id", None), row.pop("ended_run_id", None), row.pop("updated_at", None)
            if row.get("key") == "pid":
                row.pop("value")
    registry.close()
    return [(r.records, r.changed, r.ended, r.rejected) for r in reports], dump, pid


def test_a_child_process_load_leaves_the_registry_a_one_process_load_leaves(tmp_path, monkeypatch):
    monkeypatch.setattr(tuning, "BATCH_SIZE", 50)
    one = load_history(tmp_path / "one.db", "0", monkeypatch)
    two = load_history(tmp_path / "two.db", "1", monkeypatch)
    assert one[2] == str(os.getpid())  # kept in this process
    assert two[2] != str(os.getpid())  # parsed in another one
    assert two[0] == one[0]
    assert two[1] == one[1]


def test_a_collector_that_reads_the_registry_stays_in_this_process(tmp_path, child):
    registry = Registry(tmp_path / "r.db")

    class Reader(ListCollector):
        def collect(self, run):
            run.set_state("pid", os.getpid())
            run.registry.conn.execute("SELECT 1")
            yield from super().collect(run)

    registry.collect(Reader(titles(range(3))))
    assert state(registry, "pid") == str(os.getpid())


def test_an_error_in_the_child_rolls_back_and_is_the_error_it_was(tmp_path, child):
    registry = Registry(tmp_path / "r.db")
    schema = registry.conn.execute("SELECT * FROM sqlite_master ORDER BY name").fetchall()
    collector = FileCollector([*titles(range(500)), SourceError("CCOD_FULL.csv: truncated at line 501")],
                              name="ccod", snapshot=[Title, TitleProprietor])
    with pytest.raises(SourceError, match=r"^CCOD_FULL.csv: truncated at line 501$"):
        registry.collect(collector)
    assert registry.conn.execute("SELECT * FROM sqlite_master ORDER BY name").fetchall() == schema
    assert table_rows(registry, "titles") == []
    assert table_rows(registry, "collection_runs") == []
    assert table_rows(registry, "collector_state") == []
    # The registry is usable at once, and the same file loads whole.
    report = registry.collect(FileCollector(titles(range(500)), name="ccod", snapshot=[Title, TitleProprietor]))
    assert report.records == 1000


def test_an_unexpected_error_in_the_child_keeps_its_type_and_its_traceback(tmp_path, child):
    registry = Registry(tmp_path / "r.db")

    class Buggy(FileCollector):
        def collect(self, run):
            yield from titles(range(100))
            {}["no such key"]

    with pytest.raises(KeyError) as raised:
        registry.collect(Buggy([]))
    assert "in collect" in "".join(raised.value.__notes__)  # where it happened, in the child
    assert table_rows(registry, "titles") == []


def test_an_error_that_cannot_be_pickled_comes_back_as_a_plugin_error(tmp_path, child):
    class Odd(Exception):
        def __init__(self, a, b):  # pickles as Odd(args) and fails to unpickle
            super().__init__(f"{a} and {b}")

    registry = Registry(tmp_path / "r.db")
    with pytest.raises(PluginError, match="Odd: x and y"):
        registry.collect(FileCollector([*titles(range(100)), Odd("x", "y")]))
    assert table_rows(registry, "titles") == []


def test_an_error_while_writing_stops_the_child_and_rolls_back(tmp_path, child):
    registry = Registry(tmp_path / "r.db")
    home = CareHome(location_id="1-x", name={"not": "text"})  # SQLite refuses a dict
    with pytest.raises(PluginError, match="value SQLite cannot store"):
        registry.collect(FileCollector([*titles(range(100)), home, *titles(range(100, 5000))]))
    assert table_rows(registry, "titles") == []
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # no child left behind


def test_rejects_from_the_child_land_with_their_file_and_line(tmp_path, child):
    registry = Registry(tmp_path / "r.db")

    class WithRejects(FileCollector):
        def collect(self, run):
            run.source = "CCOD_FULL_2024_05.csv"
            yield Title(title_number="EX1", line=2)
            yield Rejected("expected 39 fields, found 3", raw='"a","b","c"', line=3)
            yield Title(title_number="EX2", price_paid="lots", line=4)  # not an integer
            run.source = "CCOD_FULL_2024_05.csv:part2"
            yield Rejected("bad date", raw="x", line=7)

    report = registry.collect(WithRejects([]))
    assert (report.records, report.rejected) == (1, 3)
    rows = [(r["source"], r["line"], r["error"]) for r in table_rows(registry, "rejected_records")]
    assert rows == [
        ("CCOD_FULL_2024_05.csv", 3, "expected 39 fields, found 3"),
        ("CCOD_FULL_2024_05.csv", 4, "titles.price_paid: 'lots' is not an integer"),
        ("CCOD_FULL_2024_05.csv:part2", 7, "bad date"),
    ]


def test_run_changes_made_in_the_child_reach_the_registry(tmp_path, child):
    registry = Registry(tmp_path / "r.db")

    class Monthly(FileCollector):
        def collect(self, run):
            assert run.get_state("month", "none") == self.expected
            run.as_of = "2024-05-01"
            run.full_snapshot(Title)
            run.set_state("month", "2024-05")
            yield from titles(range(3))

    collector = Monthly([], name="ccod")
    collector.expected = "none"
    registry.collect(collector)
    collector.expected = "2024-05"
    registry.collect(collector)
    assert {r["valid_from"] for r in table_rows(registry, "titles")} == {"2024-05-01"}
    assert state(registry, "month") == '"2024-05"'


def test_a_collector_in_the_child_cannot_use_the_registry(tmp_path, child):
    class Liar(FileCollector):
        def collect(self, run):
            run.registry.conn.execute("SELECT 1")
            yield from ()

    registry = Registry(tmp_path / "r.db")
    with pytest.raises(PluginError, match="reads_registry = False"):
        registry.collect(Liar([]))


def test_parent_killed_halfway_leaves_the_registry_as_it_was_and_the_child_ends(tmp_path):
    db = tmp_path / "registry.db"
    result = collect_until_killed(db, """
        for n in range(30_000):
            yield Title(title_number=f"EX{n}", postcode="ZZ1 1ZZ")
        print(os.getpid(), flush=True)
        os.kill(os.getppid(), signal.SIGKILL)  # the writing parent
        for n in range(30_000, 60_000):
            yield Title(title_number=f"EX{n}", postcode="ZZ1 1ZZ")
    """, reads_registry=False, env={"INSPECT_KIT_CHILD_LOAD": "1"})
    assert result.returncode == -signal.SIGKILL, result.stderr
    child_pid = int(result.stdout.split()[0])
    with pytest.raises(ProcessLookupError):  # the child ended too (its pipe broke)
        for _ in range(100):
            os.kill(child_pid, 0)
            subprocess.run(["sleep", "0.05"])
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*) FROM titles").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM collection_runs").fetchone()[0] == 0


def test_a_table_class_made_at_run_time_loads_from_the_child(tmp_path, child):
    from dataclasses import dataclass

    from inspect_kit import Record

    @dataclass(kw_only=True)
    class Local(Record):  # not importable by name, so it cannot be pickled: sent as a position
        __table__ = "test_local"
        __key__ = ("code",)
        code: str
        count: int | None = None

    registry = Registry(tmp_path / "r.db", extra_records=[Local])
    report = registry.collect(FileCollector([Local(code=f"c{n}", count=n) for n in range(120)], snapshot=[Local]))
    assert report.records == 120
    assert table_rows(registry, "test_local")[-1]["count"] == 119
    report = registry.collect(FileCollector([Local(code=f"c{n}", count=n) for n in range(100)], snapshot=[Local]))
    assert (report.changed, report.ended) == (0, 20)
