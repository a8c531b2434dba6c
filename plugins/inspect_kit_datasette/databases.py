"""Which of the databases Datasette serves is the registry, and which is private.

The private database says so in its file header (SQLite's application id, set
by the registry when it creates the file), so whatever it is called and however
Datasette was started, it is recognised and kept for signed-in regulators.
"""

from __future__ import annotations

import functools
import os

from inspect_kit.registry.schema import PRIVATE_APPLICATION_ID

_APPLICATION_ID_OFFSET = 68  # in the 100-byte SQLite header, big-endian


@functools.lru_cache(maxsize=64)
def _header_says_private(path: str, size: int) -> bool:
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
    except OSError:
        return False
    return len(header) == 100 and int.from_bytes(header[_APPLICATION_ID_OFFSET:_APPLICATION_ID_OFFSET + 4], "big") == PRIVATE_APPLICATION_ID


def is_private(db) -> bool:
    """A Datasette ``Database`` whose file is an inspect-kit private database."""
    if db.is_memory or not db.path:
        return False
    try:
        size = os.path.getsize(db.path)
    except OSError:
        return False
    return _header_says_private(str(db.path), size)


def private_databases(datasette) -> list[str]:
    return [name for name, db in datasette.databases.items() if is_private(db)]


def registry_databases(datasette) -> list[str]:
    """The served files that are not private: the registry (or registries)."""
    return [name for name, db in datasette.databases.items()
            if name != "_internal" and not db.is_memory and not is_private(db)]
