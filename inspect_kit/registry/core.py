"""The Registry: the public registry.db, with the private database beside it.

What public registers publish, and what is derived from it, lives in the
registry file. Tables whose record class is ``__private__`` live in a second
file (``private.db`` beside the registry unless given), attached to every
connection as ``private``: code names them unqualified and SQLite finds them
there, so the public file can be copied and published with nothing to hide.

Every collection run is one transaction: it commits whole or leaves the
registry as it was, whatever kills it. Rows are upserted by natural key in
large ``executemany`` batches; a row that did not change is not touched, so
running the same import twice changes nothing. A changed row's old version moves
to ``<table>_history`` (by trigger) and a row missing from a full snapshot is
ended with ``valid_to``, never deleted.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable

import sqlite_utils

from ..api import Component, PluginError
from ..records import CONTRACT_RECORDS, Record
from . import tuning
from .convert import TableWriter
from .load import Loader
from .results import store_results
from .runs import Run, RunReport, now
from .schema import (CORE_TABLES_SQL, PRIVATE_APPLICATION_ID, PRIVATE_SCHEMA, PROVENANCE_COLUMNS, SCHEMA_VERSION,
                     RegistryError, ensure_table, move_to_private, unique_tables)
from .sql import quote


PRIVATE_DB_ENV = "INSPECT_KIT_PRIVATE_DB"


def private_path_for(path: str | Path) -> Path:
    """Where a registry's private database is: ``INSPECT_KIT_PRIVATE_DB``, else beside it:
    ``private.db`` for ``registry.db``, ``NAME-private.db`` for any other ``NAME.db`` (so two
    registries in one folder never share one)."""
    if os.environ.get(PRIVATE_DB_ENV):
        return Path(os.environ[PRIVATE_DB_ENV])
    if str(path) == ":memory:":
        return Path(":memory:")
    path = Path(path)
    if path.name == "registry.db":
        return path.with_name("private.db")
    return path.with_name(f"{path.stem}-private{path.suffix or '.db'}")


class Registry:
    """The public registry file and its private database, through one connection."""

    def __init__(self, path: str | Path = "registry.db", *, extra_records: Iterable[type[Record]] = (),
                 private_path: str | Path | None = None):
        self.path = Path(path)
        self.private_path = Path(private_path) if private_path else private_path_for(path)
        conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self._use(conn)
        for schema in ("main", PRIVATE_SCHEMA):
            conn.execute(f"PRAGMA {schema}.journal_mode = WAL")
            conn.execute(f"PRAGMA {schema}.synchronous = NORMAL")
        if not conn.execute(f"PRAGMA {PRIVATE_SCHEMA}.application_id").fetchone()[0]:
            conn.execute(f"PRAGMA {PRIVATE_SCHEMA}.application_id = {PRIVATE_APPLICATION_ID}")
        self.record_classes = unique_tables([*CONTRACT_RECORDS, *extra_records])
        self._writers: dict[type[Record], TableWriter] = {}
        self.migrate()

    def _use(self, conn: sqlite3.Connection) -> None:
        """Read and write through this connection, prepared by the plugins."""
        from ..plugins import get_plugin_manager

        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        if PRIVATE_SCHEMA not in {row[1] for row in conn.execute("PRAGMA database_list")}:
            conn.execute(f"ATTACH DATABASE ? AS {PRIVATE_SCHEMA}", (str(self.private_path),))
        get_plugin_manager().hook.prepare_connection(conn=conn)

    @classmethod
    def open(cls, path: str | Path = "registry.db", private_path: str | Path | None = None) -> "Registry":
        """Open with every plugin's tables (``register_tables``)."""
        from ..plugins import get_tables

        return cls(path, extra_records=get_tables(), private_path=private_path)

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
                ensure_table(self.conn, record_class)
                if record_class.__private__:
                    move_to_private(self.conn, record_class)
            self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

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
                    now(),
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
            report = Loader(self, run).load_collector(collector)
            for key, value in run._state_updates.items():
                self.conn.execute(
                    "INSERT OR REPLACE INTO collector_state (collector, key, value, updated_at) "
                    "VALUES (?, ?, ?, ?)",
                    (collector.name, key, json.dumps(value), now()),
                )
            self.conn.execute(
                "UPDATE collection_runs SET finished_at = ?, as_of = ?, records = ?, rejected = ?, "
                "changed = ?, ended = ? WHERE run_id = ?",
                (now(), run.as_of, report.records, report.rejected, report.changed, report.ended, run_id),
            )
        report.seconds = time.perf_counter() - started
        return report

    def large_cache(self, mib: int = 64):
        """A large page cache for a bulk load or a build; the defaults again afterwards."""
        return tuning.large_cache(self.conn, mib)

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
        return store_results(self, component, items, producer)

    # -- reading -----------------------------------------------------------

    def as_of_sql(self, record_class: type[Record], date_param: str = ":as_of") -> str:
        """SQL for a collected table as it stood on a date: current rows and history together."""
        if record_class.__derived__:
            raise RegistryError(f"{record_class.__table__} keeps no history")
        table = record_class.__table__
        columns = ", ".join(map(quote, [*record_class.column_names(), *PROVENANCE_COLUMNS]))
        where = f"valid_from <= {date_param} AND (valid_to IS NULL OR valid_to > {date_param})"
        return (
            f"SELECT {columns} FROM {quote(table)} WHERE {where} "
            f"UNION ALL SELECT {columns} FROM {quote(table + '_history')} WHERE {where}"
        )

    def as_of(self, record_class: type[Record], date: str) -> list[dict]:
        cursor = self.conn.execute(self.as_of_sql(record_class), {"as_of": date})
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]
