"""Common control: a care home whose landlord and operator share an owner.

When the company that owns a home's building and the company that runs the
home answer to the same owner, the rent is paid to a related party (the
opco/propco structure behind Southern Cross). Read from the stored
``ownership_paths``: any entity on both chains counts, the landlord or operator
itself included.
"""

from __future__ import annotations

import json

from inspect_kit import Resolver

from .tables import CommonControl


def _chains(conn) -> dict[str, dict[str, list[str]]]:
    """Entity -> every entity on its chains -> the shortest path from it up to there."""
    chains: dict[str, dict[str, list[str]]] = {}
    for subject, path in conn.execute("SELECT subject_id, path FROM ownership_paths"):
        above = chains.setdefault(subject, {subject: [subject]})
        nodes = json.loads(path)
        for i, node in enumerate(nodes):
            known = above.get(node)
            if known is None or len(known) > i + 1:
                above[node] = nodes[: i + 1]
    return chains


class CommonControlFinder(Resolver):
    name = "common-control"
    description = "Care homes whose landlord and operator share an owner somewhere on their chains"
    after = ("ownership-chains",)

    def resolve(self, context):
        conn = context.registry.conn
        chains = _chains(conn)
        names = {}
        rows = conn.execute(
            # CROSS JOIN keeps this order: from the few matched titles out, never from
            # every linked proprietor of the country in.
            "SELECT h.location_id, p.entity_id, c.title_number, tp.entity_id "
            "FROM care_home_titles c "
            "CROSS JOIN care_homes h ON h.location_id = c.location_id AND h.valid_to IS NULL "
            "CROSS JOIN providers p ON p.provider_id = h.provider_id AND p.valid_to IS NULL "
            "CROSS JOIN title_proprietors tp ON tp.title_number = c.title_number AND tp.valid_to IS NULL "
            "WHERE p.entity_id IS NOT NULL AND tp.entity_id IS NOT NULL"
        ).fetchall()
        for location_id, operator, title_number, landlord in rows:
            operator_chain = chains.get(operator, {operator: [operator]})
            landlord_chain = chains.get(landlord, {landlord: [landlord]})
            shared = set(operator_chain) & set(landlord_chain)
            if not shared:
                continue
            nearest = min(
                shared, key=lambda s: (len(operator_chain[s]) + len(landlord_chain[s]), s)
            )
            for owner in sorted(shared):
                if owner not in names:
                    row = conn.execute("SELECT name FROM entities WHERE id = ?", (owner,)).fetchone()
                    names[owner] = row[0] if row else None
                yield CommonControl(
                    location_id=location_id,
                    title_number=title_number,
                    operator_id=operator,
                    landlord_id=landlord,
                    owner_id=owner,
                    owner_name=names[owner],
                    operator_depth=len(operator_chain[owner]) - 1,
                    landlord_depth=len(landlord_chain[owner]) - 1,
                    nearest=owner == nearest,
                    operator_path=json.dumps(operator_chain[owner]),
                    landlord_path=json.dumps(landlord_chain[owner]),
                )
