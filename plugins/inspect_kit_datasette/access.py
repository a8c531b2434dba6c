"""Who may see what: the public reads everything except what is confidential.

The private database (see ``databases``) is the regulators' alone: every
action on it is refused to anyone else, as is listing the databases and
running SQL on ``_memory`` when ``--crossdb`` attaches it there.

Confidential tables (the inspection schedule, since inspections are
unannounced, and any table a regulator lists) and private queries are visible
only to a signed-in regulator (see ``sign_in``).

Hiding a table is not enough in Datasette: arbitrary SQL could still read it.
So every public request that carries SQL (``?sql=``, ``?_where=``) is checked
with SQLite's own authorizer before Datasette runs it, and refused if it would
read a confidential table, directly or through a view. The database download
is for regulators only, since the file holds every table.
"""

from __future__ import annotations

import re
import sqlite3
import time
from urllib.parse import parse_qs

from datasette.utils import baseconv

from .databases import is_private, private_databases
from .sign_in import actor_from_bearer, is_regulator


PLUGIN_NAME = "inspect-kit"
SQL_PARAMS = ("sql", "_where")
_EXPLAIN = re.compile(r"^\s*explain(\s+query\s+plan)?\s+", re.I)


def plugin_config(datasette) -> dict:
    return datasette.plugin_config(PLUGIN_NAME) or {}


def confidential_tables(datasette) -> set[str]:
    config = plugin_config(datasette)
    if "confidential" not in config:
        from .publish import confidential_tables as declared

        return {t.lower() for t in declared()}
    return {t.lower() for t in config["confidential"]}


def private_queries() -> set[str]:
    from inspect_kit.plugins import get_queries

    return {q.name for q in get_queries().values() if q.private}


def scope_actor(datasette, scope) -> dict | None:
    """The actor of a raw ASGI request, before Datasette's own resolution runs."""
    from datasette.utils.asgi import Request

    request = Request(scope, None)
    actor = actor_from_bearer(request)
    if actor:
        return actor
    cookie = request.cookies.get("ds_actor")
    if cookie:
        try:
            decoded = datasette.unsign(cookie, "actor")
        except Exception:
            return None
        expires = decoded.get("e") if isinstance(decoded, dict) else None
        if expires and int(baseconv.base62.decode(expires)) < time.time():
            return None
        return decoded.get("a") if isinstance(decoded, dict) else None
    return None


def permission(datasette, actor, action, resource):
    """True/False where inspect-kit decides, None to leave it to Datasette."""
    if is_regulator(actor):
        return None
    database = resource if isinstance(resource, str) else (resource[0] if resource else None)
    db = datasette.databases.get(database) if database else None
    if db is not None and is_private(db):
        return False  # every action on the private database: view, SQL, queries, download
    if action == "execute-sql" and db is not None and db.is_memory and _private_attached(datasette):
        return False  # --crossdb attaches every file to _memory, the private one too
    if action == "view-table" and resource and resource[1].lower() in confidential_tables(datasette):
        return False
    if action == "view-query" and resource and resource[1] in private_queries():
        return False
    if action == "view-database-download":
        return False
    return None


def _private_attached(datasette) -> bool:
    return bool(getattr(datasette, "crossdb", False)) and bool(private_databases(datasette))


def tables_read(db_path: str, sql: str, prepare=None) -> set[str]:
    """The tables a statement would read, as SQLite's authorizer sees them when compiling it."""
    read: set[str] = set()

    def authorizer(action, arg1, arg2, db_name, source):
        if action == sqlite3.SQLITE_READ and arg1:
            read.add(arg1.lower())
        return sqlite3.SQLITE_OK

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
    try:
        if prepare:
            prepare(conn)
        conn.set_authorizer(authorizer)
        try:
            # EXPLAIN compiles the statement (calling the authorizer) without running it.
            # Parameters are bound after compiling, so a missing one fails harmlessly later.
            conn.execute("EXPLAIN " + _EXPLAIN.sub("", sql, count=1))
        except (sqlite3.Error, ValueError):
            pass
    finally:
        conn.close()
    return read


def guard_sql(datasette, app, prepare=None):
    """ASGI middleware: refuse public SQL that would read a confidential table."""

    async def guarded(scope, receive, send):
        if (scope["type"] == "http" and scope.get("path", "").rstrip("/").split(".")[0] == "/-/databases"
                and private_databases(datasette) and not is_regulator(scope_actor(datasette, scope))):
            await _forbid(send, "Only signed-in regulators may list the databases.")
            return
        if scope["type"] == "http" and scope.get("query_string"):
            query = parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True)
            suspect = [v for k, values in query.items() if k in SQL_PARAMS or k == "_through" for v in values]
            if suspect and not is_regulator(scope_actor(datasette, scope)):
                blocked = _blocked(datasette, suspect, prepare)
                if blocked:
                    await _forbid(send, f"Only signed-in regulators may query {', '.join(sorted(blocked))}.")
                    return
        await app(scope, receive, send)

    return guarded


def _blocked(datasette, values, prepare) -> set[str]:
    confidential = confidential_tables(datasette)
    blocked = {t for t in confidential for v in values if t in v.lower()}
    for value in values:
        for name, db in datasette.databases.items():
            if db.path and not db.is_memory:
                blocked |= tables_read(db.path, value, prepare) & confidential
    return blocked


async def _forbid(send, message: str):
    from markupsafe import escape

    body = f"<!DOCTYPE html><title>Forbidden</title><h1>Forbidden</h1><p>{escape(message)}</p>".encode()
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [[b"content-type", b"text/html; charset=utf-8"]],
        }
    )
    await send({"type": "http.response.body", "body": body})
