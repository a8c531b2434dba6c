"""Ownership chains of every operator and landlord, up to their ultimate owners.

Reads the registry into an ``inspect_kit.ownership.OwnershipGraph`` as of the
build date, with corporate PSCs replaced by the company entities
``entity-linking`` found for them, and stores every path (``ownership_paths``)
and every identified ultimate owner (``ultimate_owners``) of each operator, each
landlord of a care home, and every entity above them.
"""

from __future__ import annotations

import json

from inspect_kit import OwnershipPath, Resolver, UltimateOwner
from inspect_kit.ownership import ENTITY_COLUMNS, RELATIONSHIP_COLUMNS, OwnershipGraph

from .linking import NOT_CORPORATE
from .tables import CORPORATE_PSC


_CURRENT_RELATIONSHIPS = (
    f"SELECT {', '.join(RELATIONSHIP_COLUMNS)} FROM relationships "
    "WHERE valid_to IS NULL AND direct IS NOT 0"  # an indirect interest repeats a chain
)
_CURRENT_ENTITIES = f"SELECT {', '.join(ENTITY_COLUMNS)} FROM entities WHERE valid_to IS NULL"
# Ids looked up in one query while walking up the graph.
CHUNK = 5_000


def load_graph(registry, as_of=None, subjects=None) -> OwnershipGraph:
    """The registry's current entities and relationships as a graph, as of a date.

    With ``subjects``, only those entities and everything above them are read, so
    that the chains of the country's care homes never need the whole register in
    memory; without, the whole graph.
    """
    conn = registry.conn
    type_at = ENTITY_COLUMNS.index("entity_type")
    if subjects is None:
        aliases = dict(conn.execute(
            "SELECT source_id, entity_id FROM entity_matches WHERE kind = ? AND entity_id IS NOT NULL",
            (CORPORATE_PSC,),
        ))
        candidates = conn.execute(
            "SELECT id, entity_type FROM entities WHERE valid_to IS NULL AND instr(id, '/psc/') > 0"
        )
        entities = conn.execute(_CURRENT_ENTITIES)
        relationships = conn.execute(_CURRENT_RELATIONSHIPS)
    else:
        aliases, ids, relationships = _above(conn, subjects)
        entities = [row for chunk in _chunks(sorted(ids)) for row in conn.execute(
            f"{_CURRENT_ENTITIES} AND id IN (SELECT value FROM json_each(?))", (json.dumps(chunk),)
        )]
        candidates = ((row[0], row[type_at]) for row in entities if "/psc/" in row[0])
    # Corporate owners known only from someone's PSC register and linked to nothing.
    reference_only = {
        entity_id for entity_id, entity_type in candidates
        if entity_type not in NOT_CORPORATE and entity_id not in aliases
    }
    return OwnershipGraph.build(
        entities, relationships, as_of=as_of, aliases=aliases, reference_only=reference_only
    )


def _above(conn, subjects) -> tuple[dict[str, str], set[str], list[tuple]]:
    """Walk up from the subjects, a level at a time: (aliases, entity ids, relationship rows).

    A corporate owner named in a PSC register stands for the company entity it was
    linked to (``entity_matches``), so the walk follows the link, and a linked
    entry's own relationships count as the company's.
    """
    aliases: dict[str, str] = {}
    seen = set(subjects)
    frontier = sorted(seen)
    relationships: list[tuple] = []
    party_at = RELATIONSHIP_COLUMNS.index("interested_party_id")
    while frontier:
        following = []
        for chunk in _chunks(frontier):
            names = json.dumps(chunk)
            linked = conn.execute(
                "SELECT source_id, entity_id FROM entity_matches "
                "WHERE entity_id IN (SELECT value FROM json_each(?)) AND kind = ?",
                (names, CORPORATE_PSC),
            ).fetchall()
            aliases.update(linked)
            rows = conn.execute(
                f"{_CURRENT_RELATIONSHIPS} AND subject_id IN (SELECT value FROM json_each(?))",
                (json.dumps(chunk + [source for source, _ in linked]),),
            ).fetchall()
            relationships.extend(rows)
            parties = sorted({row[party_at] for row in rows if row[party_at] and row[party_at] not in aliases})
            for part in _chunks(parties):
                aliases.update(conn.execute(
                    "SELECT source_id, entity_id FROM entity_matches "
                    "WHERE source_id IN (SELECT value FROM json_each(?)) AND kind = ? AND entity_id IS NOT NULL",
                    (json.dumps(part), CORPORATE_PSC),
                ))
            for row in rows:
                party = row[party_at]
                if party is None:
                    continue
                party = aliases.get(party, party)
                if party not in seen:
                    seen.add(party)
                    following.append(party)
        frontier = following
    return aliases, seen, relationships


def _chunks(ids: list[str]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


class OwnershipChains(Resolver):
    name = "ownership-chains"
    description = "Ownership paths and ultimate owners of every operator and landlord, as of the build date"
    after = ("entity-linking", "care-home-titles")
    defaults = {"max_paths": 1000, "landlords": "care_homes"}

    def resolve(self, context):
        settings = context.settings(self)
        registry = context.registry
        operators_and_landlords = self.subjects(registry.conn, settings["landlords"])
        graph = load_graph(registry, as_of=context.today.isoformat(), subjects=operators_and_landlords)
        # No graph.analyse(): asking for a subject's paths summarises what is above it, only.
        subjects = graph.above(operators_and_landlords)
        for subject in context.progress(sorted(subjects), desc="ownership chains"):
            for number, path in enumerate(graph.paths(subject, limit=settings["max_paths"]), start=1):
                yield OwnershipPath(
                    subject_id=subject,
                    path_number=number,
                    depth=path.depth,
                    path=json.dumps(list(path.entity_ids)),
                    relationship_ids=json.dumps([list(step) for step in path.relationship_ids]),
                    end_id=path.end_id,
                    end_kind=path.end_kind,
                    traceable=path.traceable,
                    reason=path.reason,
                    share_min=path.share_min,
                    share_max=path.share_max,
                )
            for owner in graph.ultimate_owners(subject):
                yield UltimateOwner(
                    subject_id=subject,
                    owner_id=owner.owner_id,
                    owner_kind=owner.owner_kind,
                    share_min=owner.share_min,
                    share_max=owner.share_max,
                    min_depth=owner.min_depth,
                    paths=owner.paths,
                )

    @staticmethod
    def subjects(conn, landlords: str) -> list[str]:
        """Operators and landlords: of care homes only, or (``landlords = "all"``) of every title."""
        operators = [r[0] for r in conn.execute(
            "SELECT DISTINCT entity_id FROM providers WHERE valid_to IS NULL AND entity_id IS NOT NULL"
        )]
        if landlords == "all":
            sql = ("SELECT DISTINCT entity_id FROM title_proprietors "
                   "WHERE valid_to IS NULL AND entity_id IS NOT NULL")
        else:
            # CROSS JOIN: from the few matched titles to their proprietors. Left to itself, the
            # planner walked all 4M proprietors through their entity_id index (30 s nationally).
            sql = ("SELECT DISTINCT p.entity_id FROM care_home_titles c "
                   "CROSS JOIN title_proprietors p ON p.title_number = c.title_number "
                   "WHERE p.valid_to IS NULL AND p.entity_id IS NOT NULL")
        return sorted(set(operators) | {r[0] for r in conn.execute(sql)})
