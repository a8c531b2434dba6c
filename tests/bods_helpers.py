"""Shared helpers for the BODS tests: collect files into a fresh registry, export it."""

from __future__ import annotations

import io
import json
from pathlib import Path

from inspect_kit.plugins import get_collectors, get_exporters
from inspect_kit.registry import Registry

REALDATA = Path("/work/shared/realdata/bods")
OWN_FIXTURES = Path(__file__).parent / "fixtures" / "bods"


def realdata_files() -> list[Path]:
    """The official BODS examples in shared/realdata (beside the repository, or in /work)."""
    beside = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "bods"
    folder = beside if beside.exists() else REALDATA
    return sorted(folder.glob("*.json"))


def collect(db_path, *files):
    registry = Registry.open(db_path)
    try:
        report = registry.collect(get_collectors()["bods"], files=files)
    finally:
        registry.close()
    return report


def export(db_path, **options) -> bytes:
    registry = Registry.open(db_path)
    out = io.BytesIO()
    try:
        get_exporters()["bods"].export(registry, out, options)
    finally:
        registry.close()
    return out.getvalue()


def rows(db_path, sql, *params) -> list[dict]:
    registry = Registry.open(db_path)
    try:
        cursor = registry.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]
    finally:
        registry.close()


def write_statements(path: Path, statements) -> Path:
    path.write_text(json.dumps(statements, indent=1))
    return path
