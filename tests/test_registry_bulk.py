"""Large loads take faster paths (indexes built after the load, no snapshot bookkeeping on a
first load): the registry they leave must be exactly the one the row-by-row path leaves.

``BATCH_SIZE`` is made small here so that a few hundred rows take the large-load paths.
"""

import signal
import sqlite3
from dataclasses import dataclass

import pytest
from helpers import ListCollector, collect_until_killed, data_dump, table_rows

from inspect_kit import Ended, Entity, PluginError, Record, Title, TitleProprietor
from inspect_kit.registry import load, tuning
from inspect_kit.registry import Registry


def titles(numbers, *, tenure="Freehold", postcode="ZZ1 1ZZ"):
    for n in numbers:
        yield Title(title_number=f"EX{n:05d}", tenure=tenure, postcode=postcode, price_paid=n, line=n)
        yield TitleProprietor(title_number=f"EX{n:05d}", position=1, name=f"PROPCO {n} LIMITED",
                              company_number=f"{n:08d}", line=n)


def months():
    """A year of a land registry in runs: first load, same again, changes, titles gone, another source."""
    snapshot = [Title, TitleProprietor]
    return [
        ListCollector(titles(range(300)), name="ccod", snapshot=snapshot, as_of="2024-01-01"),
        ListCollector(titles(range(300)), name="ccod", snapshot=snapshot, as_of="2024-02-01"),
        # A tenth changed, the last fifty gone, forty new.
        ListCollector([*titles(range(0, 30), tenure="Leasehold"), *titles(range(30, 250)),
                       *titles(range(400, 440))], name="ccod", snapshot=snapshot, as_of="2024-03-01"),
        # Another source says something of its own titles and some of ccod's.
        ListCollector([*titles(range(1000, 1400)), *titles(range(0, 10), postcode="ZZ9 9ZZ")],
                      name="ocod", snapshot=snapshot, as_of="2024-03-01"),
        # Most of ccod's titles come back, some gone ones again; one ended on its own.
        ListCollector([*titles(range(0, 280)), Ended(Title, {"title_number": "EX00005"}, on="2024-04-15")],
                      name="ccod", snapshot=snapshot, as_of="2024-04-01"),
        # An empty snapshot ends everything the source still says.
        ListCollector([], name="ocod", snapshot=snapshot, as_of="2024-05-01"),
    ]


def history(path, batch_size, monkeypatch):
    monkeypatch.setattr(tuning, "BATCH_SIZE", batch_size)
    registry = Registry(path)
    reports = [registry.collect(collector) for collector in months()]
    dump = data_dump(registry)
    indexes = registry.conn.execute(
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name").fetchall()
    registry.close()
    for table in dump.values():
        for row in table:
            row.pop("run_id", None), row.pop("ended_run_id", None)
    return [(r.records, r.changed, r.ended, r.rejected) for r in reports], dump, indexes


def test_large_loads_leave_the_registry_the_row_by_row_path_leaves(tmp_path, monkeypatch):
    row_by_row = history(tmp_path / "slow.db", 100_000, monkeypatch)
    bulk = history(tmp_path / "fast.db", 50, monkeypatch)
    assert bulk[0] == row_by_row[0]
    assert bulk[1] == row_by_row[1]
    assert bulk[2] == row_by_row[2]  # every index is back, as it was
    reports = bulk[0]
    assert reports[1][1:3] == (0, 0)  # the same file twice touches nothing
    assert reports[2][2] == 100  # fifty titles and their proprietors ended


def test_same_large_import_twice_touches_no_row(tmp_path, monkeypatch):
    monkeypatch.setattr(tuning, "BATCH_SIZE", 50)
    registry = Registry(tmp_path / "r.db")
    collector = months()[0]
    registry.collect(collector)
    before = data_dump(registry)
    report = registry.collect(ListCollector(titles(range(300)), name="ccod", snapshot=[Title, TitleProprietor],
                                            as_of="2024-02-01"))
    assert (report.changed, report.ended) == (0, 0)
    # Same run_id, valid_from and values everywhere, and no history: no row was touched.
    assert data_dump(registry) == before
    assert table_rows(registry, "titles_history") == []


def test_a_large_run_that_fails_leaves_tables_and_indexes_as_they_were(tmp_path, monkeypatch):
    monkeypatch.setattr(tuning, "BATCH_SIZE", 50)
    registry = Registry(tmp_path / "r.db")
    schema = registry.conn.execute("SELECT * FROM sqlite_master ORDER BY name").fetchall()
    with pytest.raises(RuntimeError):
        registry.collect(ListCollector([*titles(range(500)), RuntimeError("disk gone")], name="ccod"))
    assert registry.conn.execute("SELECT * FROM sqlite_master ORDER BY name").fetchall() == schema
    assert table_rows(registry, "titles") == []
    plan = registry.conn.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM title_proprietors WHERE company_number = '1'").fetchall()
    assert "idx_title_proprietors_company_number" in str(plan)


def test_a_large_run_killed_halfway_leaves_tables_and_indexes_as_they_were(tmp_path):
    db = tmp_path / "registry.db"
    result = collect_until_killed(db, """
        for n in range(30_000):
            yield Title(title_number=f"EX{n}", postcode="ZZ1 1ZZ")
        os.kill(os.getpid(), signal.SIGKILL)
    """, before='print(registry.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0], flush=True)')
    assert result.returncode == -signal.SIGKILL, result.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*) FROM titles").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == int(result.stdout.split()[0])
    assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'idx_titles_postcode'").fetchone()


def test_snapshot_declared_after_the_first_records_is_a_plugin_error(tmp_path, monkeypatch):
    monkeypatch.setattr(tuning, "BATCH_SIZE", 10)

    class Late(ListCollector):
        def collect(self, run):
            yield from titles(range(20))
            run.full_snapshot(Title)

    registry = Registry(tmp_path / "r.db")
    with pytest.raises(PluginError, match="before"):
        registry.collect(Late([], name="ccod"))


def test_provenance_is_quoted_into_the_sql(tmp_path):
    registry = Registry(tmp_path / "r.db")
    collector = ListCollector(titles(range(3)), name="o'brien's list", as_of="2024-01-01")
    report = registry.collect(collector)
    rows = table_rows(registry, "titles")
    assert {(r["source"], r["run_id"], r["valid_from"]) for r in rows} == {
        ("o'brien's list", report.run_id, "2024-01-01")}


@dataclass(kw_only=True)
class Numbered(Record):
    __table__ = "test_numbered"
    __key__ = ("number",)
    number: int
    label: str | None = None


@pytest.mark.parametrize("batch_size", [2, 10_000])
def test_snapshot_keys_of_any_text_or_number_are_matched_exactly(tmp_path, monkeypatch, batch_size):
    monkeypatch.setattr(tuning, "BATCH_SIZE", batch_size)
    ids = ["GB-COH-00000001", "ÉTABLISSEMENT Ü", "雪 ☃ 🏠", 'quote " and \\ backslash', "1", "01", " 1"]
    registry = Registry(tmp_path / "r.db", extra_records=[Numbered])
    first = [Entity(id=i, name="A") for i in ids] + [Numbered(number=n, label="x") for n in (1, 2, 10**12, -3)]
    registry.collect(ListCollector(first, snapshot=[Entity, Numbered], as_of="2024-01-01"))
    again = [e for e in first if getattr(e, "id", None) != "01" and getattr(e, "number", None) != 2]
    report = registry.collect(ListCollector(again, snapshot=[Entity, Numbered], as_of="2024-02-01"))
    assert report.ended == 2 and report.changed == 0
    ended = registry.conn.execute(
        "SELECT id FROM entities WHERE valid_to IS NOT NULL UNION ALL "
        "SELECT number FROM test_numbered WHERE valid_to IS NOT NULL").fetchall()
    assert sorted(ended, key=str) == [("01",), (2,)]


def repeated_keys():
    """A first load in which the source repeats keys: in one batch, and batches apart."""
    yield from titles(range(120))
    yield Title(title_number="EX00003", tenure=None, postcode="ZZ3 3ZZ", price_paid=None, line=121)
    yield from titles(range(120, 200))
    yield Title(title_number="EX00150", tenure="Leasehold", line=201)
    yield Title(title_number="EX00150", tenure="Leasehold", line=202)  # the same again: changes nothing
    yield TitleProprietor(title_number="EX00010", position=1, name="RENAMED LIMITED", line=203)


def first_load(path, monkeypatch, *, merge_from_the_start):
    monkeypatch.setattr(tuning, "BATCH_SIZE", 50)
    if merge_from_the_start:
        start = load.Loader._start

        def always_merge(self, table):
            start(self, table)
            table.merge = True

        monkeypatch.setattr(load.Loader, "_start", always_merge)
    registry = Registry(path)
    report = registry.collect(ListCollector(repeated_keys(), name="ccod"))
    dump = data_dump(registry)
    registry.close()
    monkeypatch.undo()
    return (report.records, report.changed), dump


def test_plain_inserts_into_an_empty_table_leave_what_upserts_leave_keys_repeated(tmp_path, monkeypatch):
    plain = first_load(tmp_path / "plain.db", monkeypatch, merge_from_the_start=False)
    merged = first_load(tmp_path / "merged.db", monkeypatch, merge_from_the_start=True)
    assert plain == merged
    title = {r["title_number"]: r for r in plain[1]["titles"]}
    assert (title["EX00003"]["tenure"], title["EX00003"]["postcode"], title["EX00003"]["price_paid"]) == (
        "Freehold", "ZZ3 3ZZ", 3)
    assert title["EX00150"]["tenure"] == "Leasehold"
    assert plain[0] == (404, 403)  # every record read; only the last repeat changed nothing
