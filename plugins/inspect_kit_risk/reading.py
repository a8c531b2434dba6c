"""Reading the registry: homes, their operators, their landlords, and the chains above.

Scorers share these readers so that "the landlord of a home" means the same
thing in every flag: a current proprietor of a title that ``care_home_titles``
links to the home. A home with no linked title has no known landlord: that is
not untraceable (an independent owner-occupier's title is not in CCOD at all).
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

CURRENT_HOME = "valid_to IS NULL AND coalesce(status, 'Registered') != 'Deregistered'"


def rows(conn: sqlite3.Connection, sql: str, params: Iterable | dict = ()) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def table_exists(conn: sqlite3.Connection, table: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone() is not None


def table_columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}


def json_list(text: str | None) -> list:
    if not text:
        return []
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return [text]
    return value if isinstance(value, list) else [value]


def jurisdiction_code(value: str | None) -> str | None:
    """``GB-SCT`` -> ``GB``: subdivisions count as their country."""
    if not value:
        return None
    return value.strip().upper().split("-")[0] or None


def homes(conn) -> dict[str, dict]:
    """Current, registered locations by location id."""
    return {r["location_id"]: r for r in rows(conn, f"SELECT * FROM care_homes WHERE {CURRENT_HOME}")}


def operators(conn) -> dict[str, dict]:
    """Current providers by provider id."""
    return {r["provider_id"]: r for r in rows(conn, "SELECT * FROM providers WHERE valid_to IS NULL")}


def home_landlords(conn) -> dict[str, list[dict]]:
    """For each home, the current proprietors of every title linked to it."""
    found: dict[str, list[dict]] = defaultdict(list)
    for r in rows(
        conn,
        """
        SELECT cht.location_id, cht.title_number, cht.method, cht.confidence,
               tp.position, tp.entity_id, tp.name, tp.company_number, tp.country_incorporated,
               tp.run_id, tp.source, tp.valid_from
        FROM care_home_titles cht
        JOIN title_proprietors tp ON tp.title_number = cht.title_number AND tp.valid_to IS NULL
        ORDER BY cht.location_id, cht.title_number, tp.position
        """,
    ):
        found[r["location_id"]].append(r)
    return found


def entities(conn, ids: Iterable[str]) -> dict[str, dict]:
    """The entities with these ids (never the whole table: it can hold every UK company)."""
    found = {}
    ids = [i for i in set(ids) if i]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        for r in rows(conn, f"SELECT * FROM entities WHERE id IN ({marks}) AND valid_to IS NULL", chunk):
            found[r["id"]] = r
    return found


@dataclass
class Chains:
    """Ownership paths and ultimate owners, as the ownership resolver left them."""

    paths: dict[str, list[dict]] = field(default_factory=dict)
    owners: dict[str, list[dict]] = field(default_factory=dict)

    @classmethod
    def load(cls, conn) -> "Chains":
        paths: dict[str, list[dict]] = defaultdict(list)
        for r in rows(conn, "SELECT * FROM ownership_paths ORDER BY subject_id, path_number"):
            r["path"] = json_list(r["path"])
            r["relationship_ids"] = json_list(r["relationship_ids"])
            paths[r["subject_id"]].append(r)
        owners: dict[str, list[dict]] = defaultdict(list)
        for r in rows(conn, "SELECT * FROM ultimate_owners ORDER BY subject_id, owner_id"):
            owners[r["subject_id"]].append(r)
        return cls(dict(paths), dict(owners))

    def untraceable_paths(self, entity_id: str) -> list[dict]:
        return [p for p in self.paths.get(entity_id, ()) if p["traceable"] == 0]

    def chain(self, entity_id: str) -> list[str]:
        """The entity and every entity on any path above it, nearest first, once each."""
        seen = [entity_id]
        for p in self.paths.get(entity_id, ()):
            for node in [*p["path"], p["end_id"]]:
                if node and node not in seen:
                    seen.append(node)
        return seen

    def ultimate_owner_ids(self, entity_id: str) -> set[str]:
        return {o["owner_id"] for o in self.owners.get(entity_id, ())}


def landlord_and_operator_ids(conn) -> set[str]:
    """Entity ids of every current landlord of a home and every operator."""
    ids = {r["entity_id"] for rs in home_landlords(conn).values() for r in rs}
    ids |= {p["entity_id"] for p in operators(conn).values()}
    ids.discard(None)
    return ids


def chain_entities(conn, chains: "Chains", ids: Iterable[str]) -> dict[str, dict]:
    """The entities with these ids and every entity on their ownership paths."""
    wanted = set()
    for entity_id in ids:
        if entity_id:
            wanted.update(chains.chain(entity_id))
    return entities(conn, wanted)


def path_evidence(path: dict) -> dict[str, Any]:
    """An ownership path as evidence: the chain, where it ends and why."""
    return {
        "subject_id": path["subject_id"],
        "path_number": path["path_number"],
        "path": path["path"],
        "relationship_ids": path["relationship_ids"],
        "end_id": path["end_id"],
        "end_kind": path["end_kind"],
        "traceable": bool(path["traceable"]) if path["traceable"] is not None else None,
        "reason": path["reason"],
        "resolver": path.get("resolver"),
    }
