"""Company accounts in the shape Companies House publishes them (the Accounts Data Product).

Each filing is one iXBRL (XHTML) document, or an XBRL instance for the few
filed that way, named ``Prod<product>_<run>_<company number>_<made-up date>``
(``Prod223`` daily, ``Prod224`` monthly). The documents here are small but
real in shape: contexts for the current and the comparative year, the FRC
taxonomy's ``core`` namespace, ``ixt2`` number formats, ``sign="-"`` for
negatives and dimension members on segment contexts.

``ixbrl`` and ``xbrl`` write one document; ``demo_filings`` writes the demo
companies' filings for ``datasets.generate``; tests and the benchmark use the
same writer.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

NAMESPACES = {
    "frs102": ("core", "http://xbrl.frc.org.uk/fr/2021-01-01/core",
               "https://xbrl.frc.org.uk/FRS-102/2021-01-01/FRS-102-2021-01-01.xsd"),
    "frs105": ("core", "http://xbrl.frc.org.uk/fr/2021-01-01/core",
               "https://xbrl.frc.org.uk/FRS-105/2021-01-01/FRS-105-2021-01-01.xsd"),
    "ifrs": ("ifrs-full", "http://xbrl.ifrs.org/taxonomy/2021-03-24/ifrs-full",
             "https://xbrl.frc.org.uk/ifrs/2021-01-01/ifrs-2021-01-01.xsd"),
    "uk-gaap": ("uk-gaap", "http://www.xbrl.org/uk/gaap/core/2009-09-01",
                "http://www.xbrl.org/uk/gaap/core/2009-09-01/uk-gaap-full-2009-09-01.xsd"),
}
BUSINESS_NS = "http://xbrl.frc.org.uk/cd/2021-01-01/business"


@dataclass
class Fact:
    """One tagged figure: ``concept`` with its prefix (``core:TurnoverRevenue``), or a bare name in the taxonomy's namespace."""

    concept: str
    value: float
    year: str = "current"  # current or previous
    instant: bool = False  # balance-sheet figures are at an instant, P&L figures over the year
    member: str | None = None  # a dimension member, e.g. core:GroupUndertakings
    unit: str = "GBP"


@dataclass
class Filing:
    company_number: str
    name: str
    made_up: datetime.date
    taxonomy: str = "frs102"
    facts: list[Fact] = field(default_factory=list)


def _concept(taxonomy: str, concept: str) -> str:
    return concept if ":" in concept else f"{NAMESPACES[taxonomy][0]}:{concept}"


def _periods(made_up: datetime.date) -> dict[str, tuple[datetime.date, datetime.date]]:
    def year_before(day):
        try:
            return day.replace(year=day.year - 1)
        except ValueError:  # 29 February
            return day.replace(year=day.year - 1, day=28)

    previous_end = year_before(made_up)
    return {
        "current": (previous_end + datetime.timedelta(days=1), made_up),
        "previous": (year_before(previous_end) + datetime.timedelta(days=1), previous_end),
    }


def _contexts(filing: Filing, tag) -> tuple[str, dict]:
    """The context elements (``tag`` adds a prefix or not) and each fact's context id."""
    periods = _periods(filing.made_up)
    ids, out = {}, []
    for fact in filing.facts:
        key = (fact.year, fact.instant, fact.member)
        if key in ids:
            continue
        ref = f"c{len(ids) + 1}"
        ids[key] = ref
        start, end = periods[fact.year]
        period = (f"<{tag('instant')}>{end}</{tag('instant')}>" if fact.instant else
                  f"<{tag('startDate')}>{start}</{tag('startDate')}><{tag('endDate')}>{end}</{tag('endDate')}>")
        segment = ""
        if fact.member:
            dimension = "core:EntityOfficersDimension" if "Director" in fact.member else "core:GroupCompanyDimension"
            segment = (f"<{tag('segment')}><xbrldi:explicitMember dimension=\"{dimension}\">{fact.member}"
                       f"</xbrldi:explicitMember></{tag('segment')}>")
        out.append(
            f"<{tag('context')} id=\"{ref}\"><{tag('entity')}>"
            f"<{tag('identifier')} scheme=\"http://www.companieshouse.gov.uk/\">{filing.company_number}"
            f"</{tag('identifier')}>{segment}</{tag('entity')}><{tag('period')}>{period}</{tag('period')}>"
            f"</{tag('context')}>"
        )
    return "\n".join(out), ids


def ixbrl(filing: Filing) -> bytes:
    """The filing as an inline XBRL document, as software and WebFiling produce it."""
    prefix, namespace, schema = NAMESPACES[filing.taxonomy]
    contexts, ids = _contexts(filing, lambda name: f"xbrli:{name}")
    rows = []
    for fact in filing.facts:
        ref = ids[(fact.year, fact.instant, fact.member)]
        sign = ' sign="-"' if fact.value < 0 else ""
        shown = f"{abs(fact.value):,.0f}" if fact.unit == "GBP" else f"{abs(fact.value):g}"
        rows.append(
            f"<tr><td>{escape(fact.concept)}{' (' + fact.member + ')' if fact.member else ''}</td><td>{fact.year}</td>"
            f"<td><ix:nonFraction name=\"{_concept(filing.taxonomy, fact.concept)}\" contextRef=\"{ref}\" "
            f"unitRef=\"{'GBP' if fact.unit == 'GBP' else 'pure'}\" decimals=\"0\" "
            f"format=\"ixt2:numdotdecimal\"{sign}>{shown}</ix:nonFraction></td></tr>"
        )
    first = ids.get(("current", False, None)) or next(iter(ids.values()), "c1")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:ix="http://www.xbrl.org/2013/inlineXBRL"
 xmlns:xbrli="http://www.xbrl.org/2003/instance" xmlns:link="http://www.xbrl.org/2003/linkbase"
 xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:iso4217="http://www.xbrl.org/2003/iso4217"
 xmlns:ixt2="http://www.xbrl.org/inlineXBRL/transformation/2011-07-31" xmlns:xbrldi="http://xbrl.org/2006/xbrldi"
 xmlns:{prefix}="{namespace}" xmlns:bus="{BUSINESS_NS}" xmlns:core="{NAMESPACES['frs102'][1]}">
<head><title>{escape(filing.name)} - Accounts for the year ended {filing.made_up:%d %B %Y}</title></head>
<body>
<div style="display:none"><ix:header><ix:hidden>
<ix:nonNumeric name="bus:UKCompaniesHouseRegisteredNumber" contextRef="{first}">{filing.company_number}</ix:nonNumeric>
</ix:hidden>
<ix:references><link:schemaRef xlink:type="simple" xlink:href="{schema}"/></ix:references>
<ix:resources>
{contexts}
<xbrli:unit id="GBP"><xbrli:measure>iso4217:GBP</xbrli:measure></xbrli:unit>
<xbrli:unit id="pure"><xbrli:measure>xbrli:pure</xbrli:measure></xbrli:unit>
</ix:resources></ix:header></div>
<h1><ix:nonNumeric name="bus:EntityCurrentLegalOrRegisteredName" contextRef="{first}">{escape(filing.name)}</ix:nonNumeric></h1>
<p>Registered number {filing.company_number}. Accounts for the year ended {filing.made_up:%d %B %Y}.</p>
<table>
{chr(10).join(rows)}
</table>
</body>
</html>
""".encode()


def xbrl(filing: Filing) -> bytes:
    """The filing as a plain XBRL instance (about 3% of the product)."""
    prefix, namespace, schema = NAMESPACES[filing.taxonomy]
    contexts, ids = _contexts(filing, lambda name: f"xbrli:{name}")
    facts = "\n".join(
        f"<{_concept(filing.taxonomy, f.concept)} contextRef=\"{ids[(f.year, f.instant, f.member)]}\" "
        f"unitRef=\"{'GBP' if f.unit == 'GBP' else 'pure'}\" decimals=\"0\">{f.value:.0f}"
        f"</{_concept(filing.taxonomy, f.concept)}>"
        for f in filing.facts
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<xbrli:xbrl xmlns:xbrli="http://www.xbrl.org/2003/instance" xmlns:link="http://www.xbrl.org/2003/linkbase"
 xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:iso4217="http://www.xbrl.org/2003/iso4217"
 xmlns:xbrldi="http://xbrl.org/2006/xbrldi" xmlns:{prefix}="{namespace}" xmlns:core="{NAMESPACES['frs102'][1]}">
<link:schemaRef xlink:type="simple" xlink:href="{schema}"/>
{contexts}
<xbrli:unit id="GBP"><xbrli:measure>iso4217:GBP</xbrli:measure></xbrli:unit>
<xbrli:unit id="pure"><xbrli:measure>xbrli:pure</xbrli:measure></xbrli:unit>
{facts}
</xbrli:xbrl>
""".encode()


def member_name(product: int, run: int, filing: Filing, extension: str = "html") -> str:
    """``Prod224_0078_00007464_20190930.html``: product, run, company number, made-up date."""
    return f"Prod{product}_{run:04d}_{filing.company_number}_{filing.made_up:%Y%m%d}.{extension}"


def write_zip(out, members: list[tuple[str, bytes]], *, timestamp=(2026, 11, 1, 0, 0, 0)) -> None:
    """A product zip of ``(member name, bytes)``, with fixed timestamps so output is deterministic."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=timestamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)


def full_accounts(number, name, made_up, years: dict[str, dict], taxonomy="frs102") -> Filing:
    """A small company's full FRS 102 accounts: ``years`` maps current/previous to figures by concept.

    A key ``Concept@member`` tags the figure with a dimension member.
    """
    instants = {"NetAssetsLiabilities", "CashBankOnHand", "Creditors", "AmountsOwedToGroupUndertakings"}
    facts = []
    for year, figures in years.items():
        for key, value in figures.items():
            concept, _, member = key.partition("@")
            facts.append(Fact(concept, value, year=year, instant=concept.split(":")[-1] in instants,
                              member=member or None,
                              unit="pure" if concept.endswith("AverageNumberEmployeesDuringPeriod") else "GBP"))
    return Filing(number, name, made_up, taxonomy, facts)


# -- the demo companies' accounts --------------------------------------------------

DEMO_YEARS = (2022, 2023, 2024, 2025)


def _operator_year(year: int, rent_share: float) -> dict:
    turnover = 180_000_000 + (year - 2022) * 4_000_000
    rent = round(turnover * rent_share)
    staff = round(turnover * 0.62)
    interest = 3_200_000 + (year - 2022) * 400_000
    directors = 1_400_000 + (year - 2022) * 150_000
    other = round(turnover * 0.15)
    profit = turnover - rent - staff - interest - directors - other
    return {
        "TurnoverRevenue": turnover, "OperatingLeasePaymentsRecognisedAsExpense": rent,
        "StaffCostsEmployeeBenefitsExpense": staff, "AverageNumberEmployeesDuringPeriod": 6_800 + (year - 2022) * 50,
        "DirectorRemuneration": directors, "RemunerationHighestPaidDirector": round(directors * 0.45),
        "InterestPayableSimilarChargesFinanceCosts": interest,
        "InterestPayableSimilarChargesFinanceCosts@core:GroupUndertakings": round(interest * 0.75),
        "OtherInterestReceivableSimilarIncomeFinanceIncome": 120_000,
        "ProfitLossOnOrdinaryActivitiesBeforeTax": profit, "DividendsPaid": 2_000_000 if profit > 0 else 0,
        "NetAssetsLiabilities": 24_000_000 - (year - 2022) * 9_500_000, "CashBankOnHand": 6_500_000 - (year - 2022) * 1_500_000,
        "AmountsOwedToGroupUndertakings": 41_000_000 + (year - 2022) * 6_000_000,
    }


def demo_filings(companies: dict[str, tuple[str, str]]) -> list[tuple[str, bytes]]:
    """The demo's accounts as Accounts Data Product members, oldest filing first.

    ``companies`` maps a role (``brackenfold_operator``, ``brackenfold_holdings``,
    ``willowmere_operator``, ``willowmere_landlord``, ``uk_landlord``,
    ``filler_0``...) to ``(company number, name)``. Brackenfold's rent takes a rising
    share of its income after the sale and leaseback; its 2024 figures are restated
    in its 2025 filing; the Willowmere landlord files micro-entity accounts with no
    profit and loss; filler companies off the graph show that a month is mostly skipped.
    """
    rent_shares = {2022: 0.16, 2023: 0.19, 2024: 0.23, 2025: 0.27}
    members = []
    run = 3100
    for year in DEMO_YEARS:
        run += 1
        made_up = datetime.date(year, 12, 31)
        filings = []
        number, name = companies["brackenfold_operator"]
        current = _operator_year(year, rent_shares[year])
        previous = _operator_year(year - 1, rent_shares.get(year - 1, 0.14))
        if year == 2025:  # the 2024 comparative restated: a larger rent charge, a smaller profit
            previous["OperatingLeasePaymentsRecognisedAsExpense"] += 1_500_000
            previous["ProfitLossOnOrdinaryActivitiesBeforeTax"] -= 1_500_000
        filings.append(full_accounts(number, name, made_up, {"current": current, "previous": previous}))
        number, name = companies["brackenfold_holdings"]
        filings.append(full_accounts(number, name, made_up, {"current": {
            "TurnoverRevenue": 2_500_000, "ProfitLossOnOrdinaryActivitiesBeforeTax": 2_100_000,
            "DividendsPaid": 1_800_000, "DirectorRemuneration": 650_000,
            "NetAssetsLiabilities": 12_000_000, "CashBankOnHand": 900_000,
        }}))
        number, name = companies["willowmere_operator"]
        filings.append(full_accounts(number, name, made_up, {"current": {
            "TurnoverRevenue": 22_000_000 + (year - 2022) * 500_000,
            "OperatingLeasePaymentsRecognisedAsExpense": 2_600_000, "StaffCostsEmployeeBenefitsExpense": 13_900_000,
            "AverageNumberEmployeesDuringPeriod": 720, "DirectorRemuneration": 310_000,
            "RemunerationHighestPaidDirector": 180_000, "InterestPayableSimilarChargesFinanceCosts": 250_000,
            "ProfitLossOnOrdinaryActivitiesBeforeTax": 1_300_000 - (year - 2022) * 700_000,
            "NetAssetsLiabilities": 3_500_000 - (year - 2022) * 900_000, "CashBankOnHand": 1_100_000,
            "AmountsOwedToGroupUndertakings": 4_000_000,
        }}))
        number, name = companies["willowmere_landlord"]
        filings.append(Filing(number, name, made_up, "frs105", [  # micro-entity: a balance sheet only
            Fact("NetAssetsLiabilities", 9_400_000 + (year - 2022) * 300_000, instant=True),
            Fact("CashBankOnHand", 210_000, instant=True),
            Fact("AverageNumberEmployeesDuringPeriod", 2, unit="pure"),
        ]))
        if "uk_landlord" in companies:
            number, name = companies["uk_landlord"]
            filings.append(full_accounts(number, name, made_up, {"current": {
                "TurnoverRevenue": 14_800_000, "ProfitLossOnOrdinaryActivitiesBeforeTax": 9_900_000,
                "InterestPayableSimilarChargesFinanceCosts": 3_100_000, "DividendsPaid": 6_000_000,
                "NetAssetsLiabilities": 96_000_000, "CashBankOnHand": 2_300_000,
            }}))
        for role in sorted(r for r in companies if r.startswith("filler_")):
            number, name = companies[role]
            filings.append(full_accounts(number, name, made_up, {"current": {
                "TurnoverRevenue": 400_000, "ProfitLossOnOrdinaryActivitiesBeforeTax": 25_000,
                "NetAssetsLiabilities": 80_000,
            }}))
        zip_bytes = io.BytesIO()
        write_zip(zip_bytes, [(member_name(224, run, f), ixbrl(f)) for f in filings],
                  timestamp=(year + 1, 10, 1, 0, 0, 0))
        members.append((f"Accounts_Monthly_Data-September{year + 1}.zip", zip_bytes.getvalue()))
    return members
