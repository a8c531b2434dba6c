"""The SQL text of writes: quoting, the upsert that merges only what changed, derived updates.

None travels as an empty bytearray (``NULL``) that the SQL turns back into NULL
(``BIND``), so no row pays for the sqlite3 module's adapter lookup.
"""

from __future__ import annotations

import datetime
import functools

from ..api import PluginError
from ..records import Record


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# A converted row holds this empty bytearray where a value is None, and the SQL turns it
# back into NULL (BIND). The sqlite3 module binds a bytearray as it is, but looks up an
# adapter for every None it binds: a third of a microsecond each, and rows of most
# tables hold a dozen. Records never hold bytes, so no value of theirs is bound as x''.
NULL = bytearray()
BIND = "nullif(?, x'')"



def sql_literal(value) -> str:
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


def upsert_sql(record_class: type[Record], names: list[str], provenance: tuple | None = None,
                merge: bool = True) -> str:
    """Insert, or merge into the current row only when something changed.

    A value the source does not give (None) keeps what the registry knows, so
    two sources that describe the same company do not undo each other.
    """
    table = quote(record_class.__table__)
    key = record_class.__key__
    data = [n for n in names if n not in key]
    all_columns = names + ["source", "run_id", "valid_from"]
    values = [BIND] * len(names) + (
        [sql_literal(v) for v in provenance] if provenance is not None else ["?"] * 3
    )
    placeholders = ", ".join(values)
    insert = f"INSERT INTO {table} ({', '.join(map(quote, all_columns))}) VALUES ({placeholders})"
    if not merge:
        return insert
    sets = [f"{quote(n)} = coalesce(excluded.{quote(n)}, {table}.{quote(n)})" for n in data]
    sets += [
        "source = excluded.source",
        "run_id = excluded.run_id",
        "valid_from = excluded.valid_from",
        "valid_to = NULL",
        "ended_run_id = NULL",
    ]
    changed = [f"{table}.valid_to IS NOT NULL"] + [
        f"(excluded.{quote(n)} IS NOT NULL AND excluded.{quote(n)} IS NOT {table}.{quote(n)})"
        for n in data
    ]
    return (
        f"{insert} ON CONFLICT ({', '.join(map(quote, key))}) DO UPDATE SET {', '.join(sets)} "
        f"WHERE {' OR '.join(changed)}"
    )


@functools.lru_cache(maxsize=None)
def update_sql(record_class: type[Record], columns: tuple[str, ...]) -> str:
    """The UPDATE that sets these columns of one row, once they are known to be derived."""
    allowed = {c.name for c in record_class.columns() if c.derived or record_class.__derived__}
    bad = set(columns) - allowed
    if bad:
        raise PluginError(f"Update of {record_class.__table__} may set only derived columns, not {sorted(bad)}")
    sets = ", ".join(f"{quote(k)} = ?" for k in columns)
    where = " AND ".join(f"{quote(k)} = ?" for k in record_class.__key__)
    return f"UPDATE {quote(record_class.__table__)} SET {sets} WHERE {where}"

