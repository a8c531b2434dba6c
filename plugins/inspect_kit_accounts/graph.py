"""The companies whose accounts matter: operators, landlords and every company above them.

Operators come from what has been collected (a provider's company number is
enough); landlords are the proprietors of the titles ``inspect-kit build`` has
matched to care homes and, before a build has matched them, of every title at
a care home's postcode (a few neighbours too, which costs a few filings read);
holding companies are followed up the collected relationships.
"""

from __future__ import annotations

# The entities above the seeds, up the current relationships. A corporate PSC is
# its own entity until a build links it; its UK company number leads on at once.
ABOVE = """above(entity_id, depth) as (
  select entity_id, 0 from {seeds}
  union
  select coalesce(
           case when e.entity_type != 'person' and e.company_number is not null and e.jurisdiction like 'GB%'
                then 'GB-COH-' || substr('00000000' || e.company_number, -8) end,
           r.interested_party_id),
         a.depth + 1
  from above a
  join relationships r on r.subject_id = a.entity_id
  left join entities e on e.id = r.interested_party_id and e.valid_to is null
  where r.valid_to is null and r.end_date is null and r.interested_party_id is not null and a.depth < 20
)"""

# Each company on the graph with the roles it plays: operator, landlord, holding.
GRAPH_SQL = ("""
with recursive
seeds(entity_id, role) as (
  select coalesce(entity_id, 'GB-COH-' || company_number), 'operator' from providers
   where valid_to is null and (entity_id like 'GB-COH-%' or coalesce(company_number, '') != '')
  union
  select coalesce(tp.entity_id, 'GB-COH-' || tp.company_number), 'landlord'
  from title_proprietors tp
   where tp.valid_to is null and (tp.entity_id like 'GB-COH-%' or coalesce(tp.company_number, '') != '')
     and tp.title_number in (
       select title_number from care_home_titles
       union
       select t.title_number from care_homes h join titles t on t.postcode = h.postcode
        where h.valid_to is null and t.valid_to is null and h.postcode is not null
          and not exists (select 1 from care_home_titles))
),
{above}
select entity_id, group_concat(role) as roles from (
  select entity_id, role from seeds
  union select entity_id, 'holding' from above where depth > 0
)
where entity_id like 'GB-COH-%' and entity_id not like '%/%'  -- not a PSC's own entity
group by entity_id
""").replace("{above}", ABOVE.format(seeds="seeds"))


def graph_companies(conn) -> dict[str, str]:
    """Company number -> its roles (``operator``, ``landlord``, ``holding``, comma-separated)."""
    return {entity_id[len("GB-COH-"):]: roles for entity_id, roles in conn.execute(GRAPH_SQL)}
