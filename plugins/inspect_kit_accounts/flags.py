"""``accounts`` scorer: what a company's own accounts say about the risk of its failing.

Each flag's evidence names the filing, the concept and the figure it read, and
its explanation says the same in words:

- ``net_liabilities``: the latest balance sheet shows more liabilities than assets;
- ``loss_making``: a loss before tax in each of the latest N financial years;
- ``high_rent_burden``: rent takes more than a share (default 25%) of income;
- ``accounts_overdue``: BasicCompanyData's Accounts.NextDueDate has passed;
- ``no_public_pl``: the latest accounts publish no profit and loss account.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict

from inspect_kit import RiskFlag, Scorer

from .graph import graph_companies

YEARS_SQL = """
select subject_id, name, company_number, financial_year, period_end, filing_id, profit_before_tax, turnover, rent,
       rent_share, net_assets, profit_and_loss_published, sources
from company_accounts where subject_type = 'company' order by subject_id, financial_year
"""


def _money(value: float) -> str:
    return f"-£{-value:,.0f}" if value < 0 else f"£{value:,.0f}"


def _source(row: dict, measure: str) -> dict:
    found = json.loads(row["sources"] or "{}").get(measure, {})
    return {"filing_id": found.get("filing_id", row["filing_id"]), "concept": found.get("concept"),
            "context": found.get("context"), "financial_year": row["financial_year"], "value": row.get(measure)}


class AccountsScorer(Scorer):
    name = "accounts"
    description = ("Flags companies on the graph from their accounts: net liabilities, losses year after "
                   "year, a high rent burden, overdue accounts, no published profit and loss.")
    version = "1"
    defaults = {"loss_years": 2, "rent_share": 0.25}

    def score(self, context):
        settings = context.settings(self)
        db = context.db
        if db["company_accounts"].exists():
            years = defaultdict(list)
            for row in db.query(YEARS_SQL):
                years[row["subject_id"]].append(row)
            for entity_id, rows in years.items():
                yield from self._from_accounts(entity_id, rows, settings)
        yield from self._overdue(context)

    def _flag(self, entity_id, flag, severity, score, explanation, evidence):
        return RiskFlag(subject_type="entity", subject_id=entity_id, flag=flag, severity=severity, score=score,
                        scorer=self.name, scorer_version=self.version, explanation=explanation,
                        evidence=json.dumps(evidence, sort_keys=True, default=str))

    def _from_accounts(self, entity_id, rows, settings):
        latest = rows[-1]
        who = latest["name"] or latest["company_number"]
        if latest["net_assets"] is not None and latest["net_assets"] < 0:
            yield self._flag(entity_id, "net_liabilities", "high", 1.0,
                             f"{who}'s balance sheet at {latest['period_end']} shows net liabilities of "
                             f"{_money(-latest['net_assets'])} (filing {latest['filing_id']}).",
                             {"rule": "net assets < 0 in the latest filing", **_source(latest, "net_assets")})
        n = int(settings["loss_years"])
        streak = []
        for row in reversed(rows):
            if row["profit_before_tax"] is None or row["profit_before_tax"] >= 0:
                break
            streak.append(row)
        if len(streak) >= n:
            years = ", ".join(f"{r['financial_year']}: {_money(r['profit_before_tax'])}" for r in reversed(streak))
            yield self._flag(entity_id, "loss_making", "medium", min(1.0, 0.5 + 0.1 * len(streak)),
                             f"{who} made a loss before tax in each of its last {len(streak)} financial years ({years}).",
                             {"rule": "profit before tax < 0 in consecutive latest years", "threshold_years": n,
                              "years": [_source(r, "profit_before_tax") for r in reversed(streak)]})
        limit = float(settings["rent_share"])
        if latest["rent_share"] is not None and latest["rent_share"] > limit:
            trend = [{"financial_year": r["financial_year"], "rent_share": round(r["rent_share"], 4)}
                     for r in rows if r["rent_share"] is not None]
            yield self._flag(entity_id, "high_rent_burden", "high" if latest["rent_share"] > 1.5 * limit else "medium",
                             latest["rent_share"],
                             f"{who} paid {_money(latest['rent'])} in rent in {latest['financial_year']}, "
                             f"{latest['rent_share']:.0%} of its income of {_money(latest['turnover'])} "
                             f"(more than {limit:.0%}).",
                             {"rule": "rent / turnover > threshold", "threshold": limit,
                              "rent": _source(latest, "rent"), "turnover": _source(latest, "turnover"),
                              "trend": trend})
        if not latest["profit_and_loss_published"]:
            yield self._flag(entity_id, "no_public_pl", "low", 0.3,
                             f"{who}'s accounts to {latest['period_end']} publish no profit and loss account "
                             f"(micro-entity or filleted accounts): its income, rent and profit are not public.",
                             {"rule": "no turnover or profit before tax tagged in the latest filing",
                              "filing_id": latest["filing_id"], "financial_year": latest["financial_year"]})

    def _overdue(self, context):
        """Companies on the graph whose accounts are overdue, by the register's next due date."""
        db = context.db
        if "accounts_next_due" not in db["entities"].columns_dict:
            return
        on_graph = graph_companies(db.conn)
        today = context.today.isoformat()
        rows = db.query(
            "select id, name, company_number, status, accounts_next_due, valid_from from entities "
            "where valid_to is null and accounts_next_due < ? and coalesce(status, 'active') = 'active' "
            "and id in (select value from json_each(?))",
            [today, json.dumps([f"GB-COH-{n}" for n in on_graph])],
        )
        for row in rows:
            days = (context.today - datetime.date.fromisoformat(row["accounts_next_due"])).days
            yield self._flag(row["id"], "accounts_overdue", "high" if days > 90 else "medium",
                             min(1.0, 0.5 + days / 365),
                             f"{row['name'] or row['company_number']}'s accounts were due by "
                             f"{row['accounts_next_due']} and are {days} days overdue "
                             f"(the register as of {row['valid_from']}).",
                             {"rule": "BasicCompanyData Accounts.NextDueDate before today", "today": today,
                              "register_as_of": row["valid_from"],
                              "accounts_next_due": row["accounts_next_due"], "days_overdue": days,
                              "roles": on_graph[row["company_number"]] if row["company_number"] in on_graph else None})
