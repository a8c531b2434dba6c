"""Full-text search over names and addresses, with sqlite-utils.

The FTS tables are created once, with triggers, so that later collection runs
keep them in step; Datasette finds ``<table>_fts`` by itself and shows a search
box on each table.
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from .links import SEARCH_COLUMNS


def enable_search(db_path: str | Path, *, rebuild: bool = False) -> list[str]:
    """Create the missing FTS indexes (or rebuild them all); return the tables changed."""
    db = sqlite_utils.Database(db_path)
    changed = []
    try:
        for table_name, wanted in SEARCH_COLUMNS.items():
            table = db.table(table_name)
            if not table.exists():
                continue
            columns = [c for c in wanted if c in table.columns_dict]
            if not columns:
                continue
            if table.detect_fts():
                if rebuild:
                    table.rebuild_fts()
                    changed.append(table_name)
                continue
            table.enable_fts(columns, create_triggers=True, tokenize="porter")
            changed.append(table_name)
    finally:
        db.close()
    return changed


def search_enabled(db_path: str | Path) -> bool:
    db = sqlite_utils.Database(db_path)
    try:
        return all(
            db.table(t).detect_fts() for t in SEARCH_COLUMNS if db.table(t).exists()
        )
    finally:
        db.close()
