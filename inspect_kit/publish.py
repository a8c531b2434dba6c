"""Datasette for the registry: metadata from the record classes, queries from plugins."""

from __future__ import annotations

from pathlib import Path

from datasette import hookimpl as datasette_hookimpl
from datasette.app import Datasette
from datasette.plugins import pm as datasette_pm

from .plugins import get_plugin_manager, get_queries, get_tables
from .records import CONTRACT_RECORDS

LICENSE = "Open Government Licence v3.0"
LICENSE_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0: "
    "Care Quality Commission, Companies House and HM Land Registry data."
)


class _ConnectionHooks:
    """Passes Datasette's connections through inspect-kit's ``prepare_connection``."""

    @staticmethod
    @datasette_hookimpl
    def prepare_connection(conn):
        get_plugin_manager().hook.prepare_connection(conn=conn)


def _ensure_datasette_plugin():
    if datasette_pm.get_plugin("inspect_kit_connections") is None:
        datasette_pm.register(_ConnectionHooks, name="inspect_kit_connections")


def build_metadata(database: str) -> dict:
    """Titles, descriptions, licences and canned queries for every table."""
    tables = {}
    for record_class in [*CONTRACT_RECORDS, *get_tables()]:
        columns = {c.name: c.description for c in record_class.columns() if c.description}
        tables[record_class.__table__] = {
            "description": record_class.__description__,
            **({"columns": columns} if columns else {}),
        }
        if not record_class.__derived__:
            tables[record_class.__table__ + "_history"] = {
                "description": f"Earlier versions of rows in {record_class.__table__}, with valid_from and valid_to.",
            }
    tables["collection_runs"] = {"description": "Every collection run: when, from what, and how many rows."}
    tables["rejected_records"] = {"description": "Source rows that could not be read, with file, line and reason."}
    queries = {
        q.name: {"sql": q.sql, "title": q.title, "description": q.description}
        for q in get_queries().values()
    }
    return {
        "title": "inspect-kit: who runs and owns England's care homes",
        "description": "Care homes, their operators, the land titles they stand on, the landlords, "
        "and the ownership chains above them, with risk flags explained.",
        "license": LICENSE,
        "license_url": LICENSE_URL,
        "source": "CQC, Companies House, HM Land Registry",
        "source_url": "https://www.cqc.org.uk/about-us/transparency/using-cqc-data",
        "databases": {database: {"tables": tables, "queries": queries, "source": ATTRIBUTION}},
    }


def make_datasette(db_path: str | Path, *, secret: str | None = None, **kwargs) -> Datasette:
    """A Datasette instance serving the registry read-only, with its metadata."""
    _ensure_datasette_plugin()
    path = Path(db_path)
    return Datasette(
        [str(path)],
        metadata=build_metadata(path.stem),
        settings={"sql_time_limit_ms": 3000, "facet_time_limit_ms": 500},
        secret=secret,
        **kwargs,
    )
