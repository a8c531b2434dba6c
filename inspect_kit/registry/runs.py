"""Collection runs: what a collector sees while it runs, and what the run did."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..api import PluginError
from ..records import Record

if TYPE_CHECKING:
    from .core import Registry


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


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
    # The saved state read before the collector runs in a child process (see ChildLoad).
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

