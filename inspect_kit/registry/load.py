"""Streaming loads: a collector's items become batches of rows, snapshots end what went missing.

Large loads take faster paths that leave the same registry: a run that writes
a large share of a table builds its secondary indexes after the load (in the
same transaction), a full snapshot keeps the keys it delivered only when
the source has current rows that may need ending, and a bulk-file collector
parses in a child process on a second core while this one writes (see
``Loader`` and ``ChildLoad``).
"""

from __future__ import annotations

import gc
import json
import operator
import sqlite3
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..api import PluginError
from ..forking import run_forked, worth_forking
from ..records import Ended, Record, Rejected
from . import tuning
from .convert import TableWriter
from .runs import Run, RunReport
from .schema import PRIVATE_SCHEMA
from .sql import quote

if TYPE_CHECKING:
    from .core import Registry


class Batcher:
    """The front half of a load: items -> converted rows in batches, rejects, ends.

    It never touches the connection; what it produces goes to ``emit`` as
    operations (``"rows"``, ``"rejects"``, ``"end"``, ``"run"``) that a ``Loader``
    applies in order. The two halves run in one process, or the batcher runs in a
    child process with the collector (see ``ChildLoad``).
    """

    def __init__(self, run: Run, writer_for, emit):
        self.run = run
        self.writer_for = writer_for
        self.emit = emit
        self.tables: dict[type[Record], list] = {}  # class -> [convert, pending rows]
        self.rejects: list[tuple] = []
        self.run_seen: tuple | None = None

    def feed(self, items) -> None:
        tables = self.tables
        batch_size = tuning.BATCH_SIZE
        for item in items:
            table = tables.get(item.__class__)
            if table is None:
                self._other(item)
                continue
            try:
                row = table[0](item)
            except ValueError as error:
                self._reject_record(item, error)
                continue
            batch = table[1]
            batch.append(row)
            if len(batch) >= batch_size:
                self._send(item.__class__, table)
        for record_class, table in tables.items():
            self._send(record_class, table)
        self._send_rejects()

    def _sync_run(self) -> None:
        """Tell the store what of the run a collector may change while it runs."""
        run = self.run
        seen = (run.as_of, run.source, frozenset(run.snapshot_classes))
        if seen != self.run_seen:
            self.run_seen = seen
            self.emit(("run", seen))

    def _send(self, record_class, table) -> None:
        if table[1]:
            self._sync_run()
            self.emit(("rows", record_class, table[1]))
            table[1] = []

    def _other(self, item) -> None:
        """Everything but a record of a class already seen in this run."""
        if isinstance(item, Record):
            record_class = type(item)
            if record_class.__derived__:
                raise PluginError(f"collectors may not yield derived records ({record_class.__table__})")
            table = self.tables[record_class] = [self.writer_for(record_class).convert, []]
            try:
                table[1].append(table[0](item))
            except ValueError as error:
                self._reject_record(item, error)
        elif isinstance(item, Rejected):
            shown = item.public_raw if item.personal else item.raw
            self._reject(item.source or self.run.source, item.line, shown, item.error, item.raw)
        elif isinstance(item, Ended):
            table = self.tables.get(item.record_class)
            if table is not None:
                self._send(item.record_class, table)
            self._sync_run()
            self.emit(("end", item))
        else:
            raise PluginError(
                f"collector {self.run.collector!r} yielded {item!r}: "
                "expected a Record, Rejected or Ended"
            )

    def _reject_record(self, record: Record, error: ValueError) -> None:
        raw = json.dumps({k: v for k, v in record.values().items() if v is not None}, default=str)
        self._reject(self.run.source, record.line, raw, str(error))

    def _reject(self, source, line, shown, error, raw=None) -> None:
        """``shown`` goes to the public rejected_records, the whole ``raw`` to the private database."""
        self.rejects.append((self.run.run_id, source, line, shown, error, shown if raw is None else raw))
        if len(self.rejects) >= tuning.BATCH_SIZE:
            self._send_rejects()

    def _send_rejects(self) -> None:
        if self.rejects:
            self.emit(("rejects", self.rejects))
            self.rejects = []


class TableLoad:
    """One record class during one run: its SQL and its bookkeeping."""

    __slots__ = ("writer", "sql", "provenance", "started", "snapshot",
                 "rows_at_start", "changed", "seen", "deferred_indexes", "merge")

    def __init__(self, writer: TableWriter):
        self.writer = writer
        self.sql = ""
        self.provenance: tuple | None = None
        self.started = False  # set by the first write
        self.snapshot = False  # a full snapshot of this table (known at the first write)
        self.rows_at_start = 0
        self.changed = 0
        self.seen: str | None = None  # temp table of delivered keys, when rows may need ending
        self.deferred_indexes: list[str] | None = None  # CREATE INDEX statements to run after the load
        self.merge = True  # False while rows go into a table that was empty, with no key repeated yet


class Loader:
    """Streams a collector's items into the registry in batches.

    Three things keep a large load close to the speed of a plain insert:

    - when a run writes a large share of a table (a first load, or a run that
      changes at least half of what was there), the table's secondary indexes
      are dropped and built again after the load, in the same transaction;
    - delivered keys of a full snapshot are only kept when the source has
      current rows that may need ending (not on a first load);
    - each record costs one dictionary lookup, one generated ``convert`` call
      and one list append; the run's provenance is written into the SQL.

    A fourth uses the machine's second core: a collector that does not read the
    registry while it runs (``reads_registry = False``) runs with the converting
    half of the load (``Batcher``) in a forked child process, which pipes
    batches of rows to this process; here only SQLite works (``ChildLoad``).
    """

    def __init__(self, registry: Registry, run: Run):
        self.registry = registry
        self.conn = registry.conn
        self.run = run
        self.tables: dict[type[Record], TableLoad] = {}
        self.report = RunReport(run.run_id, run.collector)

    def load(self, items) -> RunReport:
        Batcher(self.run, self.registry.writer, self.apply).feed(items)
        return self.finish()

    def load_collector(self, collector) -> RunReport:
        """Run the collector here, or in a child process when it can and it pays."""
        with no_cycle_collection():
            if ChildLoad.suits(collector):
                ChildLoad(self, collector).run()
                return self.finish()
            return self.load(collector.collect(self.run))

    def finish(self) -> RunReport:
        for table in self.tables.values():
            self._restore_indexes(table)
        self._end_missing()
        return self.report

    def apply(self, operation: tuple) -> None:
        """Carry out one operation of a ``Batcher``, in the order it was made."""
        kind = operation[0]
        if kind == "rows":
            self._write(operation[1], operation[2])
        elif kind == "run":
            self.run.as_of, self.run.source, snapshot = operation[1]
            self.run.snapshot_classes = set(snapshot)
        elif kind == "rejects":
            self._write_rejects(operation[1])
        elif kind == "end":
            self._end(operation[1])
        else:  # pragma: no cover - a programming error
            raise AssertionError(f"unknown load operation {kind!r}")

    def _table(self, record_class: type[Record]) -> TableLoad:
        table = self.tables.get(record_class)
        if table is None:
            table = self.tables[record_class] = TableLoad(self.registry.writer(record_class))
        return table

    def _start(self, table: TableLoad) -> None:
        """Before the first write to a table: what is there, and what must be tracked."""
        record_class = table.writer.record_class
        name = quote(record_class.__table__)
        table.started = True
        table.rows_at_start = self.conn.execute(f"SELECT max(rowid) FROM {name}").fetchone()[0] or 0
        table.merge = table.rows_at_start > 0
        table.snapshot = record_class in self.run.snapshot_classes
        if table.snapshot and self.conn.execute(
            f"SELECT 1 FROM {name} WHERE source = ? AND valid_to IS NULL LIMIT 1", (self.run.collector,)
        ).fetchone():
            # Rows this source delivered before may be missing now: remember what is delivered.
            table.seen = f"temp.{quote('seen_' + record_class.__table__)}"
            key = ", ".join(map(quote, record_class.__key__))
            self.conn.execute(f"DROP TABLE IF EXISTS {table.seen}")
            # WITHOUT ROWID: the key is the table, one B-tree instead of a table and its index.
            self.conn.execute(f"CREATE TABLE {table.seen} ({key}, PRIMARY KEY ({key})) WITHOUT ROWID")

    def _write(self, record_class: type[Record], batch: list[tuple]) -> None:
        table = self._table(record_class)
        if not table.started:
            self._start(table)
        provenance = (self.run.collector, self.run.run_id, self.run.as_of)
        if provenance != table.provenance:
            table.provenance = provenance
            table.sql = table.writer.upsert_sql_for(*provenance, merge=table.merge)
        if (
            table.deferred_indexes is None
            and len(batch) >= tuning.BATCH_SIZE
            and table.changed * 2 >= table.rows_at_start
        ):
            self._defer_indexes(table)
        try:
            changed = self._execute(table, batch)
        except (sqlite3.InterfaceError, sqlite3.ProgrammingError) as error:  # e.g. a dict for text
            raise PluginError(
                f"collector {self.run.collector!r} gave {record_class.__table__} "
                f"a value SQLite cannot store: {error}"
            ) from None
        table.changed += changed
        self.report.changed += changed
        self.report.records += len(batch)
        if table.seen:
            self._remember_keys(table, batch)

    def _execute(self, table: TableLoad, batch: list[tuple]) -> int:
        """Write a batch; return how many rows it changed.

        Into a table that was empty, rows are plainly inserted: an upsert, with its
        conflict clause and the history trigger it may fire, costs SQLite more per
        row (1M CCOD rows in one process: 33.4 s against 31.6 s). Should the source
        repeat a key, the batch is written again as upserts (the rows already in
        are left as they are) and so is the rest.
        """
        if table.merge:
            return self.conn.executemany(table.sql, batch).rowcount
        before = self.conn.total_changes
        try:
            return self.conn.executemany(table.sql, batch).rowcount
        except sqlite3.IntegrityError:
            inserted = self.conn.total_changes - before
            table.merge = True
            table.sql = table.writer.upsert_sql_for(*table.provenance)
            return inserted + self.conn.executemany(table.sql, batch).rowcount

    def _remember_keys(self, table: TableLoad, batch: list[tuple]) -> None:
        """Add a batch's keys to the snapshot's delivered keys."""
        positions = table.writer.key_positions
        if len(positions) == 1:
            # One statement for the batch: the keys travel as one JSON array (text and
            # integers round-trip exactly), four times faster than binding row by row.
            keys = json.dumps(list(map(operator.itemgetter(positions[0]), batch)))
            self.conn.execute(f"INSERT OR IGNORE INTO {table.seen} SELECT value FROM json_each(?)", (keys,))
        else:
            marks = ", ".join("?" for _ in positions)
            self.conn.executemany(
                f"INSERT OR IGNORE INTO {table.seen} VALUES ({marks})", map(table.writer.key_of, batch)
            )

    def _defer_indexes(self, table: TableLoad) -> None:
        """Drop the secondary indexes now and build them once after the load (sorted, much faster)."""
        table.deferred_indexes = tuning.drop_secondary_indexes(self.conn, table.writer.record_class.__table__)

    def _restore_indexes(self, table: TableLoad) -> None:
        tuning.build_indexes(self.conn, table.deferred_indexes or ())
        table.deferred_indexes = None

    def _write_rejects(self, rejects: list[tuple]) -> None:
        """Public: file, line, reason and what may be shown; private: the row's whole text, by id."""
        first = self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM rejected_records").fetchone()[0]
        self.conn.executemany(
            "INSERT INTO rejected_records (id, run_id, source, line, raw, error) VALUES (?, ?, ?, ?, ?, ?)",
            [(first + n, *reject[:5]) for n, reject in enumerate(rejects)],
        )
        self.conn.executemany(
            f"INSERT INTO {PRIVATE_SCHEMA}.rejected_raw (id, run_id, raw) VALUES (?, ?, ?)",
            [(first + n, reject[0], reject[5]) for n, reject in enumerate(rejects)],
        )
        self.report.rejected += len(rejects)

    def _end(self, item: Ended) -> None:
        record_class = item.record_class
        where = " AND ".join(f"{quote(k)} = ?" for k in record_class.__key__)
        try:
            key = [item.key[k] for k in record_class.__key__]
        except KeyError as missing:
            self._write_rejects([(self.run.run_id, self.run.source, item.line,
                                  json.dumps(item.key, default=str), f"end: key {missing} missing")])
            return
        cursor = self.conn.execute(
            f"UPDATE {quote(record_class.__table__)} SET valid_to = ?, ended_run_id = ? "
            f"WHERE {where} AND valid_to IS NULL",
            [item.on or self.run.as_of, self.run.run_id, *key],
        )
        self.report.ended += cursor.rowcount

    def _end_missing(self) -> None:
        """End the rows of each full snapshot that this run did not deliver."""
        for record_class in self.run.snapshot_classes:
            table = self.tables.get(record_class)
            name = quote(record_class.__table__)
            where = "valid_to IS NULL AND source = ?"
            if table is not None and table.started:
                if not table.snapshot:
                    raise PluginError(
                        f"collector {self.run.collector!r} declared a full snapshot of {record_class.__table__} "
                        "after yielding its first records: call run.full_snapshot() before"
                    )
                if table.seen is None:
                    continue  # the source had no current rows here before this run: all were delivered
                match = " AND ".join(f"s.{quote(k)} = {name}.{quote(k)}" for k in record_class.__key__)
                where += f" AND NOT EXISTS (SELECT 1 FROM {table.seen} s WHERE {match})"
            cursor = self.conn.execute(
                f"UPDATE {name} SET valid_to = ?, ended_run_id = ? WHERE {where}",
                (self.run.as_of, self.run.run_id, self.run.collector),
            )
            self.report.ended += cursor.rowcount
            if table is not None and table.seen:
                self.conn.execute(f"DROP TABLE {table.seen}")


@contextmanager
def no_cycle_collection():
    """Pause Python's cycle collector during a load (in both processes, when it forks).

    A load makes millions of tuples that hold no cycles; each 700 of them set off a
    collection that finds nothing (5% of a 1M-line PSC load's time, measured).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class NoRegistry:
    """What ``run.registry`` is in a child process: a collector that said it does not read it, may not."""

    def __getattr__(self, name):
        raise PluginError(
            "this collector declared reads_registry = False and runs in a child process: "
            "it cannot use run.registry"
        )


class ChildLoad:
    """Run a collector and the converting half of the load in a forked child process.

    The child pickles batches of converted rows (and rejects, ends, run changes)
    into a pipe; this process unpickles them and does the SQLite work, so that
    parsing and writing overlap on two cores (``forking.run_forked``). The pipe
    is bounded by the operating system, so a child that is ahead waits: memory
    stays flat. Only for collectors that do not read the registry while they run
    (``reads_registry = False``).
    """

    def __init__(self, loader: Loader, collector):
        self.loader = loader
        self.collector = collector
        # A table travels as its position among the registered ones (both processes know them).
        self.classes = loader.registry.record_classes
        self.positions = {record_class: i for i, record_class in enumerate(self.classes)}

    @classmethod
    def suits(cls, collector) -> bool:
        return worth_forking(not getattr(collector, "reads_registry", True))

    def run(self) -> None:
        run = self.loader.run
        # The collector's saved state, read now: the child does not use the connection.
        run._saved_state = {
            key: json.loads(value)
            for key, value in self.loader.conn.execute(
                "SELECT key, value FROM collector_state WHERE collector = ?", (run.collector,)
            )
        }
        run.as_of, run.source, snapshot, state = run_forked(
            self._child, self._receive, who=f"collector {run.collector!r}"
        )
        run.snapshot_classes = {self.classes[i] for i in snapshot}
        run._state_updates.update(state)

    def _receive(self, operation) -> None:
        kind = operation[0]
        if kind == "rows":
            operation = ("rows", self.classes[operation[1]], operation[2])
        elif kind == "run":
            as_of, source, snapshot = operation[1]
            operation = ("run", (as_of, source, {self.classes[i] for i in snapshot}))
        self.loader.apply(operation)

    def _child(self, emit):  # pragma: no cover - runs in the child
        run = self.loader.run
        positions = self.positions

        def send(operation):
            kind = operation[0]
            if kind == "rows":
                operation = ("rows", positions[operation[1]], operation[2])
            elif kind == "run":
                as_of, source, snapshot = operation[1]
                operation = ("run", (as_of, source, frozenset(positions[c] for c in snapshot)))
            emit(operation)

        run.registry = NoRegistry()
        Batcher(run, self.loader.registry.writer, send).feed(self.collector.collect(run))
        return run.as_of, run.source, frozenset(positions[c] for c in run.snapshot_classes), run._state_updates
