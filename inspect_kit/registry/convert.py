"""Value conversion: a record becomes a tuple of SQLite values by a function generated per class."""

from __future__ import annotations

import datetime
import operator
from dataclasses import dataclass
from typing import Any

from ..records import Record
from .sql import BIND, NULL, quote, upsert_sql


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
        table = quote(record_class.__table__)
        if record_class.__derived__:
            placeholders = ", ".join(BIND for _ in names)
            writer.insert_sql = (
                f"INSERT OR REPLACE INTO {table} ({', '.join(map(quote, names))}) "
                f"VALUES ({placeholders})"
            )
        else:
            writer.upsert_sql = upsert_sql(record_class, names)
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
        return upsert_sql(self.record_class, self.columns, (source, run_id, as_of), merge=merge)

    def _compile_convert(self):
        """Generate ``convert(record) -> tuple``: unrolled checks, conversions only where needed."""
        table = self.record_class.__table__
        env: dict[str, Any] = {
            "getter": self.getter,
            "_date": datetime.date,
            "_from_iso": datetime.date.fromisoformat,
            "_fail": conversion_failed,
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


def conversion_failed(converter, value, name):
    """Convert a value that is not already of its column's type, naming the column if it cannot be."""
    try:
        return converter(value)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{name}: {error}") from None


