"""``companies-house-accounts``: the Accounts Data Product (daily and monthly zips) and loose filings.

A month of the product holds hundreds of thousands of filings; a few hundred
belong to companies on the registry's graph. The file name carries the company
number, so every other filing is skipped without being decompressed, and only
the wanted ones are parsed. Each filing becomes an ``accounts_filings`` row
(machine-readable or not) and its numeric facts ``accounts_facts`` rows.
"""

from __future__ import annotations

from inspect_kit import Collector, Option, Rejected
from inspect_kit.matching import company_entity_id

from .concepts import PROFIT_AND_LOSS, measures_of
from .filings import filings
from .graph import graph_companies
from .parse import parse
from .records import AccountsFact, AccountsFiling


class AccountsCollector(Collector):
    name = "companies-house-accounts"
    description = (
        "Companies House Accounts Data Product (daily or monthly zip of iXBRL and XBRL filings, or loose "
        "filings): every numeric fact of the accounts of operators, landlords and the companies above them."
    )
    latest_page = "http://download.companieshouse.gov.uk/en_accountsdata.html"
    latest_pattern = r"Accounts_Bulk_Data-\d{4}-\d{2}-\d{2}\.zip"
    options = (
        Option("all_companies", "Read every filing, not only those of companies on the registry's graph.",
               default=False, is_flag=True),
    )

    def collect(self, run):
        if run.options.get("all_companies"):
            wanted = lambda number: True  # noqa: E731
        else:
            on_graph = set(graph_companies(run.registry.conn))
            wanted = on_graph.__contains__
        for path in run.files:
            for label, name, read in run.progress(filings(path, wanted), desc=path.name, unit=" filings"):
                if read is None:
                    continue
                run.source = label
                yield from self._filing(name, read())

    def _filing(self, name, data):
        filing = AccountsFiling(
            filing_id=name.filing_id, company_number=name.company_number,
            entity_id=company_entity_id(name.company_number), made_up_date=name.made_up_date,
            run_code=name.run_code, format=name.format,
        )
        if name.format == "pdf":
            filing.machine_readable = False
            filing.not_machine_readable_reason = "a PDF (scanned or paper) filing: no tagged figures"
            yield filing
            return
        parsed = parse(data)
        filing.accounting_standard = parsed.standard
        filing.facts = len(parsed.facts)
        filing.machine_readable = not parsed.error
        filing.not_machine_readable_reason = parsed.error
        if parsed.error:
            yield Rejected(f"{name.filing_id}: {parsed.error}", raw=data[:200].decode("utf-8", "replace"))
        current = [f for f in parsed.facts if f.period_end == name.made_up_date]
        filing.profit_and_loss_published = any(
            measure in PROFIT_AND_LOSS for f in current for _, measure in measures_of(f.concept, f.members)
        )
        yield filing
        for fact in parsed.facts:
            yield AccountsFact(
                filing_id=name.filing_id, company_number=name.company_number, concept=fact.concept,
                prefix=fact.prefix, context_id=fact.context_id, unit=fact.unit or "",
                period_start=fact.period_start, period_end=fact.period_end, members=fact.members,
                value=fact.value,
            )
