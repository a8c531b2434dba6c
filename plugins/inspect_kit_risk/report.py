"""``inspect-kit report landlords --provider ID``: the union's Southern Cross table, for any operator.

For every landlord of the operator's homes: the homes it owns, its
jurisdiction, the secrecy jurisdictions on its chain, whether its ownership can
be traced and, when not, why. The same SQL is published as a Datasette query.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import click

from .flags import plural

LANDLORDS_SQL = """
select * from (
with homes as (
  select location_id, name, beds from care_homes
  where provider_id = :provider_id and valid_to is null
    and coalesce(status, 'Registered') != 'Deregistered'
),
held as (
  select h.location_id, h.name as home_name, cht.title_number, tp.position, tp.entity_id,
         coalesce(tp.entity_id, 'unlinked:' || coalesce(tp.company_number, upper(tp.name))) as landlord_key,
         tp.name as proprietor_name, tp.company_number, tp.country_incorporated
  from homes h
  join care_home_titles cht on cht.location_id = h.location_id
  join title_proprietors tp on tp.title_number = cht.title_number and tp.valid_to is null
)
select
  l.landlord_key as landlord_id,
  coalesce(max(e.name), max(l.proprietor_name)) as landlord,
  coalesce(max(e.company_number), max(l.company_number)) as company_number,
  coalesce(max(e.jurisdiction), max(l.country_incorporated)) as jurisdiction,
  max(e.status) as status,
  count(distinct l.location_id) as homes,
  (select sum(coalesce(beds, 0)) from homes
    where location_id in (select location_id from held l2 where l2.landlord_key = l.landlord_key)) as beds,
  group_concat(distinct l.home_name) as home_names,
  group_concat(distinct l.title_number) as title_numbers,
  group_concat(distinct l.location_id) as location_ids,
  max(l.entity_id = (select entity_id from providers where provider_id = :provider_id and valid_to is null))
    as is_operator,
  case
    when max(l.entity_id) is null then 'no'
    when exists (select 1 from ownership_paths p where p.subject_id = l.landlord_key and p.traceable = 0) then 'no'
    when exists (select 1 from ownership_paths p where p.subject_id = l.landlord_key) then 'yes'
    else 'not traced'
  end as traceable,
  case
    when max(l.entity_id) is null then 'not_linked: ' || coalesce(
      (select group_concat(distinct m.reason) from entity_matches m
        where m.source_id in (select l2.title_number || ':' || l2.position from held l2
                              where l2.landlord_key = l.landlord_key)),
      'the proprietor matches no register entity')
    else (select group_concat(distinct coalesce(p.end_kind, '?') || ': ' || coalesce(p.reason, ''))
          from ownership_paths p where p.subject_id = l.landlord_key and p.traceable = 0)
  end as why_untraceable,
  (select group_concat(coalesce(oe.name, u.owner_id), '; ')
     from ultimate_owners u left join entities oe on oe.id = u.owner_id
    where u.subject_id = l.landlord_key) as ultimate_owners,
  (select group_concat(distinct json_extract(j.value, '$.jurisdiction'))
     from risk_flags f, json_each(f.evidence, '$.offshore') j
    where f.subject_type = 'entity' and f.subject_id = l.landlord_key and f.flag = 'secrecy_jurisdiction')
    as secrecy_jurisdictions_on_chain
from held l left join entities e on e.id = l.entity_id
group by l.landlord_key
union all
select * from (
  select null, '(no title matched)', null, null, null, count(*) as n, sum(coalesce(beds, 0)),
         group_concat(name), null, group_concat(location_id), null, 'n/a',
         'no land title linked to the home: not untraceable (e.g. owned by an individual or charity, not in CCOD/OCOD)',
         null, null
  from homes h where not exists (select 1 from care_home_titles c where c.location_id = h.location_id)
) where n > 0
)
order by landlord_id is null, homes desc, landlord
"""

COLUMNS = ["landlord", "company_number", "jurisdiction", "status", "homes", "beds", "traceable",
           "why_untraceable", "secrecy_jurisdictions_on_chain", "ultimate_owners"]


def landlords_report(conn, provider_id: str) -> list[dict]:
    cursor = conn.execute(LANDLORDS_SQL, {"provider_id": provider_id})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def summary(rows: list[dict], provider: dict | None, provider_id: str) -> str:
    """One paragraph, counting each home once however many titles it stands on.

    The operator's own titles (typically the leases it holds from its landlords)
    are not counted as landlords: the union's question is who owns the buildings.
    """

    def homes_of(selected):
        return set().union(*(set((r["location_ids"] or "").split(",")) - {""} for r in selected))

    landlords = [r for r in rows if r["landlord_id"] and not r["is_operator"]]
    untraced = [r for r in landlords if r["traceable"] == "no"]
    own = homes_of(r for r in rows if r["landlord_id"] and r["is_operator"])
    unmatched = next((r["homes"] for r in rows if not r["landlord_id"]), 0)
    places = Counter()
    for place in {r["jurisdiction"] or "unknown" for r in landlords}:
        places[place] = len(homes_of(r for r in landlords if (r["jurisdiction"] or "unknown") == place))
    return (
        f"{(provider or {}).get('name') or provider_id} ({provider_id}): "
        f"{plural(len(homes_of(landlords)), 'home')} stand on land owned by "
        f"{plural(len(landlords), 'landlord')} other than the operator; "
        f"{plural(len(untraced), 'landlord')}, owning land under {plural(len(homes_of(untraced)), 'home')}, "
        f"cannot be traced. The operator itself holds titles (its own or its leases) at {plural(len(own), 'home')}; "
        f"{plural(unmatched, 'home')} with no title matched. Homes by landlord jurisdiction: "
        + ", ".join(f"{k} {v}" for k, v in places.most_common())
    )


def add_commands(cli: click.Group) -> None:
    from inspect_kit.cli import db_option, open_registry

    @cli.commands["report"].command("landlords")
    @db_option
    @click.option("--provider", "provider_id", required=True, help="CQC provider id of the operator.")
    @click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
    def landlords(db_path, provider_id, fmt):
        """The landlords of an operator's homes: homes each owns, jurisdictions, and who cannot be traced."""
        from pathlib import Path

        if not Path(db_path).exists():
            raise click.ClickException(f"{db_path}: no registry here yet; run 'inspect-kit collect' first")
        registry = open_registry(db_path)
        try:
            conn = registry.conn
            row = conn.execute(
                "SELECT provider_id, name FROM providers WHERE provider_id = ? AND valid_to IS NULL", (provider_id,)
            ).fetchone()
            homes = conn.execute("SELECT count(*) FROM care_homes WHERE provider_id = ?", (provider_id,)).fetchone()[0]
            if row is None and not homes:
                raise click.ClickException(f"no provider {provider_id!r} in {db_path}")
            rows = landlords_report(conn, provider_id)
        finally:
            registry.close()
        provider = {"provider_id": row[0], "name": row[1]} if row else None
        if fmt == "json":
            click.echo(json.dumps(rows, indent=2))
        elif fmt == "csv":
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["landlord_id"])
            writer.writeheader()
            writer.writerows(rows)
            click.echo(out.getvalue(), nl=False)
        else:
            from tabulate import tabulate

            click.echo(summary(rows, provider, provider_id))
            click.echo(tabulate([[r[c] for c in COLUMNS] for r in rows], headers=COLUMNS, tablefmt="simple"))
