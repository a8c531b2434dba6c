"""Canned queries: a home's ownership chains, an owner's homes, an operator's landlords."""

from inspect_kit import Query

# One row per step up each chain. The recursion walks the live relationships
# (current rows, not ended by today), one step per owner even when the register
# lists several natures of control, and stops where a step returns to an entity
# already on the path (a cycle) or at 30 steps.
HOME_CHAIN_SQL = """
with recursive
starts(side, title_number, entity_id, label, note) as (
  select 'operator', null, p.entity_id, p.name,
         case when p.entity_id is null then 'operator not linked to a company: '
              || coalesce(m.reason, 'no company number') end
  from care_homes h
  join providers p on p.provider_id = h.provider_id and p.valid_to is null
  left join entity_matches m on m.kind = 'provider' and m.source_id = p.provider_id
  where h.location_id = :location_id and h.valid_to is null
  union all
  select 'landlord', t.title_number, tp.entity_id, tp.name,
         case when tp.entity_id is null then 'landlord not linked to an entity: '
              || coalesce(m.reason, 'no match made') end
  from care_home_titles t
  join title_proprietors tp on tp.title_number = t.title_number and tp.valid_to is null
  left join entity_matches m on m.source_id = tp.title_number || ':' || tp.position
       and m.kind in ('ccod_proprietor', 'ocod_proprietor')
  where t.location_id = :location_id
),
chain(side, title_number, depth, entity_id, label, relationship_id, unspecified_reason, note, trail, cycle) as (
  select side, title_number, 0, entity_id, label, null, null, note, '|' || coalesce(entity_id, '') || '|', 0
  from starts
  union all
  select c.side, c.title_number, c.depth + 1,
         coalesce(m.entity_id, r.interested_party_id), null, r.id, r.unspecified_reason, null,
         c.trail || coalesce(m.entity_id, r.interested_party_id, '') || '|',
         coalesce(instr(c.trail, '|' || coalesce(m.entity_id, r.interested_party_id) || '|') > 0, 0)
  from chain c
  join relationships r on r.subject_id = c.entity_id and r.valid_to is null
       and (r.end_date is null or r.end_date > date('now'))
       and (r.start_date is null or r.start_date <= date('now'))
       and r.id = (
         select min(r2.id) from relationships r2
         where r2.subject_id = r.subject_id and r2.valid_to is null
           and (r2.end_date is null or r2.end_date > date('now'))
           and (r2.interested_party_id = r.interested_party_id
                or (r.interested_party_id is null and r2.id = r.id))
       )
  left join entity_matches m on m.kind = 'corporate_psc' and m.source_id = r.interested_party_id
  where c.cycle = 0 and c.entity_id is not null and c.depth < 30
)
select
  chain.side,
  chain.title_number,
  chain.depth,
  chain.entity_id,
  coalesce(e.name, chain.label) as name,
  e.entity_type,
  e.jurisdiction,
  e.status,
  (select group_concat(coalesce(r.interest_detail, r.interest_type)
            || coalesce(' ' || r.share_min || '-' || r.share_max || '%', ''), '; ')
     from relationships r
     where chain.relationship_id is not null and r.valid_to is null
       and r.subject_id = (select subject_id from relationships where id = chain.relationship_id)
       and r.interested_party_id = (select interested_party_id from relationships where id = chain.relationship_id)
  ) as interests,
  case
    when chain.cycle then 'cycle: back to ' || chain.entity_id
    when chain.relationship_id is not null and chain.entity_id is null
      then 'owner declared unknown: ' || coalesce(chain.unspecified_reason, 'no reason given')
    when chain.note is not null then chain.note
    when chain.entity_id is not null and e.id is null then 'in no register collected'
  end as note
from chain
left join entities e on e.id = chain.entity_id and e.valid_to is null
order by chain.side desc, chain.title_number, chain.trail, chain.depth
"""

HOMES_OF_OWNER_SQL = """
select distinct h.location_id, h.name as home, h.postcode, h.beds, h.rating,
       'operator' as via, u.subject_id as through_entity, u.share_min, u.share_max
from ultimate_owners u
join providers p on p.entity_id = u.subject_id and p.valid_to is null
join care_homes h on h.provider_id = p.provider_id and h.valid_to is null
where u.owner_id = :owner_id
union
select distinct h.location_id, h.name, h.postcode, h.beds, h.rating,
       'landlord', u.subject_id, u.share_min, u.share_max
from ultimate_owners u
join title_proprietors tp on tp.entity_id = u.subject_id and tp.valid_to is null
join care_home_titles c on c.title_number = tp.title_number
join care_homes h on h.location_id = c.location_id and h.valid_to is null
where u.owner_id = :owner_id
order by 2
"""

LANDLORDS_OF_OPERATOR_SQL = """
select tp.entity_id as landlord_id, coalesce(e.name, tp.name) as landlord,
       coalesce(e.jurisdiction, tp.country_incorporated) as jurisdiction,
       count(distinct h.location_id) as homes, sum(h.beds) as beds,
       group_concat(distinct t.title_number) as titles
from providers p
join care_homes h on h.provider_id = p.provider_id and h.valid_to is null
join care_home_titles c on c.location_id = h.location_id
join titles t on t.title_number = c.title_number and t.valid_to is null
join title_proprietors tp on tp.title_number = t.title_number and tp.valid_to is null
left join entities e on e.id = tp.entity_id and e.valid_to is null
where p.valid_to is null and (p.provider_id = :operator or p.entity_id = :operator)
group by tp.entity_id, coalesce(e.name, tp.name)
order by homes desc, landlord
"""

QUERIES = (
    Query(
        name="home_ownership_chain",
        title="One care home's landlord and operator chains, side by side",
        description="Give a CQC location id (e.g. 1-1000210669). One row per step up each chain: "
        "the operator's, and each landlord's for each title the home stands on, up to the "
        "ultimate owners, a declared-unknown owner, or a cycle. Walks the live relationships.",
        sql=HOME_CHAIN_SQL,
    ),
    Query(
        name="homes_of_ultimate_owner",
        title="All care homes of an ultimate owner",
        description="Give an entity id from ultimate_owners.owner_id: every home it runs or "
        "owns the building of, through which entity, with its effective share.",
        sql=HOMES_OF_OWNER_SQL,
    ),
    Query(
        name="landlords_of_operator",
        title="The landlords of an operator's care homes",
        description="Give a CQC provider id or the operator's entity id: every proprietor of "
        "the titles its homes stand on, with how many homes and beds.",
        sql=LANDLORDS_OF_OPERATOR_SQL,
    ),
)
