"""``accounts-figures``: the CHPI-style figures per company and per group, per financial year.

For each company, each measure of each year is read from the latest filing
that reports that year: next year's comparative restates this year's figure,
and the restatement is kept beside the new value, never lost. A group is every
company under one ultimate owner; its figures are the sums of its companies'
own accounts (not consolidated: rent one company pays another is counted as
the payer's rent).
"""

from __future__ import annotations

import json
from collections import defaultdict

from inspect_kit import Resolver

from .concepts import PROFIT_AND_LOSS, measures_of
from .records import CompanyAccounts

NOT_PUBLISHED = ("profit and loss account (turnover, profit, rent, directors' pay, interest, dividends): "
                 "micro-entity or filleted accounts")
# Figures a profit and loss account gives: NULL, never zero, when it is not published.
SUMMED = ("turnover", "rent", "profit_before_tax", "directors_pay", "interest_payable", "interest_receivable",
          "related_party_interest", "dividends_paid", "staff_costs", "average_employees", "net_assets", "cash",
          "owed_to_group")

FACTS_SQL = """
select f.filing_id, f.company_number, f.concept, f.members, f.context_id, f.period_start, f.period_end, f.value,
       fl.made_up_date, fl.accounting_standard, fl.profit_and_loss_published
from accounts_facts f join accounts_filings fl on fl.filing_id = f.filing_id
where f.valid_to is null and fl.valid_to is null and f.period_end is not null
order by f.company_number, fl.made_up_date, f.filing_id
"""


def ratios(row: dict) -> dict:
    """The derived figures of one company-year or group-year, from its measures."""
    get = row.get
    payable, receivable = get("interest_payable"), get("interest_receivable")
    net_interest = None if payable is None and receivable is None else (payable or 0) - (receivable or 0)
    profit, turnover, rent = get("profit_before_tax"), get("turnover"), get("rent")
    leakage = None
    if profit is not None:
        leakage = profit + (rent or 0) + (get("directors_pay") or 0) + (net_interest or 0)
    top = get("highest_paid_director") or get("directors_pay")
    staff, employees = get("staff_costs"), get("average_employees")
    net_assets = get("net_assets")
    return {
        "net_interest": net_interest,
        "leakage": leakage,
        "leakage_per_100": 100 * leakage / turnover if leakage is not None and turnover else None,
        "rent_share": rent / turnover if rent is not None and turnover else None,
        "rent_cover": (profit + (net_interest or 0) + rent) / rent if rent and profit is not None else None,
        "director_employee_pay_ratio": top / (staff / employees) if top and staff and employees else None,
        "net_liabilities": None if net_assets is None else max(0.0, -net_assets),
    }


def company_years(rows) -> dict[str, dict[int, dict]]:
    """Company number -> financial year -> its measures, sources and restatements."""
    # (company, period end, measure) -> filing -> (priority, start, concept, context, value, made_up)
    found: dict = defaultdict(lambda: defaultdict(dict))
    filings: dict = {}
    years: dict = defaultdict(set)
    for r in rows:
        filings[r["filing_id"]] = r
        years[r["company_number"]].add(r["made_up_date"])
        if r["period_start"]:
            years[r["company_number"]].add(r["period_end"])  # a comparative year of the P&L
        for priority, measure in measures_of(r["concept"], r["members"]):
            slot = found[r["company_number"]][(r["period_end"], measure)]
            candidate = (priority, r["period_start"] or "", r["concept"], r["context_id"], r["value"], r["made_up_date"])
            if r["filing_id"] not in slot or candidate[:2] < slot[r["filing_id"]][:2]:
                slot[r["filing_id"]] = candidate
    out: dict = defaultdict(dict)
    for company, ends in years.items():
        for end in sorted(ends):
            row = {"period_end": end, "sources": {}, "restatements": []}
            for (period_end, measure), by_filing in found[company].items():
                if period_end != end:
                    continue
                versions = sorted(by_filing.items(), key=lambda kv: (kv[1][5], kv[0]))
                filing_id, (_, start, concept, context, value, _) = versions[-1]
                row[measure] = value
                row["sources"][measure] = {"filing_id": filing_id, "concept": concept, "context": context}
                if start and measure in PROFIT_AND_LOSS:
                    row["period_start"] = start
                for old_filing, old in versions[:-1]:
                    if old[4] != value:
                        row["restatements"].append({"measure": measure, "value": value, "filing_id": filing_id,
                                                    "was": old[4], "was_filing_id": old_filing})
            own = [f for f in filings.values() if f["company_number"] == company and f["made_up_date"] == end]
            row["filing_id"] = own[-1]["filing_id"] if own else next(
                (s["filing_id"] for s in row["sources"].values()), None)
            row["accounting_standard"] = filings[row["filing_id"]]["accounting_standard"] if row["filing_id"] else None
            row["profit_and_loss_published"] = any(m in row for m in PROFIT_AND_LOSS)
            out[company][int(end[:4])] = row  # a later period end in the same year wins
    return out


class AccountsFigures(Resolver):
    name = "accounts-figures"
    description = ("Company accounts into CHPI-style figures per company and per group (ultimate owner) "
                   "per financial year: leakage per £100 of income, rent share and cover, pay ratio.")
    after = ("ownership-chains",)

    def resolve(self, context):
        db = context.db
        if not db["accounts_facts"].exists() or not db["accounts_filings"].exists():
            return
        by_company = company_years(db.query(FACTS_SQL))
        if not by_company:
            return
        companies = json.dumps([f"GB-COH-{n}" for n in by_company])
        owners: dict[str, list[str]] = defaultdict(list)
        if db["ultimate_owners"].exists():
            for row in db.query("select subject_id, owner_id from ultimate_owners "
                                "where subject_id in (select value from json_each(?)) "
                                "order by subject_id, coalesce(share_max, 0) desc, owner_id", [companies]):
                owners[row["subject_id"]].append(row["owner_id"])
        wanted = json.loads(companies) + [o for found in owners.values() for o in found]
        names = {row["id"]: row["name"] for row in db.query(
            "select id, name from entities where valid_to is null and id in (select value from json_each(?))",
            [json.dumps(wanted)])}
        groups: dict = defaultdict(lambda: defaultdict(list))
        for number, years in by_company.items():
            entity_id = f"GB-COH-{number}"
            group = owners.get(entity_id, [])
            for year, row in years.items():
                yield self._record("company", entity_id, names.get(entity_id), number, year, row,
                                   group_id=group[0] if group else None)
                for owner in group:
                    groups[owner][year].append(row)
        for owner, years in groups.items():
            for year, rows in years.items():
                yield self._group(owner, names.get(owner), year, rows)

    def _record(self, subject_type, subject_id, name, number, year, row, **extra):
        published = row["profit_and_loss_published"]
        return CompanyAccounts(
            subject_type=subject_type, subject_id=subject_id, name=name, company_number=number,
            financial_year=year, period_start=row.get("period_start"), period_end=row.get("period_end"),
            filing_id=row.get("filing_id"), accounting_standard=row.get("accounting_standard"),
            profit_and_loss_published=published, not_published=None if published else NOT_PUBLISHED,
            highest_paid_director=row.get("highest_paid_director"),
            **{m: row.get(m) for m in SUMMED}, **ratios(row),
            restated=bool(row.get("restatements")),
            restatements=json.dumps(row["restatements"]) if row.get("restatements") else None,
            sources=json.dumps(row.get("sources") or {}, sort_keys=True) or None,
            resolver=self.name, **extra,
        )

    def _group(self, owner, name, year, rows):
        total = {}
        for measure in SUMMED:
            values = [r[measure] for r in rows if r.get(measure) is not None]
            total[measure] = sum(values) if values else None
        top = [r.get("highest_paid_director") for r in rows if r.get("highest_paid_director") is not None]
        total["highest_paid_director"] = max(top) if top else None
        total["profit_and_loss_published"] = any(r["profit_and_loss_published"] for r in rows)
        total["sources"] = {r["filing_id"]: sorted(r["sources"]) for r in rows if r.get("filing_id")}
        total["restatements"] = [x for r in rows for x in r.get("restatements", [])]
        record = self._record("group", owner, name, None, year, total)
        record.companies = len(rows)
        record.period_end = max((r["period_end"] for r in rows), default=None)
        return record
