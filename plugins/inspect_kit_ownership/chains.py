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


def load_graph(registry, as_of=None) -> OwnershipGraph:
    """The registry's current entities and relationships as a graph, as of a date."""
    conn = registry.conn
    aliases = dict(
        conn.execute(
            "SELECT source_id, entity_id FROM entity_matches WHERE kind = ? AND entity_id IS NOT NULL",
            (CORPORATE_PSC,),
        ).fetchall()
    )
    # Corporate owners known only from someone's PSC register and linked to nothing.
    reference_only = {
        entity_id
        for entity_id, entity_type in conn.execute(
            "SELECT id, entity_type FROM entities WHERE valid_to IS NULL AND instr(id, '/psc/') > 0"
        )
        if entity_type not in NOT_CORPORATE and entity_id not in aliases
    }
    entities = conn.execute(
        f"SELECT {', '.join(ENTITY_COLUMNS)} FROM entities WHERE valid_to IS NULL"
    )
    relationships = conn.execute(
        f"SELECT {', '.join(RELATIONSHIP_COLUMNS)} FROM relationships "
        "WHERE valid_to IS NULL AND direct IS NOT 0"  # an indirect interest repeats a chain
    )
    return OwnershipGraph.build(
        entities, relationships, as_of=as_of, aliases=aliases, reference_only=reference_only
    )


class OwnershipChains(Resolver):
    name = "ownership-chains"
    description = "Ownership paths and ultimate owners of every operator and landlord, as of the build date"
    after = ("entity-linking", "care-home-titles")
    defaults = {"max_paths": 1000, "landlords": "care_homes"}

    def resolve(self, context):
        settings = context.settings(self)
        registry = context.registry
        graph = load_graph(registry, as_of=context.today.isoformat())
        # No graph.analyse(): asking for a subject's paths summarises what is above it, only.
        subjects = graph.above(self.subjects(registry.conn, settings["landlords"]))
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
            sql = ("SELECT DISTINCT p.entity_id FROM care_home_titles c "
                   "JOIN title_proprietors p ON p.title_number = c.title_number "
                   "WHERE p.valid_to IS NULL AND p.entity_id IS NOT NULL")
        return sorted(set(operators) | {r[0] for r in conn.execute(sql)})
