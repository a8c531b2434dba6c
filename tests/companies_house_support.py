"""Shared bits of the Companies House tests."""

from pathlib import Path

from inspect_kit.plugins import get_collectors
from inspect_kit.registry import Registry

FIXTURES = Path(__file__).parent / "fixtures" / "companies_house"
REALDATA = Path("/work/shared/realdata")


def open_registry(path) -> Registry:
    return Registry.open(path)


def collect(registry, name, files=(), *, base_url=None, cache_dir=None, **options):
    collector = get_collectors()[name]
    return registry.collect(collector, files=files, options=options, base_url=base_url, cache_dir=cache_dir)


def rows(registry, sql, *params):
    cursor = registry.conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def by_id(registry, table):
    return {row["id"]: row for row in rows(registry, f"select * from {table}")}


def dump(registry):
    """Every data table, for 'the registry is unchanged' comparisons."""
    skip = {"collection_runs", "rejected_records", "sqlite_sequence"}
    tables = [t for t in registry.db.table_names() if t not in skip]
    return {t: rows(registry, f"select * from [{t}] order by rowid") for t in tables}
