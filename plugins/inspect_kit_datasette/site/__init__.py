"""The Datasette side of inspect-kit: metadata, links, graphs, renderers, sign-in and privacy.

Registered through the ``datasette`` entry point, so plain ``datasette
registry.db private.db`` applies the same rules as ``inspect-kit serve`` (which
also registers it by ``ensure_registered``, for tests, where Datasette skips
entry points). Every string from the registry is escaped before it reaches a
page: a company called ``<script>`` is shown as text.
"""

from __future__ import annotations

import importlib
import json
import sqlite3
from urllib.parse import quote, unquote

from datasette import hookimpl
from datasette.plugins import pm
from datasette.filters import FilterArguments
from datasette.utils import tilde_encode
from datasette.utils.asgi import Forbidden, NotFound, Response
from markupsafe import Markup, escape

from .. import access, safety, sign_in
from ..databases import is_private, private_databases, registry_databases
from ..graph import entity_graph, home_graph
from ..links import FLAG_SUBJECTS, FOLD_AFTER, GRAPH_LINKS, LABEL_COLUMNS, LINKS, LIST_COLUMNS, LIST_LINKS
from ..renderers import can_render_atom, can_render_bods, render_atom, render_bods
from ..svg import render_svg

# On a home's or an entity's own row: links to the rows that point at it.
RELATED = {
    "home": [("titles", "care_home_titles", "location_id"), ("flags", "risk_flags", "subject_id")],
    "entity": [
        ("owners", "relationships", "subject_id"),
        ("owns", "relationships", "interested_party_id"),
        ("titles held", "title_proprietors", "entity_id"),
        ("flags", "risk_flags", "subject_id"),
    ],
}

# Name columns that carry the link to their row's ownership graph.
NAME_GRAPH_LINKS = {"care_homes": ("location_id", "home")}

# Columns of query results (no table) that still name a home or an entity.
QUERY_LINKS = {
    "location_id": ("care_homes", "location_id"),
    "entity_id": ("entities", "id"),
    "owner_id": ("entities", "id"),
    "landlord_id": ("entities", "id"),
    "group_id": ("entities", "id"),
    "title_number": ("titles", "title_number"),
    "filing_id": ("accounts_filings", "filing_id"),
}


def registry_database(datasette) -> str:
    """The database holding the public registry: the first file that is not private."""
    names = registry_databases(datasette)
    if not names:
        raise NotFound("No registry database is attached")
    return names[0]


def ensure_registered() -> None:
    """Register this plugin and the map once, whether or not their entry points loaded them."""
    for module_name, name in (("datasette_leaflet", "datasette-leaflet"),
                              ("datasette_cluster_map", "datasette-cluster-map"),
                              (__name__, "inspect_kit_datasette")):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if not pm.is_registered(module) and pm.get_plugin(name) is None:
            pm.register(module, name=name)


def graph_url(datasette, kind: str, key: str) -> str:
    return datasette.urls.path(f"/-/ownership/{kind}/{quote(str(key), safe='')}")


def _key_columns(table: str) -> tuple[str, ...]:
    from inspect_kit.plugins import get_tables
    from inspect_kit.records import CONTRACT_RECORDS

    for record_class in (*CONTRACT_RECORDS, *get_tables()):
        if record_class.__table__ == table:
            return record_class.__key__
    return ()


def row_url_factory(datasette, database: str):
    """row_url(table, key values) -> the Datasette row page: the natural key is the primary key."""

    def row_url(table: str, key: tuple) -> str:
        columns = _key_columns(table)
        if not columns or len(columns) != len(key):
            return datasette.urls.table(database, table)
        return datasette.urls.row(database, table, ",".join(tilde_encode(str(v)) for v in key))

    return row_url


# --- cells ------------------------------------------------------------------------


def _list_cell(value, column, database, datasette):
    """A query's list column: key items linked, long lists folded behind their first few."""
    items = [item.strip() for item in value.split(LIST_COLUMNS[column]) if item.strip()]
    target = LIST_LINKS.get(column)
    if target:
        shown = [Markup('<a href="{}">{}</a>').format(datasette.urls.row(database, target, tilde_encode(i)), i)
                 for i in items]
    else:
        shown = [escape(i) for i in items]
    text = Markup(", ").join(shown)
    if len(items) <= FOLD_AFTER:
        return text if target else None
    first = Markup(", ").join(shown[:3])
    return Markup('<details class="ik-list"><summary>{}, … ({} in all)</summary>{}</details>').format(
        first, len(items), text
    )


@hookimpl
def render_cell(row, value, column, table, database, datasette, request=None):
    if not isinstance(value, str) or not value:
        return None
    if table is None and column in LIST_COLUMNS:
        return _list_cell(value, column, database, datasette)
    on_row_page = request is not None and "pks" in (request.url_vars or {})
    if column == "name" and table in NAME_GRAPH_LINKS and not on_row_page:
        # Datasette draws the key column of a table page itself (no render_cell), so the
        # graph link of a search result sits next to its name: one click from the search.
        key_column, kind = NAME_GRAPH_LINKS[table]
        key = _row_value(row, key_column)
        if key:
            return Markup('{} <a class="ik-graph-link" href="{}" title="Ownership graph">ownership&nbsp;graph</a>').format(
                value, graph_url(datasette, kind, key)
            )
    target = LINKS.get((table, column))
    if table == "risk_flags" and column == "subject_id":
        target = FLAG_SUBJECTS.get(_row_value(row, "subject_type"))
    if table is None and column in QUERY_LINKS:
        target = QUERY_LINKS[column]
    graph_kind = GRAPH_LINKS.get((table, column)) or GRAPH_LINKS.get(target or ("", ""))
    if target is None and graph_kind is None:
        return None
    if target is not None and target[0].lower() in access.confidential_tables(datasette):
        target = None  # no labels from a table the public may not see

    async def linked():
        html = escape(value)
        found = None
        if target is not None:
            target_table, key_column = target
            label_column = LABEL_COLUMNS.get(target_table)
            db = datasette.get_database(database)
            select = f"select 1{', [' + label_column + ']' if label_column else ''} from [{target_table}] where [{key_column}] = ? limit 1"
            try:
                found = (await db.execute(select, [value])).first()
            except Exception:
                found = None
            if found is not None:
                if _key_columns(target_table) == (key_column,):
                    href = datasette.urls.row(database, target_table, tilde_encode(value))
                else:
                    href = f"{datasette.urls.table(database, target_table)}?{key_column}={quote(value, safe='')}"
                html = Markup('<a href="{}">{}</a>').format(href, value)
                if label_column and found[1] and found[1] != value:
                    html += Markup(' <span class="ik-label">{}</span>').format(found[1])
        if graph_kind and (found is not None or (table, column) in GRAPH_LINKS):
            html += Markup(' <a class="ik-graph-link" href="{}" title="Ownership graph">ownership&nbsp;graph</a>').format(
                graph_url(datasette, graph_kind, value)
            )
        if table is not None and (table, column) in GRAPH_LINKS:
            for label, related, related_column in RELATED[graph_kind]:
                href = f"{datasette.urls.table(database, related)}?{related_column}={quote(value, safe='')}"
                html += Markup(' · <a class="ik-related" href="{}">{}</a>').format(href, label)
        return html

    return linked


def _row_value(row, column):
    try:
        return row[column]
    except (KeyError, IndexError, TypeError):
        return None


# --- filters: ?_flag=offshore_landlord (or ?_flag=any) on homes, providers, entities, titles


@hookimpl
def filters_from_request(request, database, table, datasette):
    flag = request.args.get("_flag")
    subject_type = {target: st for st, (target, _) in FLAG_SUBJECTS.items()}.get(table)
    if not flag or subject_type is None:
        return None
    key_column = FLAG_SUBJECTS[subject_type][1]
    where = f"[{key_column}] in (select subject_id from risk_flags where subject_type = :ik_subject_type"
    params = {"ik_subject_type": subject_type}
    if flag != "any":
        where += " and flag = :ik_flag"
        params["ik_flag"] = flag
    return FilterArguments(
        [where + ")"],
        params=params,
        human_descriptions=["a risk flag is raised" if flag == "any" else f'the flag "{flag}" is raised'],
    )


# --- pages ------------------------------------------------------------------------


async def ownership_page(request, datasette):
    kind = request.url_vars["kind"]
    key = unquote(request.url_vars["key"])
    database = registry_database(datasette)
    await datasette.ensure_permissions(request.actor, [("view-database", database), "view-instance"])
    hidden = frozenset() if access.is_regulator(request.actor) else access.confidential_tables(datasette)
    if ("care_homes" if kind == "home" else "entities") in hidden:
        raise Forbidden("Only signed-in regulators may see this table")

    def build(conn):
        row_url = row_url_factory(datasette, database)
        if kind == "home":
            return home_graph(conn, key, row_url, hidden)

        def table_url(table, column, value):
            return f"{datasette.urls.table(database, table)}?{column}={quote(str(value), safe='')}"

        return entity_graph(conn, key, row_url, hidden, table_url=table_url)

    graph = await datasette.get_database(database).execute_fn(build)
    if graph is None:
        raise NotFound(f"No {'care home' if kind == 'home' else 'entity'} {key} in the registry")
    for flag in graph.flags:
        flag["evidence_pretty"] = _pretty_json(flag.get("evidence"))
    for path in graph.paths:  # names and links for the table under the graph
        for end in ("subject", "end"):
            node = graph.nodes.get(f"entity:{path.get(end + '_id')}")
            path[end + "_label"] = node.label if node else None
            path[end + "_href"] = node.href if node else None
    if request.args.get("_format") == "json" or request.path.endswith(".json"):
        return Response.json(
            {
                "title": graph.title,
                "nodes": [vars(n) for n in graph.nodes.values()],
                "edges": [vars(e) for e in graph.edges],
                "flags": graph.flags,
                "truncated": graph.truncated,
            },
            default=str,
        )
    return Response.html(
        await datasette.render_template(
            "inspect_kit_ownership.html",
            {
                "graph": graph,
                "kind": kind,
                "key": key,
                "svg": render_svg(graph),
                "database": database,
                "paths": graph.paths,
            },
            request=request,
        )
    )


def _pretty_json(text):
    if not text:
        return ""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(text)


async def sign_in_page(request, datasette):
    error = None
    status = 200
    if request.method == "POST":
        form = await request.post_vars()
        matched = sign_in.check_token(request, form.get("token"))
        if matched:
            response = Response.redirect(datasette.urls.instance())
            sign_in.set_sign_in_cookie(datasette, request, response)
            return response
        if matched is None:
            error, status = "Too many wrong tokens: try again in a minute.", 429
        else:
            error, status = "That token is not the regulator token.", 403
    response = Response.html(
        await datasette.render_template(
            "inspect_kit_sign_in.html",
            {"error": error, "enabled": bool(sign_in.regulator_token()), "token_env": sign_in.TOKEN_ENV},
            request=request,
        ),
        status=status,
    )
    if status == 429:
        response.headers["Retry-After"] = str(int(sign_in.GUESS_WINDOW))
    return response


@hookimpl
def register_routes(datasette):
    return [
        (r"^/-/ownership/(?P<kind>home|entity)/(?P<key>.+)$", ownership_page),
        (r"^/-/regulator-sign-in$", sign_in_page),
    ]


@hookimpl
def register_output_renderer(datasette):
    return [
        {"extension": "bods", "render": render_bods, "can_render": can_render_bods},
        {"extension": "atom", "render": render_atom, "can_render": can_render_atom},
    ]


# --- who may see what -----------------------------------------------------------------


@hookimpl
def actor_from_request(datasette, request):
    return sign_in.actor_from_bearer(request)


@hookimpl
def permission_allowed(datasette, actor, action, resource):
    return access.permission(datasette, actor, action, resource)


@hookimpl
def asgi_wrapper(datasette):
    def prepare(conn):
        from datasette.plugins import pm

        pm.hook.prepare_connection(conn=conn, database=registry_database(datasette), datasette=datasette)

    def wrap(app):
        return safety.content_security_policy(access.guard_sql(datasette, app, prepare))

    return wrap


@hookimpl
def get_metadata(datasette, key, database, table):
    from ..publish import build_metadata

    return build_metadata(datasette)


@hookimpl
def canned_queries(datasette, database, actor):
    """Private queries, on the private database (or the registry when none is served).

    Not in the metadata, which anyone may read; given here whoever asks, because
    Datasette asks as nobody to learn whether a query is private, and the access
    rules refuse them (and the whole private database) to all but regulators.
    """
    from inspect_kit.plugins import get_queries

    from ..publish import query_metadata

    home = (private_databases(datasette) or registry_databases(datasette) or [None])[0]
    if database != home:
        return None
    return {q.name: query_metadata(q) for q in get_queries().values() if q.private}


@hookimpl
def prepare_connection(conn, database, datasette):
    """inspect-kit's SQL functions, the side-channel authorizer, and on the private
    database the registry attached read-only, so private queries can join public tables."""
    from inspect_kit.plugins import get_plugin_manager

    get_plugin_manager().hook.prepare_connection(conn=conn)
    db = datasette.databases.get(database)
    registries = registry_databases(datasette)
    if db is not None and is_private(db) and registries:
        path = datasette.databases[registries[0]].path
        try:
            conn.execute("ATTACH DATABASE ? AS registry", (f"file:{path}?mode=ro",))
        except sqlite3.Error:
            pass  # a connection opened without URI support: private tables alone
    conn.set_authorizer(safety.authorizer)


@hookimpl
def extra_body_script():
    return safety.SAFE_LINKS_SCRIPT


@hookimpl
def menu_links(datasette, actor, request):
    links = []
    database = None
    try:
        database = registry_database(datasette)
    except NotFound:
        pass
    if database:
        links.append({"href": datasette.urls.table(database, "care_homes") + "?_flag=any",
                      "label": "Map of flagged care homes"})
    if not access.is_regulator(actor):
        links.append({"href": datasette.urls.path("/-/regulator-sign-in"), "label": "Regulator sign-in"})
    return links


@hookimpl
def table_actions(datasette, actor, database, table, request):
    if table == "care_homes":
        return [
            {"href": datasette.urls.table(database, "care_homes") + "?_flag=any", "label": "Only homes with a risk flag"},
            {"href": datasette.urls.table(database, "risk_flags") + "?subject_type=care_home", "label": "All care-home flags"},
        ]
    return None
