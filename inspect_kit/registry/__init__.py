"""The SQLite registry, split by job behind this facade.

- ``core``: ``Registry``, which opens the file (and the private database beside it)
  and ties the parts together;
- ``schema``: core tables, record tables, history tables and triggers, migrations;
- ``convert``: record -> tuple of SQLite values, by a function generated per class;
- ``sql``: the upsert and update statements;
- ``runs``: what a collector sees while it runs (``Run``) and what it did (``RunReport``);
- ``load``: streaming a collector's items in, snapshots and ends, in one process or two;
- ``results``: build-step results replacing a step's previous ones;
- ``tuning``: batch size, page cache, indexes dropped and built again around a large load.
"""

from .convert import TableWriter
from .core import PRIVATE_DB_ENV, Registry, private_path_for
from .runs import Run, RunReport
from .schema import PROVENANCE_COLUMNS, SCHEMA_VERSION, RegistryError
from .sql import NULL
from .tuning import BATCH_SIZE

__all__ = [
    "BATCH_SIZE",
    "NULL",
    "PRIVATE_DB_ENV",
    "PROVENANCE_COLUMNS",
    "SCHEMA_VERSION",
    "Registry",
    "RegistryError",
    "Run",
    "RunReport",
    "TableWriter",
    "private_path_for",
]
