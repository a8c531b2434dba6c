"""The schema: core tables, one table per record class with its history table and trigger."""

from __future__ import annotations

import sqlite3

from ..api import PluginError
from ..records import Record, sql_type
from .sql import quote

SCHEMA_VERSION = 1
# The private database is attached to every registry connection under this name.
PRIVATE_SCHEMA = "private"
# ... and says what it is in its header, so that a site can tell it is private (b"IKPV").
PRIVATE_APPLICATION_ID = 0x494B5056
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
CREATE TABLE IF NOT EXISTS private.rejected_raw (
    id INTEGER PRIMARY KEY,
    run_id INTEGER,
    raw TEXT
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


def unique_tables(classes: list[type[Record]]) -> list[type[Record]]:
    seen: dict[str, type[Record]] = {}
    for record_class in classes:
        other = seen.get(record_class.__table__)
        if other is not None and other is not record_class:
            raise PluginError(
                f"{record_class.__name__} and {other.__name__} both declare table {record_class.__table__!r}"
            )
        seen[record_class.__table__] = record_class
    return list(seen.values())


def schema_of(record_class: type[Record]) -> str:
    """The attached database a record class's table lives in."""
    return PRIVATE_SCHEMA if record_class.__private__ else "main"


def ensure_table(conn: sqlite3.Connection, record_class: type[Record]) -> None:
    """Create or extend a record class's table, its indexes, and (if collected) its history and trigger.

    A private class's tables, indexes and trigger go to the private database; the
    rest of the code names them unqualified, and SQLite finds them there.
    """
    table = record_class.__table__
    schema = schema_of(record_class)
    columns = {c.name: sql_type(c) for c in record_class.columns()}
    if not record_class.__derived__:
        columns.update(PROVENANCE_COLUMNS)
    # The natural key is the primary key, so Datasette links rows by it.
    create_or_extend(conn, table, columns, primary_key=record_class.__key__, schema=schema)
    key = ", ".join(map(quote, record_class.__key__))
    for columns_indexed in record_class.__indexes__:
        name = quote(f"idx_{table}_{'_'.join(columns_indexed)}")
        conn.execute(
            f"CREATE INDEX IF NOT EXISTS {schema}.{name} ON {quote(table)} ({', '.join(map(quote, columns_indexed))})"
        )
    if record_class.__derived__:
        if record_class.__producer__:
            conn.execute(
                f"CREATE INDEX IF NOT EXISTS {schema}.{quote('idx_' + table + '_producer')} "
                f"ON {quote(table)} ({quote(record_class.__producer__)})"
            )
        return
    history = table + "_history"
    create_or_extend(conn, history, {"history_id": "INTEGER PRIMARY KEY", **columns}, schema=schema)
    conn.execute(
        f"CREATE INDEX IF NOT EXISTS {schema}.{quote('idx_' + history + '_key')} ON {quote(history)} ({key})"
    )
    conn.execute(
        f"CREATE INDEX IF NOT EXISTS {schema}.{quote('idx_' + table + '_source_current')} "
        f"ON {quote(table)} (source) WHERE valid_to IS NULL"
    )
    names = list(columns)
    old_values = [
        f"coalesce(old.valid_to, new.valid_from)" if n == "valid_to" else f"old.{quote(n)}"
        for n in names
    ]
    # Replace the trigger so that columns added since are copied too.
    trigger = quote(table + "_keep_history")
    conn.execute(f"DROP TRIGGER IF EXISTS {schema}.{trigger}")
    conn.execute(
        f"CREATE TRIGGER {schema}.{trigger} AFTER UPDATE ON {quote(table)} "
        f"WHEN old.run_id IS NOT new.run_id BEGIN "
        f"INSERT INTO {quote(history)} ({', '.join(map(quote, names))}) "
        f"VALUES ({', '.join(old_values)}); END"
    )


def create_or_extend(conn: sqlite3.Connection, table: str, columns: dict[str, str], primary_key=(),
                     schema: str = "main") -> None:
    existing = {row[1] for row in conn.execute(f"PRAGMA {schema}.table_info({quote(table)})")}
    if not existing:
        body = ", ".join(f"{quote(n)} {t}" for n, t in columns.items())
        if primary_key:
            body += f", PRIMARY KEY ({', '.join(map(quote, primary_key))})"
        conn.execute(f"CREATE TABLE {schema}.{quote(table)} ({body})")
        return
    for name, sql in columns.items():
        if name not in existing:
            conn.execute(f"ALTER TABLE {schema}.{quote(table)} ADD COLUMN {quote(name)} {sql}")


def move_to_private(conn: sqlite3.Connection, record_class: type[Record]) -> None:
    """A registry written before tables were private: move a private class's rows out of it."""
    tables = [record_class.__table__] + ([] if record_class.__derived__ else [record_class.__table__ + "_history"])
    for table in tables:
        old = [row[1] for row in conn.execute(f"PRAGMA main.table_info({quote(table)})")]
        if not old:
            continue
        new = {row[1] for row in conn.execute(f"PRAGMA {PRIVATE_SCHEMA}.table_info({quote(table)})")}
        shared = ", ".join(quote(c) for c in old if c in new)
        conn.execute(f"INSERT OR REPLACE INTO {PRIVATE_SCHEMA}.{quote(table)} ({shared}) "
                     f"SELECT {shared} FROM main.{quote(table)}")
        conn.execute(f"DROP TABLE main.{quote(table)}")
