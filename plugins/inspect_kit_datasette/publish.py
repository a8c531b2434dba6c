"""What Datasette shows of the registry: metadata, queries, and the app ``serve`` runs.

The metadata is built from the databases Datasette serves, so ``inspect-kit
serve`` and plain ``datasette registry.db private.db`` show the same: for the
registry, each table's description, columns, facets and label column from its
record class, and its source, licence and attribution from the class's
``__source__`` (derived tables say they are derived); the public canned queries
of every plugin's ``register_queries``. The private database (recognised by its
header, not its name) gets its private tables; private queries are given to
regulators only, by the ``canned_queries`` hook, never in the metadata.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import quote

from datasette.app import Datasette

from inspect_kit.plugins import get_queries, get_tables
from inspect_kit.records import CONTRACT_RECORDS, OGL, OGL_URL

from .databases import private_databases, registry_databases

CONFIDENTIAL_ENV = "INSPECT_KIT_CONFIDENTIAL"
SQL_TIME_LIMIT_MS = 3000
ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0: "
    "Care Quality Commission, Companies House and HM Land Registry data."
)
DERIVED = {"source": "inspect-kit resolvers, scorers and schedulers",
           "attribution": "Derived by inspect-kit from the public registers above."}

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


def record_classes():
    return [*CONTRACT_RECORDS, *get_tables()]


def _table_metadata(record_class) -> dict:
    """Title, description, columns, source, licence, attribution, facets, label and sort of one table."""
    from .links import FACETS, LABEL_COLUMNS, SORT

    table = record_class.__table__
    columns = {c.name: c.description for c in record_class.columns() if c.description}
    meta = {
        "title": table.replace("_", " ").capitalize(),
        "description": record_class.__description__,
        **({"columns": columns} if columns else {}),
        **_source_metadata(record_class),
    }
    if table in FACETS:
        meta["facets"] = FACETS[table]
    if table in LABEL_COLUMNS:
        meta["label_column"] = LABEL_COLUMNS[table]
    if SORT.get(table):
        meta["sort"] = SORT[table]
    return meta


def _source_metadata(record_class) -> dict:
    source = record_class.__source__
    if source is None:
        return {**(DERIVED if record_class.__derived__ else {}), "license": OGL, "license_url": OGL_URL}
    meta = {"source": source.name, "license": source.licence}
    for key, value in (("source_url", source.url), ("license_url", source.licence_url),
                       ("attribution", source.attribution)):
        if value:
            meta[key] = value
    return meta


def confidential_tables() -> list[str]:
    """Private tables (the schedule and its seeds, match decisions, ...), plus tables named in
    ``INSPECT_KIT_CONFIDENTIAL``: never shown to the public in any database."""
    declared = [c.__table__ for c in record_classes() if c.__private__]
    named = [t.strip() for t in os.environ.get(CONFIDENTIAL_ENV, "").split(",") if t.strip()]
    return sorted({*declared, *named})


def query_metadata(query) -> dict:
    return {"sql": query.sql, "title": query.title, "description": query.description}


def build_metadata(datasette) -> dict:
    """The metadata of every database Datasette serves, recomputed when the databases change."""
    names = tuple(datasette.databases)
    cached = getattr(datasette, "_inspect_kit_metadata", None)
    if cached and cached[0] == names:
        return cached[1]
    public_tables, private_tables = {}, {}
    for record_class in record_classes():
        tables = private_tables if record_class.__private__ else public_tables
        tables[record_class.__table__] = _table_metadata(record_class)
        if not record_class.__derived__:
            tables[record_class.__table__ + "_history"] = {
                "description": f"Earlier versions of rows in {record_class.__table__}, with valid_from and valid_to.",
                **_source_metadata(record_class),
            }
    public_tables["collection_runs"] = {"description": "Every collection run: when, from what, and how many rows.",
                                        "attribution": ATTRIBUTION}
    public_tables["rejected_records"] = {
        "description": "Source rows that could not be read: file, line, reason, and their text without "
                       "personal data (the whole text is in the private database).",
        "attribution": ATTRIBUTION}
    private_tables["rejected_raw"] = {"description": "The text of each rejected row, by rejected_records.id."}
    queries = {q.name: query_metadata(q) for q in get_queries().values() if not q.private}
    registries = registry_databases(datasette)
    databases = {
        name: {"tables": public_tables, "queries": queries, "attribution": ATTRIBUTION} for name in registries
    }
    for name in private_databases(datasette):
        databases[name] = {
            "title": "Private: regulators only",
            "description": "Confidential tables: inspection schedules and their seeds, match decisions "
                           "and who made them, rejected rows' text, and what other plugins declare private.",
            "tables": private_tables,
        }
    first = registries[0] if registries else "registry"
    metadata = {
        "title": "inspect-kit: who runs and owns England's care homes",
        "description_html": "<p>Care homes, their operators, the land titles they stand on, the landlords, "
        "and the ownership chains above them, with risk flags explained.</p>"
        + HOW_TO.replace("{database}", quote(first)),
        "license": OGL,
        "license_url": OGL_URL,
        "source": "CQC, Companies House, HM Land Registry",
        "source_url": "https://www.cqc.org.uk/about-us/transparency/using-cqc-data",
        "attribution": ATTRIBUTION,
        "databases": databases,
        "plugins": {
            "inspect-kit": {"confidential": confidential_tables()},
            "datasette-cluster-map": {"latitude_column": "latitude", "longitude_column": "longitude"},
        },
    }
    datasette._inspect_kit_metadata = (names, metadata)
    return metadata


def make_datasette(
    db_path: str | Path,
    *,
    private_path: str | Path | None = None,
    secret: str | None = None,
    search: bool = True,
    **kwargs,
) -> Datasette:
    """A Datasette instance serving the registry and, when it exists, its private database.

    With ``search`` (the default) the full-text indexes are created first when
    they are missing (see ``inspect-kit enable-search``). Everything else (metadata,
    queries, access rules, pages) comes from the plugin's Datasette hooks, exactly
    as under plain ``datasette``.
    """
    from inspect_kit.registry import private_path_for

    from .site import ensure_registered

    ensure_registered()
    path = Path(db_path)
    private = Path(private_path) if private_path else private_path_for(path)
    if search:
        from .search import enable_search

        try:
            enable_search(path)
        except Exception as error:  # a read-only file: serve it without search
            print(f"inspect-kit: search not enabled ({error})", file=sys.stderr)
    files = [str(path)] + ([str(private)] if private.exists() else [])
    return Datasette(
        files,
        settings={"sql_time_limit_ms": SQL_TIME_LIMIT_MS, "facet_time_limit_ms": 500,
                  "allow_download": True},
        secret=secret,
        **kwargs,
    )
