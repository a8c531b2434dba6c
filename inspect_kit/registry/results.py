"""Build-step results: a resolver's, scorer's or scheduler's rows replace its previous ones."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any, Iterable

from ..api import Component, PluginError
from ..forking import run_forked, worth_forking
from ..records import Record, Update
from . import tuning
from .sql import quote, update_sql

if TYPE_CHECKING:
    from .core import Registry


class Results:
    """A build step's results on their way in: ``batches`` converts (no SQLite), ``write`` writes.

    The two halves can run in two processes (``Registry.store_results``).
    """

    def __init__(self, registry: Registry, component: Component, producer: str):
        self.registry = registry
        self.component = component
        self.producer = producer
        self.version = getattr(component, "version", None)
        self.written: set[str] = set()  # statements with a batch written
        self.rebuild: list[str] = []  # indexes dropped for a large result, to build again at the end
        self.stored = 0

    def batches(self, items):
        """``("rows", sql, (table, columns set or None for an INSERT), rows)`` for every full batch, then the rest."""
        pending: dict[str, tuple[tuple, list]] = {}  # SQL -> (target, rows or update parameters)
        for item in items:
            if isinstance(item, Update):
                columns = tuple(item.values)
                sql = update_sql(item.record_class, columns)
                target = (item.record_class.__table__, columns)
                row = (*item.values.values(), *(item.key[k] for k in item.record_class.__key__))
            else:
                sql, target, row = self._insert(item)
            entry = pending.get(sql)
            if entry is None:
                entry = pending[sql] = (target, [])
            entry[1].append(row)
            if len(entry[1]) >= tuning.BATCH_SIZE:
                yield ("rows", sql, target, entry[1])
                pending[sql] = (target, [])
        for sql, (target, rows) in pending.items():
            if rows:
                yield ("rows", sql, target, rows)

    def _insert(self, item) -> tuple[str, tuple, tuple]:
        component = self.component
        if not isinstance(item, Record) or not item.__derived__:
            raise PluginError(
                f"{component.kind} {component.name!r} yielded {item!r}: "
                "expected a derived record (e.g. RiskFlag) or an Update"
            )
        record_class = type(item)
        if record_class.__producer__:
            setattr(item, record_class.__producer__, self.producer)
        if hasattr(item, "scorer_version") and self.version and not item.scorer_version:
            item.scorer_version = self.version
        if hasattr(item, "evidence") and isinstance(item.evidence, (dict, list)):
            item.evidence = json.dumps(item.evidence, sort_keys=True, default=str)
        writer = self.registry.writer(record_class)
        try:
            row = writer.convert(item)
        except ValueError as error:
            raise PluginError(f"{component.kind} {component.name!r}: {error}") from None
        return writer.insert_sql, (record_class.__table__, None), row

    def write(self, batch: tuple) -> None:
        _, sql, (table, columns), rows = batch
        conn = self.registry.conn
        if sql not in self.written:
            self.written.add(sql)
            # A large result into an empty table, or many updates of some columns:
            # the indexes concerned are built once at the end.
            if len(rows) >= tuning.BATCH_SIZE and (
                columns is not None or conn.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1").fetchone() is None
            ):
                self.rebuild += tuning.drop_secondary_indexes(conn, table, columns)
        conn.executemany(sql, rows)
        self.stored += len(rows)

    def finish(self) -> int:
        tuning.build_indexes(self.registry.conn, self.rebuild)
        return self.stored




def store_results(registry: "Registry", component: Component, items: Iterable[Any], producer: str | None = None) -> int:
    """Replace a resolver's, scorer's or scheduler's previous results with new ones (see ``Registry.store_results``)."""
    producer = producer or component.name
    for record_class in registry.derived_classes():
        if record_class.__producer__:
            _delete_results(registry.conn, record_class.__table__, record_class.__producer__, producer)
    results = Results(registry, component, producer)
    if worth_forking(not getattr(component, "reads_results", True) and _readable_apart(registry)):
        run_forked(lambda emit: _make_results_apart(registry, results, items, emit), results.write,
                   who=f"{component.kind} {component.name!r}")
    else:
        for batch in results.batches(items):
            results.write(batch)
    return results.finish()


def _readable_apart(registry: "Registry") -> bool:
    """Whether another connection can read this registry while this one writes (a file in WAL mode)."""
    return registry.path.is_file() and registry.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _make_results_apart(registry: "Registry", results: Results, items, emit) -> None:  # pragma: no cover - in the child
    """In the child: the items, made on a connection of the child's own, as batches for the parent."""
    cache = registry.conn.execute("PRAGMA cache_size").fetchone()[0]  # the build's, in the parent
    conn = sqlite3.connect(f"{registry.path.resolve().as_uri()}?mode=ro", uri=True,
                           isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA cache_size = {cache}")
    registry._use(conn)
    for batch in results.batches(items):
        emit(batch)


def _delete_results(conn: sqlite3.Connection, table: str, column: str, producer: str) -> None:
    """Delete one producer's rows; all of them at once when the table holds no one else's.

    A DELETE with no WHERE clause empties a table without visiting its rows, so
    rebuilding a resolver's millions of links does not start by removing them one by one.
    """
    table, column = quote(table), quote(column)
    others = conn.execute(
        f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {column} < :p) OR "
        f"EXISTS (SELECT 1 FROM {table} WHERE {column} > :p) OR "
        f"EXISTS (SELECT 1 FROM {table} WHERE {column} IS NULL)",
        {"p": producer},
    ).fetchone()[0]
    conn.execute(f"DELETE FROM {table}" + (f" WHERE {column} = ?" if others else ""),
                 (producer,) if others else ())
