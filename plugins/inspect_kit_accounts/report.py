"""``inspect-kit report money --provider ID``: CHPI's table for an operator's group.

Each company around an operator (the operator, the landlords of its homes, the
holding companies above it), each financial year: income, rent, profit,
directors' pay, interest, dividends and leakage per £100 of income, with the
filing behind the figures. The same SQL is the ``operator_money`` Datasette
query; ``money_table(conn, provider_id)`` gives it to other plugins (the
operator page).
"""

from __future__ import annotations

import json

import click

from .graph import ABOVE

MONEY_SQL = """
with recursive
operator(entity_id) as (
  select coalesce(entity_id, 'GB-COH-' || company_number) from providers
   where provider_id = :provider_id and valid_to is null
     and (entity_id is not null or coalesce(company_number, '') != '')
),
{above},
landlords(entity_id) as (
  select distinct coalesce(tp.entity_id, 'GB-COH-' || tp.company_number)
  from care_homes h
  join care_home_titles cht on cht.location_id = h.location_id
  join title_proprietors tp on tp.title_number = cht.title_number and tp.valid_to is null
  where h.provider_id = :provider_id and h.valid_to is null
    and (tp.entity_id is not null or coalesce(tp.company_number, '') != '')
),
members(entity_id, role, rank) as (
  select entity_id, 'operator', 0 from operator
  union select entity_id, 'landlord', 1 from landlords where entity_id not in (select entity_id from operator)
  union select entity_id, 'holding', 2 from above where depth > 0
)
select m.role, coalesce(a.name, e.name) as company, coalesce(a.company_number, e.company_number, substr(m.entity_id, 8)) as company_number,
       m.entity_id, a.financial_year, a.period_end,
       a.turnover as income, a.rent, a.profit_before_tax as profit, a.directors_pay,
       a.net_interest as interest, a.dividends_paid as dividends,
       round(a.leakage_per_100, 2) as leakage_per_100, round(a.rent_share, 4) as rent_share,
       a.net_assets, a.not_published, a.restated, a.filing_id
from members m
left join entities e on e.id = m.entity_id and e.valid_to is null
left join company_accounts a on a.subject_type = 'company' and a.subject_id = m.entity_id
where e.entity_type is null or e.entity_type not in ('person')
order by m.rank, company, m.entity_id, a.financial_year
""".replace("{above}", ABOVE.format(seeds="operator"))

COLUMNS = [("role", "role"), ("company", "company"), ("financial_year", "year"), ("income", "income"),
           ("rent", "rent"), ("profit", "profit"), ("directors_pay", "directors' pay"), ("interest", "net interest"),
           ("dividends", "dividends"), ("leakage_per_100", "leakage/£100"), ("filing_id", "filing")]
MONEY = {"income", "rent", "profit", "directors_pay", "interest", "dividends"}


def money_table(conn, provider_id: str) -> list[dict]:
    """The rows of the report for one operator (CQC provider id), as dicts."""
    cursor = conn.execute(MONEY_SQL, {"provider_id": provider_id})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def _cell(row: dict, column: str):
    value = row[column]
    if value is None:
        if row["financial_year"] is None:
            return "no accounts read" if column == "financial_year" else ""
        return "not published" if column in MONEY and row["not_published"] else "-"
    if column in MONEY:
        return f"{value:,.0f}"
    if column == "financial_year" and row["restated"]:
        return f"{value}*"
    return value


def add_commands(cli: click.Group) -> None:
    from inspect_kit.cli import db_option, open_registry

    @cli.commands["report"].command("money")
    @db_option
    @click.option("--provider", "provider_id", required=True, help="CQC provider id of the operator.")
    @click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
    def money(db_path, provider_id, fmt):
        """Follow the money: income, rent, profit, directors' pay, interest and dividends of an operator's group."""
        from pathlib import Path

        if not Path(db_path).exists():
            raise click.ClickException(f"{db_path}: no registry here yet; run 'inspect-kit collect' first")
        registry = open_registry(db_path)
        try:
            conn = registry.conn
            provider = conn.execute("select name from providers where provider_id = ? and valid_to is null",
                                    (provider_id,)).fetchone()
            if provider is None:
                raise click.ClickException(f"no provider {provider_id!r} in {db_path}")
            if not conn.execute("select 1 from sqlite_master where name = 'company_accounts'").fetchone():
                raise click.ClickException("no company accounts yet: run 'inspect-kit collect "
                                           "companies-house-accounts FILES' and 'inspect-kit build'")
            rows = money_table(conn, provider_id)
        finally:
            registry.close()
        if fmt == "json":
            click.echo(json.dumps(rows, indent=2))
            return
        from tabulate import tabulate

        click.echo(f"{provider[0]} ({provider_id}): the money in and out of the operator, its landlords and "
                   f"its holding companies, by financial year (£).")
        click.echo(tabulate([[_cell(r, c) for c, _ in COLUMNS] for r in rows],
                            headers=[h for _, h in COLUMNS], tablefmt="simple", disable_numparse=True))
        if any(r["restated"] for r in rows):
            click.echo("* a later filing restated figures of this year; the restated figures are shown "
                       "(company_accounts.restatements has the earlier ones)")
