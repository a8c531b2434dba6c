"""The registry as one graph: entities, care homes, operators and titles, and who links to whom.

Both exporters read through here, so that Aleph and Gephi see the same graph:

- ``entities`` -> nodes (``kind`` entity); ``relationships`` -> ``owns`` edges from the
  interested party to the subject. An owner declared unknown becomes an
  ``unknown_owner`` node of its own, labelled with the reason, so the gap shows.
- ``care_homes`` -> ``care_home`` nodes; the operator (``providers.entity_id`` when
  resolved, else a ``provider`` node) -> ``operates`` edge to the home.
- ``titles`` -> ``title`` nodes; ``care_home_titles`` -> ``stands_on`` edges from home to
  title; ``title_proprietors`` -> ``proprietor`` edges from the landlord (its entity when
  resolved, else a ``proprietor`` node named as registered) to the title.

Only current rows are read (``valid_to IS NULL``). Everything streams.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator


@dataclass
class Node:
    id: str
    kind: str  # entity, unknown_owner, care_home, provider, title, proprietor
    label: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Edge:
    id: str
    source: str
    target: str
    kind: str  # owns, operates, stands_on, proprietor
    attributes: dict[str, Any] = field(default_factory=dict)


def _table_exists(conn, table: str) -> bool:
    return bool(conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone())


def _select(conn, sql: str, params=()) -> Iterator[dict]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    for values in cursor:
        yield dict(zip(names, values))


def _clean(values: dict) -> dict:
    return {k: v for k, v in values.items() if v is not None and v != ""}


def care_home_node_id(location_id: str) -> str:
    return f"care_home:{location_id}"


def title_node_id(title_number: str) -> str:
    return f"title:{title_number}"


def provider_node_id(provider_id: str) -> str:
    return f"provider:{provider_id}"


def read_graph(conn) -> Iterator[Node | Edge]:
    """Nodes, each before the first edge that names it."""
    yield from _entities(conn)
    yield from _relationships(conn)
    yield from _homes_and_operators(conn)
    yield from _titles(conn)


def _entities(conn):
    if not _table_exists(conn, "entities"):
        return
    for row in _select(conn, "SELECT * FROM entities WHERE valid_to IS NULL ORDER BY id"):
        yield Node(row["id"], "entity", row["name"] or row["id"], _clean({
            "entity_type": row["entity_type"],
            "jurisdiction": row["jurisdiction"],
            "company_number": row["company_number"],
            "status": row["status"],
            "incorporation_date": row["incorporation_date"],
            "dissolution_date": row["dissolution_date"],
            "address": row["address"] if row["entity_type"] not in ("person", "super_secure") else None,
            "birth_month": row["birth_month"],
            "nationality": row["nationality"],
            "listed": row["listed"],
        }))


def _relationships(conn):
    if not _table_exists(conn, "relationships"):
        return
    known = {r["id"] for r in _select(conn, "SELECT id FROM entities WHERE valid_to IS NULL")}
    for row in _select(conn, "SELECT * FROM relationships WHERE valid_to IS NULL ORDER BY id"):
        for end in (row["subject_id"], row["interested_party_id"]):
            if end and end not in known:
                known.add(end)
                yield Node(end, "entity", end, {"entity_type": "not_collected"})
        source = row["interested_party_id"]
        if source is None:
            source = f"unknown_owner:{row['id']}"
            yield Node(source, "unknown_owner", f"Owner unknown: {row['unspecified_reason'] or 'no reason given'}",
                       _clean({"unspecified_reason": row["unspecified_reason"],
                               "unspecified_description": row["unspecified_description"]}))
        yield Edge(row["id"], source, row["subject_id"], "owns", _clean({
            "interest_type": row["interest_type"],
            "interest_detail": row["interest_detail"],
            "share_min": row["share_min"],
            "share_max": row["share_max"],
            "start_date": row["start_date"],
            "end_date": row["end_date"],
            "unspecified_reason": row["unspecified_reason"],
            "source": row["source"],
        }))


def _homes_and_operators(conn):
    if not _table_exists(conn, "care_homes"):
        return
    providers = {}
    if _table_exists(conn, "providers"):
        providers = {p["provider_id"]: p for p in _select(conn, "SELECT * FROM providers WHERE valid_to IS NULL")}
    entities = {r["id"] for r in _select(conn, "SELECT id FROM entities WHERE valid_to IS NULL")} \
        if _table_exists(conn, "entities") else set()
    written_providers = set()
    for home in _select(conn, "SELECT * FROM care_homes WHERE valid_to IS NULL ORDER BY location_id"):
        node_id = care_home_node_id(home["location_id"])
        yield Node(node_id, "care_home", home["name"] or home["location_id"], _clean({
            "location_id": home["location_id"],
            "postcode": home["postcode"],
            "address": home["address"],
            "local_authority": home["local_authority"],
            "region": home["region"],
            "beds": home["beds"],
            "rating": home["rating"],
            "status": home["status"],
            "latitude": home["latitude"],
            "longitude": home["longitude"],
        }))
        provider_id = home["provider_id"]
        if not provider_id:
            continue
        provider = providers.get(provider_id, {})
        operator = provider.get("entity_id")
        if not operator or operator not in entities:
            operator = provider_node_id(provider_id)
            if operator not in written_providers:
                written_providers.add(operator)
                yield Node(operator, "provider", provider.get("name") or provider_id, _clean({
                    "provider_id": provider_id,
                    "company_number": provider.get("company_number"),
                    "ownership_type": provider.get("ownership_type"),
                }))
        yield Edge(f"operates:{provider_id}:{home['location_id']}", operator, node_id, "operates",
                   {"provider_id": provider_id})


def _titles(conn):
    if not _table_exists(conn, "titles"):
        return
    for title in _select(conn, "SELECT * FROM titles WHERE valid_to IS NULL ORDER BY title_number"):
        yield Node(title_node_id(title["title_number"]), "title", title["title_number"], _clean({
            "title_number": title["title_number"],
            "tenure": title["tenure"],
            "property_address": title["property_address"],
            "postcode": title["postcode"],
            "price_paid": title["price_paid"],
            "date_proprietor_added": title["date_proprietor_added"],
            "dataset": title["dataset"],
        }))
    titles = {r["title_number"] for r in _select(conn, "SELECT title_number FROM titles WHERE valid_to IS NULL")}
    if _table_exists(conn, "care_home_titles"):
        homes = {r["location_id"] for r in _select(conn, "SELECT location_id FROM care_homes WHERE valid_to IS NULL")}
        for link in _select(conn, "SELECT * FROM care_home_titles ORDER BY location_id, title_number"):
            if link["location_id"] in homes and link["title_number"] in titles:
                yield Edge(f"stands_on:{link['location_id']}:{link['title_number']}",
                           care_home_node_id(link["location_id"]), title_node_id(link["title_number"]), "stands_on",
                           _clean({"method": link["method"], "confidence": link["confidence"]}))
    if not _table_exists(conn, "title_proprietors"):
        return
    entities = {r["id"] for r in _select(conn, "SELECT id FROM entities WHERE valid_to IS NULL")}
    for owner in _select(conn, "SELECT * FROM title_proprietors WHERE valid_to IS NULL ORDER BY title_number, position"):
        if owner["title_number"] not in titles:
            continue
        source = owner["entity_id"]
        if not source or source not in entities:
            source = f"proprietor:{owner['title_number']}:{owner['position']}"
            yield Node(source, "proprietor", owner["name"] or source, _clean({
                "company_number": owner["company_number"],
                "jurisdiction": owner["country_incorporated"],
                "proprietorship_category": owner["proprietorship_category"],
            }))
        yield Edge(f"proprietor-of:{owner['title_number']}:{owner['position']}", source,
                   title_node_id(owner["title_number"]), "proprietor", {"position": owner["position"]})
