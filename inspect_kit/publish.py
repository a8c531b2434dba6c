"""Datasette for the registry: metadata, queries, search, privacy and the site plugin.

``make_datasette`` is what ``inspect-kit serve`` runs. It builds the metadata
from the record classes (descriptions, sources, licence, facets, label
columns), publishes every plugin's ``register_queries``, makes sure the
full-text indexes exist, and registers inspect-kit's own Datasette plugin
(``inspect_kit_datasette.site``: links, ownership graphs, renderers, sign-in)
together with ``datasette-cluster-map`` for the map of homes.
"""

from __future__ import annotations

import importlib
import os
from urllib.parse import quote
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
CONFIDENTIAL_ENV = "INSPECT_KIT_CONFIDENTIAL"
SQL_TIME_LIMIT_MS = 3000

# Where each table's rows come from, for the metadata and the attribution line.
SOURCES = {
    "care_homes": ("Care Quality Commission", "https://www.cqc.org.uk/about-us/transparency/using-cqc-data",
                   "Contains CQC data © Care Quality Commission, licensed under the Open Government Licence v3.0."),
    "providers": ("Care Quality Commission", "https://www.cqc.org.uk/about-us/transparency/using-cqc-data",
                  "Contains CQC data © Care Quality Commission, licensed under the Open Government Licence v3.0."),
    "entities": ("Companies House and BODS publishers", "https://find-and-update.company-information.service.gov.uk/",
                 "Contains Companies House data © Crown copyright, licensed under the Open Government Licence v3.0."),
    "relationships": ("Companies House PSC register and BODS publishers",
                      "https://find-and-update.company-information.service.gov.uk/",
                      "Contains Companies House data © Crown copyright, licensed under the Open Government Licence v3.0."),
    "titles": ("HM Land Registry CCOD and OCOD", "https://use-land-property-data.service.gov.uk/",
               "Contains HM Land Registry data © Crown copyright and database right. "
               "This data is licensed under the Open Government Licence v3.0."),
    "title_proprietors": ("HM Land Registry CCOD and OCOD", "https://use-land-property-data.service.gov.uk/",
                          "Contains HM Land Registry data © Crown copyright and database right. "
                          "This data is licensed under the Open Government Licence v3.0."),
}
DERIVED_SOURCE = ("inspect-kit resolvers, scorers and schedulers", None,
                  "Derived by inspect-kit from the public registers above.")

HOW_TO = """
<form action="/{database}/care_homes" method="get" class="ik-find-home">
<p><label for="ik-find-home"><strong>Find a care home</strong> by name, town or postcode:</label>
<input type="search" name="_search" id="ik-find-home" placeholder="e.g. Meadow View" size="30">
<input type="submit" value="Search"></p>
</form>
<p>Find a care home by name with the search box on <a href="/{database}/care_homes"><strong>care homes</strong></a>,
open it, and follow
<em>ownership graph</em>: the operator, the land titles the home stands on, the landlords who own them,
and both ownership chains up to the people, listed companies or public bodies at the top, with risk
flags marked and explained. <a href="/{database}/care_homes?_flag=any">The map of flagged homes</a>
shows where they are. The <a href="/{database}#queries">queries</a> answer area questions:
<a href="/{database}/offshore_landlords_by_local_authority">offshore landlords by local authority</a>,
<a href="/{database}/beds_at_risk_by_local_authority">beds at risk if a group fails</a>, and
<a href="/{database}/ownership_changes">what changed since the last land registry snapshot</a>
(also as an Atom feed).</p>
"""


class _ConnectionHooks:
    """Passes Datasette's connections through inspect-kit's ``prepare_connection``."""

    @staticmethod
    @datasette_hookimpl
    def prepare_connection(conn):
        get_plugin_manager().hook.prepare_connection(conn=conn)


def _register(module_name: str, name: str) -> None:
    """Register a Datasette plugin module once, whether or not its entry point loaded it."""
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return
    if not datasette_pm.is_registered(module) and datasette_pm.get_plugin(name) is None:
        datasette_pm.register(module, name=name)


def _ensure_datasette_plugin():
    if datasette_pm.get_plugin("inspect_kit_connections") is None:
        datasette_pm.register(_ConnectionHooks, name="inspect_kit_connections")
    # The site plugin and the map: loaded here so that tests (where Datasette skips
    # entry points) and a plain 'inspect-kit serve' see the same site.
    _register("datasette_leaflet", "datasette-leaflet")
    _register("datasette_cluster_map", "datasette-cluster-map")
    _register("inspect_kit_datasette.site", "inspect_kit_datasette")


def _table_metadata(record_class) -> dict:
    from inspect_kit_datasette.links import FACETS, LABEL_COLUMNS, SORT

    table = record_class.__table__
    columns = {c.name: c.description for c in record_class.columns() if c.description}
    source, source_url, attribution = SOURCES.get(table, DERIVED_SOURCE if record_class.__derived__ else (None, None, None))
    meta = {
        "title": table.replace("_", " ").capitalize(),
        "description": record_class.__description__,
        **({"columns": columns} if columns else {}),
        "license": LICENSE,
        "license_url": LICENSE_URL,
    }
    if source:
        meta["source"] = source
    if source_url:
        meta["source_url"] = source_url
    if attribution:
        meta["attribution"] = attribution
    if table in FACETS:
        meta["facets"] = FACETS[table]
    if table in LABEL_COLUMNS:
        meta["label_column"] = LABEL_COLUMNS[table]
    if SORT.get(table):
        meta["sort"] = SORT[table]
    return meta


def confidential_tables(extra=()) -> list[str]:
    """Tables whose record class says ``__confidential__`` (the inspection schedule and its
    seeds), plus tables named in ``INSPECT_KIT_CONFIDENTIAL`` or given."""
    declared = [c.__table__ for c in [*CONTRACT_RECORDS, *get_tables()] if c.__confidential__]
    named = [t.strip() for t in os.environ.get(CONFIDENTIAL_ENV, "").split(",") if t.strip()]
    return sorted({*declared, *named, *extra})


def query_metadata(query) -> dict:
    return {"sql": query.sql, "title": query.title, "description": query.description}


def build_metadata(database: str, *, confidential=()) -> dict:
    """Titles, descriptions, sources, licences, facets and canned queries for every table."""
    tables = {}
    for record_class in [*CONTRACT_RECORDS, *get_tables()]:
        tables[record_class.__table__] = _table_metadata(record_class)
        if not record_class.__derived__:
            tables[record_class.__table__ + "_history"] = {
                "description": f"Earlier versions of rows in {record_class.__table__}, with valid_from and valid_to.",
                "license": LICENSE,
                "license_url": LICENSE_URL,
            }
    tables["collection_runs"] = {"description": "Every collection run: when, from what, and how many rows."}
    tables["rejected_records"] = {"description": "Source rows that could not be read, with file, line and reason."}
    all_queries = get_queries().values()
    # Private queries are not metadata (/-/metadata.json is public): the site plugin's
    # canned_queries hook gives them to regulators only.
    queries = {q.name: query_metadata(q) for q in all_queries if not q.private}
    return {
        "title": "inspect-kit: who runs and owns England's care homes",
        "description_html": "<p>Care homes, their operators, the land titles they stand on, the landlords, "
        "and the ownership chains above them, with risk flags explained.</p>"
        + HOW_TO.replace("{database}", quote(database)),
        "license": LICENSE,
        "license_url": LICENSE_URL,
        "source": "CQC, Companies House, HM Land Registry",
        "source_url": "https://www.cqc.org.uk/about-us/transparency/using-cqc-data",
        "databases": {database: {"tables": tables, "queries": queries, "source": ATTRIBUTION}},
        "plugins": {
            "inspect-kit": {
                "confidential": confidential_tables(confidential),
            },
            "datasette-cluster-map": {"latitude_column": "latitude", "longitude_column": "longitude"},
        },
    }


def make_datasette(
    db_path: str | Path,
    *,
    secret: str | None = None,
    search: bool = True,
    confidential=(),
    **kwargs,
) -> Datasette:
    """A Datasette instance serving the registry read-only, with its metadata and plugin.

    With ``search`` (the default) the full-text indexes are created first when
    they are missing (see ``inspect-kit enable-search``).
    """
    _ensure_datasette_plugin()
    path = Path(db_path)
    if search:
        from inspect_kit_datasette.search import enable_search

        try:
            enable_search(path)
        except Exception as error:  # a read-only file: serve it without search
            import sys

            print(f"inspect-kit: search not enabled ({error})", file=sys.stderr)
    return Datasette(
        [str(path)],
        metadata=build_metadata(path.stem, confidential=confidential),
        settings={"sql_time_limit_ms": SQL_TIME_LIMIT_MS, "facet_time_limit_ms": 500,
                  "allow_download": True},
        secret=secret,
        **kwargs,
    )
