"""Output renderers: ``.bods`` (BODS 0.4 statements) and ``.atom`` (a feed of changes).

``.bods`` takes the entity ids in a page of rows (any column that links to
``entities``, or ``id`` on the entities table itself), and publishes those
entities, persons and the relationships among them, plus the relationships in
the rows when the page is of ``relationships``. Nothing is invented: a field
the registry does not hold is left out.

``.atom`` turns rows into feed entries. A query names its entries with the
columns ``atom_id``, ``atom_title`` and ``atom_updated`` (and optionally
``atom_content`` and ``atom_link``), as the ``ownership_changes`` query does,
so a journalist can subscribe to "new offshore landlords in my county".
"""

from __future__ import annotations

import datetime
import io
import json
import xml.etree.ElementTree as ET

from datasette.utils.asgi import Response

from .links import LINKS

# Columns whose values are entity ids: a page of rows names the entities to publish.
ENTITY_COLUMNS = {column for (table, column), (target, _) in LINKS.items() if target == "entities"}
ENTITY_COLUMNS |= {"entity_id", "subject_id", "interested_party_id", "owner_id", "end_id"}


def bods_exporter():
    """The ``bods`` exporter some plugin registered (``register_exporters``), if any."""
    from inspect_kit.plugins import get_exporters

    return get_exporters().get("bods")


async def bods_statements(datasette, database, table, columns, rows, hidden=frozenset()) -> list[dict]:
    """Statements for the entities in ``rows``, built by the registered BODS exporter (so they
    validate against the schema exactly as ``inspect-kit export bods`` does); ``hidden`` tables
    (confidential) are not read."""
    exporter = bods_exporter()
    if exporter is None or {"entities", "relationships"} & set(hidden):
        return []
    entity_ids: set[str] = set()
    for row in rows:
        row = dict(zip(columns, row)) if not isinstance(row, dict) else row
        if table == "entities" and row.get("id"):
            entity_ids.add(row["id"])
        for column in ENTITY_COLUMNS & set(row):
            if row[column]:
                entity_ids.add(row[column])
    if not entity_ids:
        return []

    def build(conn):
        out = io.BytesIO()
        exporter.export_entities(conn, out, entity_ids, {"lines": True})
        return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]

    return await datasette.get_database(database).execute_fn(build)


async def render_bods(datasette, columns, rows, database, table, request):
    from .access import confidential_tables, is_regulator

    if bods_exporter() is None:
        return Response.text("No BODS exporter is installed (register_exporters).", status=404)
    hidden = frozenset() if is_regulator(request.actor) else confidential_tables(datasette)
    statements = await bods_statements(datasette, database, table, columns, rows, hidden)
    return Response(
        json.dumps(statements, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
        headers={"Access-Control-Allow-Origin": "*"},
    )


def can_render_bods(columns, table):
    if bods_exporter() is None:
        return False
    return table in ("entities", "relationships") or bool(ENTITY_COLUMNS & set(columns or ()))


# --- Atom -----------------------------------------------------------------------

ATOM = "http://www.w3.org/2005/Atom"
ATOM_REQUIRED = {"atom_id", "atom_title", "atom_updated"}


def can_render_atom(columns):
    return ATOM_REQUIRED <= set(columns or ())


def _rfc3339(value) -> str:
    text = str(value or "")
    if len(text) == 10:
        return text + "T00:00:00Z"
    return text or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


async def render_atom(datasette, columns, rows, request, database, query_name, table):
    if not can_render_atom(columns):
        return Response.text(
            "This feed needs the columns atom_id, atom_title and atom_updated.", status=400
        )
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    name = query_name or table or "query"
    metadata = {}
    if query_name:
        metadata = await datasette.get_canned_query(database, query_name, request.actor) or {}
    ET.SubElement(feed, f"{{{ATOM}}}title").text = metadata.get("title") or f"inspect-kit: {name}"
    self_url = datasette.absolute_url(request, request.full_path)
    ET.SubElement(feed, f"{{{ATOM}}}id").text = self_url
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "inspect-kit"
    entries = [dict(zip(columns, row)) for row in rows]
    updated = max((_rfc3339(e["atom_updated"]) for e in entries), default=_rfc3339(None))
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = updated
    for row in entries:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"tag:inspect-kit,{name}:{row['atom_id']}"
        ET.SubElement(entry, f"{{{ATOM}}}title").text = str(row["atom_title"] or "")
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = _rfc3339(row["atom_updated"])
        if row.get("atom_content"):
            ET.SubElement(entry, f"{{{ATOM}}}content", type="text").text = str(row["atom_content"])
        if row.get("atom_link"):
            href = str(row["atom_link"])
            if not href.startswith(("http://", "https://", "/")):
                href = datasette.urls.database(database) + "/" + href
            if href.startswith("/"):
                href = datasette.absolute_url(request, href)
            ET.SubElement(entry, f"{{{ATOM}}}link", href=href)
    body = ET.tostring(feed, encoding="unicode", xml_declaration=False)
    return Response(
        '<?xml version="1.0" encoding="utf-8"?>\n' + body,
        content_type="application/atom+xml; charset=utf-8",
    )
