"""Canned queries for the people who use the site, written against the contract tables.

The ownership resolver's plugin publishes the chain queries and the risk
plugin the landlords table; these are the questions a union researcher, a
local authority or a journalist asks of a whole area.
"""

from __future__ import annotations

from inspect_kit import Query

# UK jurisdictions are GB or GB-XXX; everything else (Jersey, Guernsey, the Isle of
# Man, the BVI, ...) counts as offshore.
_OFFSHORE = "({j} is not null and {j} != 'GB' and {j} not like 'GB-%')"

_LANDLORDS = f"""
with landlords as (
  select cht.location_id, tp.title_number, tp.name as landlord, tp.entity_id,
         coalesce(e.jurisdiction, tp.country_incorporated) as jurisdiction
  from care_home_titles cht
  join title_proprietors tp on tp.title_number = cht.title_number and tp.valid_to is null
  left join entities e on e.id = tp.entity_id
),
assessed as (
  select l.*,
    case
      when {_OFFSHORE.format(j="l.jurisdiction")} then 1
      when exists (
        select 1 from ownership_paths p, json_each(p.path) step
        join entities up on up.id = step.value
        where p.subject_id = l.entity_id and {_OFFSHORE.format(j="up.jurisdiction")}
      ) then 1
      else 0
    end as offshore,
    exists (
      select 1 from ownership_paths p where p.subject_id = l.entity_id and not p.traceable
    ) as untraceable
  from landlords l
),
flagged_homes as (
  select location_id, max(offshore) as offshore, max(untraceable) as untraceable,
         group_concat(distinct landlord) as landlords,
         group_concat(distinct jurisdiction) as jurisdictions
  from assessed
  group by location_id
  having max(offshore) or max(untraceable)
)
"""

HOMES_WITH_OFFSHORE_LANDLORDS = Query(
    name="homes_with_offshore_or_untraceable_landlords",
    title="Care homes whose landlord is offshore or untraceable",
    description="Each care home standing on a title whose registered proprietor, or any company "
    "above it in the ownership chain, is registered outside the UK, or whose ownership cannot be "
    "traced to an ultimate owner. Leave local_authority empty for all of England.",
    sql=_LANDLORDS
    + """
select h.location_id, h.name, h.local_authority, h.region, h.beds, h.rating,
       f.landlords, f.jurisdictions, f.offshore, f.untraceable, h.latitude, h.longitude
from flagged_homes f join care_homes h using (location_id)
where (:local_authority = '' or h.local_authority = :local_authority)
order by h.local_authority, h.name
""",
)

OFFSHORE_LANDLORDS_BY_LOCAL_AUTHORITY = Query(
    name="offshore_landlords_by_local_authority",
    title="Homes with offshore or untraceable landlords, by local authority",
    description="For each local authority: how many care homes (and beds) stand on land whose owner "
    "is offshore or untraceable, out of all its registered care homes.",
    sql=_LANDLORDS
    + """,
area as (
  select local_authority, count(*) as all_homes, sum(beds) as all_beds
  from care_homes where status is null or status = 'Registered' group by local_authority
)
select h.local_authority, count(*) as homes, sum(h.beds) as beds,
       sum(f.offshore) as with_offshore_landlord, sum(f.untraceable) as with_untraceable_landlord,
       area.all_homes, area.all_beds,
       round(100.0 * sum(h.beds) / nullif(area.all_beds, 0), 1) as percent_of_beds
from flagged_homes f join care_homes h using (location_id)
left join area on area.local_authority is h.local_authority
group by h.local_authority
order by beds desc
""",
)

BEDS_AT_RISK = Query(
    name="beds_at_risk_by_local_authority",
    title="Beds at risk by local authority if a group fails",
    description="Give a group's entity id (e.g. GB-COH-01234567): every care home it runs or whose "
    "land it holds, directly or through subsidiaries on a traced ownership path, counted by local "
    "authority with the share of the area's beds. This is the Market Oversight question: where "
    "would residents need new places?",
    sql="""
with exposed as (
  select h.location_id, 'operator' as exposure
  from care_homes h join providers p on p.provider_id = h.provider_id
  where p.entity_id = :entity_id
     or exists (select 1 from ownership_paths op, json_each(op.path) step
                where op.subject_id = p.entity_id and step.value = :entity_id)
  union
  select cht.location_id, 'landlord'
  from care_home_titles cht
  join title_proprietors tp on tp.title_number = cht.title_number and tp.valid_to is null
  where tp.entity_id = :entity_id
     or exists (select 1 from ownership_paths op, json_each(op.path) step
                where op.subject_id = tp.entity_id and step.value = :entity_id)
),
per_home as (
  select location_id, group_concat(distinct exposure) as exposure from exposed group by location_id
),
area as (
  select local_authority, count(*) as all_homes, sum(beds) as all_beds
  from care_homes where status is null or status = 'Registered' group by local_authority
)
select h.local_authority, count(*) as homes_at_risk, sum(h.beds) as beds_at_risk,
       sum(ph.exposure like '%operator%') as run_by_group,
       sum(ph.exposure like '%landlord%') as on_group_land,
       area.all_beds, round(100.0 * sum(h.beds) / nullif(area.all_beds, 0), 1) as percent_of_beds
from per_home ph join care_homes h using (location_id)
left join area on area.local_authority is h.local_authority
group by h.local_authority
order by beds_at_risk desc
""",
)

OWNERSHIP_CHANGES = Query(
    name="ownership_changes",
    title="Ownership changes since the previous land registry snapshot",
    description="Titles with a new registered proprietor since the previous CCOD/OCOD snapshot "
    "(or since a date you give, YYYY-MM-DD), with the previous proprietor and the care homes on "
    "the title. Filter by county or district (area), or only offshore proprietors (offshore = 1). "
    "Add .atom to the URL to subscribe to it as a feed.",
    sql=f"""
with snapshots as (
  select distinct as_of from collection_runs
  where collector in ('ccod', 'ocod') and as_of is not null
),
since as (
  select coalesce(
    nullif(:since, ''),
    (select max(as_of) from snapshots where as_of < (select max(as_of) from snapshots)),
    '0000-01-01'
  ) as day
),
changes as (
  select tp.*,
    (select old.name from title_proprietors_history old
     where old.title_number = tp.title_number and old.position = tp.position
     order by old.valid_from desc limit 1) as previous_proprietor
  from title_proprietors tp
  where tp.valid_to is null and tp.valid_from > (select day from since)
)
select c.title_number, c.position, c.name as new_proprietor, c.country_incorporated,
       c.previous_proprietor, c.valid_from as changed_on, t.property_address, t.district, t.county,
       (select group_concat(h.name, '; ') from care_home_titles cht
        join care_homes h using (location_id) where cht.title_number = c.title_number) as care_homes,
       c.title_number || '/' || c.position || '/' || c.valid_from as atom_id,
       'New proprietor of title ' || c.title_number || ': ' || coalesce(c.name, 'unnamed') as atom_title,
       c.valid_from as atom_updated,
       coalesce(c.name, 'unnamed') || coalesce(' (' || c.country_incorporated || ')', '')
         || ' replaces ' || coalesce(c.previous_proprietor, 'no earlier proprietor on record')
         || ' at ' || coalesce(t.property_address, 'title ' || c.title_number) as atom_content,
       'titles?title_number=' || c.title_number as atom_link
from changes c left join titles t using (title_number)
where (c.previous_proprietor is null or c.previous_proprietor is not c.name)
  and (:area = '' or t.county like '%' || :area || '%' or t.district like '%' || :area || '%')
  and (:offshore = '' or {_OFFSHORE.format(j="c.country_incorporated")})
order by c.valid_from desc, c.title_number, c.position
""",
)

QUERIES = (
    HOMES_WITH_OFFSHORE_LANDLORDS,
    OFFSHORE_LANDLORDS_BY_LOCAL_AUTHORITY,
    BEDS_AT_RISK,
    OWNERSHIP_CHANGES,
)
