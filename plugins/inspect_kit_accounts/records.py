"""The tables of company accounts: filings and their facts (collected), and the figures (derived)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from inspect_kit import Record, col


@dataclass(kw_only=True)
class AccountsFiling(Record):
    __table__ = "accounts_filings"
    __key__ = ("filing_id",)
    __indexes__ = (("company_number",),)
    __description__ = (
        "Each set of accounts read from the Companies House Accounts Data Product (or a loose "
        "file), machine-readable or not. Every filing is kept: a later filing never overwrites one."
    )

    filing_id: str = col("The product's file name without extension, e.g. Prod224_0078_00007464_20190930")
    company_number: str | None = None
    entity_id: str | None = col("The company's entity, GB-COH-<number>")
    made_up_date: datetime.date | None = col("The balance-sheet date the file name carries")
    run_code: str | None = col("Product and run, e.g. Prod224_0078 (Prod223 daily, Prod224 monthly)")
    format: str | None = col("ixbrl, xbrl or pdf")
    machine_readable: bool | None = col("Whether figures could be read from the filing")
    not_machine_readable_reason: str | None = None
    accounting_standard: str | None = col("frs102, frs105, frs101, ifrs, uk-gaap, from the schema reference")
    profit_and_loss_published: bool | None = col(
        "False for micro-entity and filleted accounts: no turnover or profit is tagged"
    )
    facts: int | None = col("Numeric facts tagged in the filing")


@dataclass(kw_only=True)
class AccountsFact(Record):
    __table__ = "accounts_facts"
    __key__ = ("filing_id", "concept", "context_id", "unit")
    __indexes__ = (("company_number", "concept"),)
    __description__ = "Every numeric fact of every filing read: concept, period, unit and value."

    filing_id: str
    company_number: str | None = None
    concept: str = col("The taxonomy concept's local name, e.g. TurnoverRevenue")
    prefix: str | None = col("The concept's prefix in this document, e.g. core, uk-gaap, ifrs-full")
    context_id: str = col("The context in the filing")
    unit: str = col("iso4217:GBP, xbrli:pure, ...")
    period_start: datetime.date | None = col("Start of the period (NULL for a balance-sheet figure)")
    period_end: datetime.date | None = col("End of the period, or the balance-sheet date")
    members: str | None = col("Dimension members, 'dimension=member;...' (NULL: the whole company)")
    value: float | None = None


@dataclass(kw_only=True)
class CompanyAccounts(Record):
    __table__ = "company_accounts"
    __key__ = ("subject_type", "subject_id", "financial_year")
    __derived__ = True
    __producer__ = "resolver"
    __indexes__ = (("company_number",), ("group_id",))
    __description__ = (
        "Figures per company and per group (by ultimate owner) per financial year, CHPI style: "
        "income, rent, profit, directors' pay, interest, dividends, and what leaks out per £100 of income. "
        "NULL means not published (micro-entity and filleted accounts), never zero."
    )

    subject_type: str = col("company, or group (every company under one ultimate owner)")
    subject_id: str = col("The company's entity id, or the ultimate owner's")
    name: str | None = None
    company_number: str | None = None
    group_id: str | None = col("Companies: their ultimate owner's entity id (the group row)")
    companies: int | None = col("Groups: how many companies' accounts are summed")
    financial_year: int = col("The calendar year the financial year ends in")
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None
    filing_id: str | None = col("The filing the figures come from (the latest that reports the year)")
    accounting_standard: str | None = None
    profit_and_loss_published: bool | None = None
    not_published: str | None = col("What the accounts do not publish, in words")
    turnover: float | None = col("Income: turnover or revenue")
    rent: float | None = col("Operating lease or rent expense")
    profit_before_tax: float | None = None
    directors_pay: float | None = col("Directors' aggregate remuneration")
    highest_paid_director: float | None = None
    interest_payable: float | None = None
    interest_receivable: float | None = None
    net_interest: float | None = col("Interest payable less interest receivable")
    related_party_interest: float | None = col("Interest payable to group undertakings or related parties, where tagged")
    dividends_paid: float | None = None
    staff_costs: float | None = None
    average_employees: float | None = None
    net_assets: float | None = col("Net assets; negative for net liabilities")
    net_liabilities: float | None = col("The deficit when net assets are negative, else 0")
    cash: float | None = None
    owed_to_group: float | None = col("Amounts owed to group undertakings")
    leakage: float | None = col("CHPI leakage: profit before tax + rent + directors' pay + net interest")
    leakage_per_100: float | None = col("Leakage per £100 of income")
    rent_share: float | None = col("Rent as a share of income")
    rent_cover: float | None = col("(Profit before tax + net interest + rent) / rent: how often earnings cover the rent")
    director_employee_pay_ratio: float | None = col(
        "Highest-paid director's pay (else directors' pay) over average pay per employee"
    )
    restated: bool | None = col("A later filing restated a figure of this year")
    restatements: str | None = col("JSON: each restated figure, its old and new value and filings")
    sources: str | None = col("JSON: for each figure, the filing, concept and context it was read from")
    resolver: str | None = None
