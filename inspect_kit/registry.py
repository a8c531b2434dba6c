"""The SQLite registry: schema, validated upserts, provenance, history, results.

Every collection run is one transaction: it commits whole or leaves the
registry as it was, whatever kills it. Rows are upserted by natural key in
large ``executemany`` batches; a row that did not change is not touched, so
running the same import twice changes nothing. A changed row's old version moves
to ``<table>_history`` (by trigger) and a row missing from a full snapshot is
ended with ``valid_to``, never deleted.

Large loads take faster paths that leave the same registry: a run that writes
a large share of a table builds its secondary indexes after the load (in the
same transaction), a full snapshot keeps the keys it delivered only when
the source has current rows that may need ending, and a bulk-file collector
parses in a child process on a second core while this one writes (see
``_Loader`` and ``_ChildLoad``).
"""

from __future__ import annotations

import datetime
import functools
import gc
import json
import operator
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import sqlite_utils

from .api import Component, PluginError
from .forking import cores, run_forked, worth_forking
from .records import CONTRACT_RECORDS, Ended, Record, Rejected, Update, sql_type

SCHEMA_VERSION = 1
BATCH_SIZE = 10_000
# Columns the core adds to every collected table.
PROVENANCE_COLUMNS = {
    "source": "TEXT",  # the collector that delivered this version
    "run_id": "INTEGER",  # collection_runs.run_id of that delivery
    "valid_from": "TEXT",  # as-of date of the run that delivered it
    "valid_to": "TEXT",  # set when the source stopped saying it; NULL while current
    "ended_run_id": "INTEGER",
}

CORE_TABLES_SQL = """
CREATE TABLE IF NOT EXISTS collection_runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    collector TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    source TEXT,
    as_of TEXT,
    records INTEGER,
    rejected INTEGER,
    changed INTEGER,
    ended INTEGER,
    options TEXT
);
CREATE TABLE IF NOT EXISTS rejected_records (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES collection_runs(run_id),
    source TEXT,
    line INTEGER,
    raw TEXT,
    error TEXT
);
CREATE TABLE IF NOT EXISTS collector_state (
    collector TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT,
    updated_at TEXT,
    PRIMARY KEY (collector, key)
);
CREATE TABLE IF NOT EXISTS build_runs (
    build_id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    steps TEXT
);
"""


class RegistryError(Exception):
    """The registry cannot be used as asked (e.g. it is newer than this inspect-kit)."""


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---------------------------------------------------------------------------
# Validation: record -> tuple of SQLite values
# ---------------------------------------------------------------------------


def _to_date(value):
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        datetime.date.fromisoformat(value)  # raises ValueError with the value in it
        return value
    raise ValueError(f"{value!r} is not a date")


def _to_int(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ValueError(f"{value!r} is not an integer")


def _to_float(value):
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    return float(value)


def _to_bool(value):
    if isinstance(value, bool):
        return int(value)
    if value in (0, 1):
        return value
    raise ValueError(f"{value!r} is not true or false")


def _to_str(value):
    if isinstance(value, str):
        return value
    raise ValueError(f"{value!r} is not text")


_CONVERTERS = {
    str: _to_str,
    int: _to_int,
    float: _to_float,
    bool: _to_bool,
    datetime.date: _to_date,
}


# A converted row holds this empty bytearray where a value is None, and the SQL turns it
# back into NULL (BIND). The sqlite3 module binds a bytearray as it is, but looks up an
# adapter for every None it binds: a third of a microsecond each, and rows of most
# tables hold a dozen. Records never hold bytes, so no value of theirs is bound as x''.
NULL = bytearray()
BIND = "nullif(?, x'')"


@dataclass
class TableWriter:
    """Compiled SQL and converters for one record class.

    ``convert`` is the hot path of every import. It is generated per class (as
    ``dataclasses`` generates ``__init__``): values are read with one
    ``attrgetter`` call, and only the non-text columns whose value is not already
    of the column's type pass through a converter, with no loop and no call for
    the usual case. None becomes ``NULL`` (see ``BIND``). Text columns are bound as they are; a value SQLite cannot
    bind fails the batch as a plugin error.
    """

    record_class: type[Record]
    columns: list[str]  # the columns this writer sets
    checks: list[tuple[int, str, type, Any]]  # (position, name, type kept as is, converter)
    key_positions: list[int]
    getter: Any = None
    upsert_sql: str = ""
    insert_sql: str = ""

    @classmethod
    def for_class(cls, record_class: type[Record]) -> "TableWriter":
        stored = [c for c in record_class.columns() if record_class.__derived__ or not c.derived]
        names = [c.name for c in stored]
        writer = cls(
            record_class,
            names,
            [
                # A date is always converted: an ISO string is checked, a date formatted.
                (i, c.name, None if c.type is datetime.date else c.type, _CONVERTERS[c.type])
                for i, c in enumerate(stored)
                if c.type is not str
            ],
            [names.index(k) for k in record_class.__key__],
            operator.attrgetter(*names) if len(names) > 1 else (lambda r, n=names[0]: (getattr(r, n),)),
        )
        table = _quote(record_class.__table__)
        if record_class.__derived__:
            placeholders = ", ".join(BIND for _ in names)
            writer.insert_sql = (
                f"INSERT OR REPLACE INTO {table} ({', '.join(map(_quote, names))}) "
                f"VALUES ({placeholders})"
            )
        else:
            writer.upsert_sql = _upsert_sql(record_class, names)
        return writer

    def __post_init__(self):
        # The natural key of a converted row, as a tuple (full-snapshot bookkeeping).
        key_getter = operator.itemgetter(*self.key_positions)
        self.key_of = key_getter if len(self.key_positions) > 1 else (lambda row: (key_getter(row),))
        self.convert = self._compile_convert()

    def upsert_sql_for(self, source: str, run_id: int, as_of, *, merge: bool = True) -> str:
        """The upsert with this run's provenance written into it, so rows bind only their own values.

        ``merge=False`` gives the plain INSERT, for a table with nothing to merge into.
        """
        return _upsert_sql(self.record_class, self.columns, (source, run_id, as_of), merge=merge)

    def _compile_convert(self):
        """Generate ``convert(record) -> tuple``: unrolled checks, conversions only where needed."""
        table = self.record_class.__table__
        env: dict[str, Any] = {
            "getter": self.getter,
            "_date": datetime.date,
            "_from_iso": datetime.date.fromisoformat,
            "_fail": _conversion_failed,
            "_null": NULL,
        }
        names = [f"v{i}" for i in range(len(self.columns))]
        body = ["def convert(record):", f"    {', '.join(names)}, = getter(record)"]
        for position, name, kept, converter in self.checks:
            v = f"v{position}"
            env[f"conv{position}"] = converter
            env[f"name{position}"] = f"{table}.{name}"
            if kept is None:  # a date: format a date, check a string (as _to_date does)
                body.append(f"    if {v} is not None:")
                body.append(f"        if type({v}) is str:")
                body.append(f"            try: _from_iso({v})")
                body.append(f"            except ValueError: {v} = _fail(conv{position}, {v}, name{position})")
                body.append(f"        elif type({v}) is _date: {v} = {v}.isoformat()")
                body.append(f"        else: {v} = _fail(conv{position}, {v}, name{position})")
            elif kept is bool:  # stored as 0 or 1; a bool bound as it is would need the module's adapter
                body.append(f"    if {v} is True: {v} = 1")
                body.append(f"    elif {v} is False: {v} = 0")
                body.append(f"    elif {v} is not None and not (type({v}) is int and 0 <= {v} <= 1):")
                body.append(f"        {v} = _fail(conv{position}, {v}, name{position})")
            elif kept is float:  # an integer is a number too
                body.append(f"    if {v} is not None and type({v}) is not float:")
                body.append(f"        {v} = float({v}) if type({v}) is int else _fail(conv{position}, {v}, name{position})")
            else:
                env[f"kept{position}"] = kept
                body.append(f"    if {v} is not None and type({v}) is not kept{position}:")
                body.append(f"        {v} = _fail(conv{position}, {v}, name{position})")
        for position in self.key_positions:
            env[f"keyname{position}"] = f"{table}.{self.columns[position]}"
            body.append(f"    if v{position} is None or v{position} == \"\":")
            body.append(f"        raise ValueError(keyname{position} + \": key is empty\")")
        items = [v if i in self.key_positions else f"_null if {v} is None else {v}" for i, v in enumerate(names)]
        body.append(f"    return ({', '.join(items)},)")
        exec("\n".join(body), env)  # noqa: S102 - generated from column names only, never from data
        return env["convert"]


def _conversion_failed(converter, value, name):
    """Convert a value that is not already of its column's type, naming the column if it cannot be."""
    try:
        return converter(value)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{name}: {error}") from None


def _sql_literal(value) -> str:
    """A constant written into SQL (a run's provenance), quoted safely."""
    if value is None:
        return "NULL"
    if isinstance(value, bool) or not isinstance(value, (int, str, datetime.date)):
        value = str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime.date):
        value = value.isoformat()
    return "'" + value.replace("'", "''") + "'"


def _upsert_sql(record_class: type[Record], names: list[str], provenance: tuple | None = None,
                merge: bool = True) -> str:
    """Insert, or merge into the current row only when something changed.

    A value the source does not give (None) keeps what the registry knows, so
    two sources that describe the same company do not undo each other.
    """
    table = _quote(record_class.__table__)
    key = record_class.__key__
    data = [n for n in names if n not in key]
    all_columns = names + ["source", "run_id", "valid_from"]
    values = [BIND] * len(names) + (
        [_sql_literal(v) for v in provenance] if provenance is not None else ["?"] * 3
    )
    placeholders = ", ".join(values)
    insert = f"INSERT INTO {table} ({', '.join(map(_quote, all_columns))}) VALUES ({placeholders})"
    if not merge:
        return insert
    sets = [f"{_quote(n)} = coalesce(excluded.{_quote(n)}, {table}.{_quote(n)})" for n in data]
    sets += [
        "source = excluded.source",
        "run_id = excluded.run_id",
        "valid_from = excluded.valid_from",
        "valid_to = NULL",
        "ended_run_id = NULL",
    ]
    changed = [f"{table}.valid_to IS NOT NULL"] + [
        f"(excluded.{_quote(n)} IS NOT NULL AND excluded.{_quote(n)} IS NOT {table}.{_quote(n)})"
        for n in data
    ]
    return (
        f"{insert} ON CONFLICT ({', '.join(map(_quote, key))}) DO UPDATE SET {', '.join(sets)} "
        f"WHERE {' OR '.join(changed)}"
    )


# ---------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------


@dataclass
class RunReport:
    run_id: int
    collector: str
    records: int = 0
    rejected: int = 0
    changed: int = 0
    ended: int = 0
    seconds: float = 0.0


@dataclass
class Run:
    """What a collector sees while it runs: its inputs, options, state and the registry."""

    registry: "Registry"
    run_id: int
    collector: str
    files: list[Path] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    base_url: str | None = None
    # The as-of date of what is being read; rows get it as valid_from.
    as_of: str = field(default_factory=lambda: datetime.date.today().isoformat())
    # The file or URL being read now, for rejected_records.
    source: str | None = None
    cache_dir: Path | None = None
    show_progress: bool = False
    snapshot_classes: set = field(default_factory=set)
    _state_updates: dict[str, Any] = field(default_factory=dict)
    # The saved state read before the collector runs in a child process (see _ChildLoad).
    _saved_state: dict[str, Any] | None = None

    def full_snapshot(self, *record_classes: type[Record]) -> None:
        """Declare that this run delivers every current row of these tables for this source.

        Call it before yielding the first record. Rows this source delivered before
        and does not deliver now are then ended, not deleted.
        """
        for record_class in record_classes:
            if record_class.__derived__:
                raise PluginError(f"{record_class.__table__} is derived: it has no snapshots")
            self.snapshot_classes.add(record_class)

    def get_state(self, key: str, default=None):
        """A value this collector saved in an earlier successful run (e.g. a sync timestamp)."""
        if key in self._state_updates:
            return self._state_updates[key]
        if self._saved_state is not None:
            return self._saved_state.get(key, default)
        row = self.registry.conn.execute(
            "SELECT value FROM collector_state WHERE collector = ? AND key = ?",
            (self.collector, key),
        ).fetchone()
        return json.loads(row[0]) if row else default

    def set_state(self, key: str, value) -> None:
        """Save a value for the next run; kept only if this run commits."""
        self._state_updates[key] = value

    def progress(self, iterable=None, **kwargs):
        """A tqdm progress bar on stderr, shown when the CLI asks for progress.

        With no bar to show, an iterable comes back as it is: a disabled bar still
        costs a generator step for each of millions of rows.
        """
        from tqdm import tqdm

        kwargs.setdefault("disable", not self.show_progress)
        if iterable is not None and kwargs["disable"]:
            return iterable
        kwargs.setdefault("leave", False)
        kwargs.setdefault("dynamic_ncols", True)
        return tqdm(iterable, **kwargs)


# ---------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------


class Registry:
    """One SQLite file holding every table of the data contract and more."""

    def __init__(self, path: str | Path = "registry.db", *, extra_records: Iterable[type[Record]] = ()):
        self.path = Path(path)
        conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        self._use(conn)
        self.record_classes = _unique_tables([*CONTRACT_RECORDS, *extra_records])
        self._writers: dict[type[Record], TableWriter] = {}
        self.migrate()

    def _use(self, conn: sqlite3.Connection) -> None:
        """Read and write through this connection, prepared by the plugins."""
        from .plugins import get_plugin_manager

        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        get_plugin_manager().hook.prepare_connection(conn=conn)

    @classmethod
    def open(cls, path: str | Path = "registry.db") -> "Registry":
        """Open with every plugin's tables (``register_tables``)."""
        from .plugins import get_tables

        return cls(path, extra_records=get_tables())

    def close(self):
        self.conn.close()

    # -- schema ------------------------------------------------------------

    def migrate(self) -> None:
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RegistryError(
                f"{self.path} was written by a newer inspect-kit (schema {version}; "
                f"this one knows up to {SCHEMA_VERSION}). Upgrade inspect-kit to open it."
            )
        with self.transaction():
            for statement in CORE_TABLES_SQL.split(";"):
                if statement.strip():
                    self.conn.execute(statement)
            for record_class in self.record_classes:
                self._ensure_table(record_class)
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _ensure_table(self, record_class: type[Record]) -> None:
        table = record_class.__table__
        columns = {c.name: sql_type(c) for c in record_class.columns()}
        if not record_class.__derived__:
            columns.update(PROVENANCE_COLUMNS)
        # The natural key is the primary key, so Datasette links rows by it.
        self._create_or_extend(table, columns, primary_key=record_class.__key__)
        key = ", ".join(map(_quote, record_class.__key__))
        for columns_indexed in record_class.__indexes__:
            name = _quote(f"idx_{table}_{'_'.join(columns_indexed)}")
            self.conn.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {_quote(table)} ({', '.join(map(_quote, columns_indexed))})"
            )
        if record_class.__derived__:
            if record_class.__producer__:
                self.conn.execute(
                    f"CREATE INDEX IF NOT EXISTS {_quote('idx_' + table + '_producer')} "
                    f"ON {_quote(table)} ({_quote(record_class.__producer__)})"
                )
            return
        history = table + "_history"
        self._create_or_extend(history, {"history_id": "INTEGER PRIMARY KEY", **columns})
        self.conn.execute(
            f"CREATE INDEX IF NOT EXISTS {_quote('idx_' + history + '_key')} ON {_quote(history)} ({key})"
        )
        self.conn.execute(
            f"CREATE INDEX IF NOT EXISTS {_quote('idx_' + table + '_source_current')} "
            f"ON {_quote(table)} (source) WHERE valid_to IS NULL"
        )
        names = list(columns)
        old_values = [
            f"coalesce(old.valid_to, new.valid_from)" if n == "valid_to" else f"old.{_quote(n)}"
            for n in names
        ]
        # Replace the trigger so that columns added since are copied too.
        trigger = _quote(table + "_keep_history")
        self.conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        self.conn.execute(
            f"CREATE TRIGGER {trigger} AFTER UPDATE ON {_quote(table)} "
            f"WHEN old.run_id IS NOT new.run_id BEGIN "
            f"INSERT INTO {_quote(history)} ({', '.join(map(_quote, names))}) "
            f"VALUES ({', '.join(old_values)}); END"
        )

    def _create_or_extend(self, table: str, columns: dict[str, str], primary_key=()) -> None:
        existing = {row[1] for row in self.conn.execute(f"PRAGMA table_info({_quote(table)})")}
        if not existing:
            body = ", ".join(f"{_quote(n)} {t}" for n, t in columns.items())
            if primary_key:
                body += f", PRIMARY KEY ({', '.join(map(_quote, primary_key))})"
            self.conn.execute(f"CREATE TABLE {_quote(table)} ({body})")
            return
        for name, sql in columns.items():
            if name not in existing:
                self.conn.execute(f"ALTER TABLE {_quote(table)} ADD COLUMN {_quote(name)} {sql}")

    def writer(self, record_class: type[Record]) -> TableWriter:
        writer = self._writers.get(record_class)
        if writer is None:
            if record_class not in self.record_classes:
                raise PluginError(
                    f"{record_class.__name__} ({record_class.__table__}) is not a registered table: "
                    "declare it with the register_tables hook"
                )
            writer = self._writers[record_class] = TableWriter.for_class(record_class)
        return writer

    @contextmanager
    def transaction(self):
        """One write transaction; rolled back on any exception, Ctrl-C included."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- collection --------------------------------------------------------

    def collect(
        self,
        collector,
        *,
        files: Iterable[str | Path] = (),
        options: dict[str, Any] | None = None,
        base_url: str | None = None,
        cache_dir: str | Path | None = None,
        show_progress: bool = False,
    ) -> RunReport:
        """Run one collector in one transaction and return what it did."""
        started = time.perf_counter()
        files = [Path(f) for f in files]
        with self.transaction(), self.large_cache():
            run_id = self.conn.execute(
                "INSERT INTO collection_runs (collector, started_at, source, options) VALUES (?, ?, ?, ?)",
                (
                    collector.name,
                    _now(),
                    ", ".join(f.name for f in files) or base_url,
                    json.dumps(options or {}, default=str, sort_keys=True),
                ),
            ).lastrowid
            run = Run(
                registry=self,
                run_id=run_id,
                collector=collector.name,
                files=files,
                options=dict(options or {}),
                base_url=base_url,
                source=", ".join(str(f) for f in files) or base_url,
                cache_dir=Path(cache_dir) if cache_dir else None,
                show_progress=show_progress,
            )
            report = _Loader(self, run).load_collector(collector)
            for key, value in run._state_updates.items():
                self.conn.execute(
                    "INSERT OR REPLACE INTO collector_state (collector, key, value, updated_at) "
                    "VALUES (?, ?, ?, ?)",
                    (collector.name, key, json.dumps(value), _now()),
                )
            self.conn.execute(
                "UPDATE collection_runs SET finished_at = ?, as_of = ?, records = ?, rejected = ?, "
                "changed = ?, ended = ? WHERE run_id = ?",
                (_now(), run.as_of, report.records, report.rejected, report.changed, report.ended, run_id),
            )
        report.seconds = time.perf_counter() - started
        return report

    @contextmanager
    def large_cache(self, mib: int = 64):
        """A large page cache for a bulk load or a build; the defaults again afterwards.

        SQLite takes the pages only as it reads them, so a small registry never
        uses what a national one needs.
        """
        previous = self.conn.execute("PRAGMA cache_size").fetchone()[0]
        previous_temp = self.conn.execute("PRAGMA temp.cache_size").fetchone()[0]
        self.conn.execute(f"PRAGMA cache_size = {-1024 * int(mib)}")
        # The snapshot's delivered keys (a temp table) stay in memory up to 32 MiB, then spill to disk.
        self.conn.execute("PRAGMA temp.cache_size = -32768")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA cache_size = {previous}")
            self.conn.execute(f"PRAGMA temp.cache_size = {previous_temp}")

    # -- build results -----------------------------------------------------

    def derived_classes(self) -> list[type[Record]]:
        return [c for c in self.record_classes if c.__derived__]

    def store_results(self, component: Component, items: Iterable[Any], producer: str | None = None) -> int:
        """Replace a resolver's, scorer's or scheduler's previous results with new ones.

        Call inside a transaction. Rows and ``Update``s are written in batches as
        the items come, and every batch is written before this returns. Returns
        the number of rows stored and updated.

        A component that reads no other step's results (``reads_results = False``)
        makes its items in a forked child process, reading the registry as it was
        committed, while this process writes (``forking.run_forked``).
        """
        producer = producer or component.name
        for record_class in self.derived_classes():
            if record_class.__producer__:
                self._delete_results(record_class.__table__, record_class.__producer__, producer)
        results = _Results(self, component, producer)
        if worth_forking(not getattr(component, "reads_results", True) and self._readable_apart()):
            run_forked(lambda emit: self._make_results_apart(results, items, emit), results.write,
                       who=f"{component.kind} {component.name!r}")
        else:
            for batch in results.batches(items):
                results.write(batch)
        return results.finish()

    def _readable_apart(self) -> bool:
        """Whether another connection can read this registry while this one writes (a file in WAL mode)."""
        return self.path.is_file() and self.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    def _make_results_apart(self, results: "_Results", items, emit) -> None:  # pragma: no cover - in the child
        """In the child: the items, made on a connection of the child's own, as batches for the parent."""
        cache = self.conn.execute("PRAGMA cache_size").fetchone()[0]  # the build's, in the parent
        conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                               isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA cache_size = {cache}")
        self._use(conn)
        for batch in results.batches(items):
            emit(batch)

    def _delete_results(self, table: str, column: str, producer: str) -> None:
        """Delete one producer's rows; all of them at once when the table holds no one else's.

        A DELETE with no WHERE clause empties a table without visiting its rows, so
        rebuilding a resolver's millions of links does not start by removing them one by one.
        """
        table, column = _quote(table), _quote(column)
        others = self.conn.execute(
            f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {column} < :p) OR "
            f"EXISTS (SELECT 1 FROM {table} WHERE {column} > :p) OR "
            f"EXISTS (SELECT 1 FROM {table} WHERE {column} IS NULL)",
            {"p": producer},
        ).fetchone()[0]
        self.conn.execute(f"DELETE FROM {table}" + (f" WHERE {column} = ?" if others else ""),
                          (producer,) if others else ())

    # -- reading -----------------------------------------------------------

    def as_of_sql(self, record_class: type[Record], date_param: str = ":as_of") -> str:
        """SQL for a collected table as it stood on a date: current rows and history together."""
        if record_class.__derived__:
            raise RegistryError(f"{record_class.__table__} keeps no history")
        table = record_class.__table__
        columns = ", ".join(map(_quote, [*record_class.column_names(), *PROVENANCE_COLUMNS]))
        where = f"valid_from <= {date_param} AND (valid_to IS NULL OR valid_to > {date_param})"
        return (
            f"SELECT {columns} FROM {_quote(table)} WHERE {where} "
            f"UNION ALL SELECT {columns} FROM {_quote(table + '_history')} WHERE {where}"
        )

    def as_of(self, record_class: type[Record], date: str) -> list[dict]:
        cursor = self.conn.execute(self.as_of_sql(record_class), {"as_of": date})
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]


class _Results:
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
                sql = _update_sql(item.record_class, columns)
                target = (item.record_class.__table__, columns)
                row = (*item.values.values(), *(item.key[k] for k in item.record_class.__key__))
            else:
                sql, target, row = self._insert(item)
            entry = pending.get(sql)
            if entry is None:
                entry = pending[sql] = (target, [])
            entry[1].append(row)
            if len(entry[1]) >= BATCH_SIZE:
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
            if len(rows) >= BATCH_SIZE and (
                columns is not None or conn.execute(f"SELECT 1 FROM {_quote(table)} LIMIT 1").fetchone() is None
            ):
                self.rebuild += _drop_secondary_indexes(conn, table, columns)
        conn.executemany(sql, rows)
        self.stored += len(rows)

    def finish(self) -> int:
        _build_indexes(self.registry.conn, self.rebuild)
        return self.stored


def _build_indexes(conn: sqlite3.Connection, statements) -> None:
    """Build again the indexes dropped for a large load, with SQLite's sorter in worker threads.

    It shares out only a sort it makes in pieces, and a piece is as large as the
    page cache: a small cache while the indexes build makes pieces. Measured on
    two cores: 1M CCOD rows' six indexes in 3.3 s instead of 4.0 s; two national
    indexes (14M rows) in 17 s instead of 21 s. With nothing to build, the cache
    is left alone.
    """
    statements = list(statements)
    threads = min(4, cores())
    if not statements or threads < 2:
        for sql in statements:
            conn.execute(sql)
        return
    cache, previous = (conn.execute(f"PRAGMA {name}").fetchone()[0] for name in ("cache_size", "threads"))
    conn.execute(f"PRAGMA threads = {threads}")
    conn.execute("PRAGMA cache_size = -4096")
    try:
        for sql in statements:
            conn.execute(sql)
    finally:
        conn.execute(f"PRAGMA cache_size = {cache}")
        conn.execute(f"PRAGMA threads = {previous}")


def _drop_secondary_indexes(conn: sqlite3.Connection, table: str, columns=None) -> list[str]:
    """Drop a table's secondary indexes (those on ``columns``, if given) before a large load.

    Returns the SQL that builds them again: building an index once over the loaded
    rows (sorted) is much faster than keeping it up to date row by row. Call inside
    the load's transaction: a failed or killed load leaves them as they were.
    Unique indexes are kept, so that they still refuse what they refuse.
    """
    unique = {row[1] for row in conn.execute(f"PRAGMA index_list({_quote(table)})") if row[2]}
    dropped = []
    for index, sql in conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        (table,),
    ).fetchall():
        if index in unique:
            continue
        if columns is not None:
            indexed = {row[2] for row in conn.execute(f"PRAGMA index_info({_quote(index)})")}
            if not indexed & set(columns):
                continue
        conn.execute(f"DROP INDEX {_quote(index)}")
        dropped.append(sql)
    return dropped


@functools.lru_cache(maxsize=None)
def _update_sql(record_class: type[Record], columns: tuple[str, ...]) -> str:
    """The UPDATE that sets these columns of one row, once they are known to be derived."""
    allowed = {c.name for c in record_class.columns() if c.derived or record_class.__derived__}
    bad = set(columns) - allowed
    if bad:
        raise PluginError(f"Update of {record_class.__table__} may set only derived columns, not {sorted(bad)}")
    sets = ", ".join(f"{_quote(k)} = ?" for k in columns)
    where = " AND ".join(f"{_quote(k)} = ?" for k in record_class.__key__)
    return f"UPDATE {_quote(record_class.__table__)} SET {sets} WHERE {where}"


def _unique_tables(classes: list[type[Record]]) -> list[type[Record]]:
    seen: dict[str, type[Record]] = {}
    for record_class in classes:
        other = seen.get(record_class.__table__)
        if other is not None and other is not record_class:
            raise PluginError(
                f"{record_class.__name__} and {other.__name__} both declare table {record_class.__table__!r}"
            )
        seen[record_class.__table__] = record_class
    return list(seen.values())


class _Batcher:
    """The front half of a load: items -> converted rows in batches, rejects, ends.

    It never touches the connection; what it produces goes to ``emit`` as
    operations (``"rows"``, ``"rejects"``, ``"end"``, ``"run"``) that a ``_Loader``
    applies in order. The two halves run in one process, or the batcher runs in a
    child process with the collector (see ``_ChildLoad``).
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
        batch_size = BATCH_SIZE
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
            self._reject(item.source or self.run.source, item.line, item.raw, item.error)
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

    def _reject(self, source, line, raw, error) -> None:
        self.rejects.append((self.run.run_id, source, line, raw, error))
        if len(self.rejects) >= BATCH_SIZE:
            self._send_rejects()

    def _send_rejects(self) -> None:
        if self.rejects:
            self.emit(("rejects", self.rejects))
            self.rejects = []


class _TableLoad:
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


class _Loader:
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
    half of the load (``_Batcher``) in a forked child process, which pipes
    batches of rows to this process; here only SQLite works (``_ChildLoad``).
    """

    def __init__(self, registry: Registry, run: Run):
        self.registry = registry
        self.conn = registry.conn
        self.run = run
        self.tables: dict[type[Record], _TableLoad] = {}
        self.report = RunReport(run.run_id, run.collector)

    def load(self, items) -> RunReport:
        _Batcher(self.run, self.registry.writer, self.apply).feed(items)
        return self.finish()

    def load_collector(self, collector) -> RunReport:
        """Run the collector here, or in a child process when it can and it pays."""
        with _no_cycle_collection():
            if _ChildLoad.suits(collector):
                _ChildLoad(self, collector).run()
                return self.finish()
            return self.load(collector.collect(self.run))

    def finish(self) -> RunReport:
        for table in self.tables.values():
            self._restore_indexes(table)
        self._end_missing()
        return self.report

    def apply(self, operation: tuple) -> None:
        """Carry out one operation of a ``_Batcher``, in the order it was made."""
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

    def _table(self, record_class: type[Record]) -> _TableLoad:
        table = self.tables.get(record_class)
        if table is None:
            table = self.tables[record_class] = _TableLoad(self.registry.writer(record_class))
        return table

    def _start(self, table: _TableLoad) -> None:
        """Before the first write to a table: what is there, and what must be tracked."""
        record_class = table.writer.record_class
        name = _quote(record_class.__table__)
        table.started = True
        table.rows_at_start = self.conn.execute(f"SELECT max(rowid) FROM {name}").fetchone()[0] or 0
        table.merge = table.rows_at_start > 0
        table.snapshot = record_class in self.run.snapshot_classes
        if table.snapshot and self.conn.execute(
            f"SELECT 1 FROM {name} WHERE source = ? AND valid_to IS NULL LIMIT 1", (self.run.collector,)
        ).fetchone():
            # Rows this source delivered before may be missing now: remember what is delivered.
            table.seen = f"temp.{_quote('seen_' + record_class.__table__)}"
            key = ", ".join(map(_quote, record_class.__key__))
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
            and len(batch) >= BATCH_SIZE
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

    def _execute(self, table: _TableLoad, batch: list[tuple]) -> int:
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

    def _remember_keys(self, table: _TableLoad, batch: list[tuple]) -> None:
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

    def _defer_indexes(self, table: _TableLoad) -> None:
        """Drop the secondary indexes now and build them once after the load (sorted, much faster)."""
        table.deferred_indexes = _drop_secondary_indexes(self.conn, table.writer.record_class.__table__)

    def _restore_indexes(self, table: _TableLoad) -> None:
        _build_indexes(self.conn, table.deferred_indexes or ())
        table.deferred_indexes = None

    def _write_rejects(self, rejects: list[tuple]) -> None:
        self.conn.executemany(
            "INSERT INTO rejected_records (run_id, source, line, raw, error) VALUES (?, ?, ?, ?, ?)",
            rejects,
        )
        self.report.rejected += len(rejects)

    def _end(self, item: Ended) -> None:
        record_class = item.record_class
        where = " AND ".join(f"{_quote(k)} = ?" for k in record_class.__key__)
        try:
            key = [item.key[k] for k in record_class.__key__]
        except KeyError as missing:
            self._write_rejects([(self.run.run_id, self.run.source, item.line,
                                  json.dumps(item.key, default=str), f"end: key {missing} missing")])
            return
        cursor = self.conn.execute(
            f"UPDATE {_quote(record_class.__table__)} SET valid_to = ?, ended_run_id = ? "
            f"WHERE {where} AND valid_to IS NULL",
            [item.on or self.run.as_of, self.run.run_id, *key],
        )
        self.report.ended += cursor.rowcount

    def _end_missing(self) -> None:
        """End the rows of each full snapshot that this run did not deliver."""
        for record_class in self.run.snapshot_classes:
            table = self.tables.get(record_class)
            name = _quote(record_class.__table__)
            where = "valid_to IS NULL AND source = ?"
            if table is not None and table.started:
                if not table.snapshot:
                    raise PluginError(
                        f"collector {self.run.collector!r} declared a full snapshot of {record_class.__table__} "
                        "after yielding its first records: call run.full_snapshot() before"
                    )
                if table.seen is None:
                    continue  # the source had no current rows here before this run: all were delivered
                match = " AND ".join(f"s.{_quote(k)} = {name}.{_quote(k)}" for k in record_class.__key__)
                where += f" AND NOT EXISTS (SELECT 1 FROM {table.seen} s WHERE {match})"
            cursor = self.conn.execute(
                f"UPDATE {name} SET valid_to = ?, ended_run_id = ? WHERE {where}",
                (self.run.as_of, self.run.run_id, self.run.collector),
            )
            self.report.ended += cursor.rowcount
            if table is not None and table.seen:
                self.conn.execute(f"DROP TABLE {table.seen}")


@contextmanager
def _no_cycle_collection():
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


class _NoRegistry:
    """What ``run.registry`` is in a child process: a collector that said it does not read it, may not."""

    def __getattr__(self, name):
        raise PluginError(
            "this collector declared reads_registry = False and runs in a child process: "
            "it cannot use run.registry"
        )


class _ChildLoad:
    """Run a collector and the converting half of the load in a forked child process.

    The child pickles batches of converted rows (and rejects, ends, run changes)
    into a pipe; this process unpickles them and does the SQLite work, so that
    parsing and writing overlap on two cores (``forking.run_forked``). The pipe
    is bounded by the operating system, so a child that is ahead waits: memory
    stays flat. Only for collectors that do not read the registry while they run
    (``reads_registry = False``).
    """

    def __init__(self, loader: _Loader, collector):
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

        run.registry = _NoRegistry()
        _Batcher(run, self.loader.registry.writer, send).feed(self.collector.collect(run))
        return run.as_of, run.source, frozenset(positions[c] for c in run.snapshot_classes), run._state_updates
