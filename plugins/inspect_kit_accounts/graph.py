"""The companies whose accounts matter: operators, landlords and every company above them.

Read from what has been collected (providers, title proprietors, relationships),
so it works before the first build: a company number on a provider or a
proprietor is enough to start from.
"""

from __future__ import annotations

# Each company on the graph with the roles it plays: operator, landlord, holding.
GRAPH_SQL = """
with recursive
seeds(entity_id, role) as (
  select coalesce(entity_id, 'GB-COH-' || company_number), 'operator' from providers
   where valid_to is null and (entity_id like 'GB-COH-%' or coalesce(company_number, '') != '')
  union
  select coalesce(entity_id, 'GB-COH-' || company_number), 'landlord' from title_proprietors
   where valid_to is null and (entity_id like 'GB-COH-%' or coalesce(company_number, '') != '')
),
above(entity_id, depth) as (
  select entity_id, 0 from seeds
  union
  select r.interested_party_id, a.depth + 1 from above a
  join relationships r on r.subject_id = a.entity_id
  where r.valid_to is null and r.end_date is null and r.interested_party_id is not null and a.depth < 20
)
select entity_id, group_concat(role) as roles from (
  select entity_id, role from seeds
  union select entity_id, 'holding' from above where depth > 0
)
where entity_id like 'GB-COH-%'
group by entity_id
"""


def graph_companies(conn) -> dict[str, str]:
    """Company number -> its roles (``operator``, ``landlord``, ``holding``, comma-separated)."""
    return {entity_id[len("GB-COH-"):]: roles for entity_id, roles in conn.execute(GRAPH_SQL)}
