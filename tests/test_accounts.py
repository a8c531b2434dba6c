"""Company accounts: collecting filings, the figures per company and group, the flags, the report.

The filings are small hand-made documents in the Accounts Data Product's real
shape (``datasets/accounts.py``); every figure below is worked out by hand.
"""

import csv
import datetime
import json
import zipfile

import pytest
from click.testing import CliRunner
from risk_graphs import Graph, by_flag, company, run_scorer, table

from datasets.accounts import Fact, Filing, full_accounts, ixbrl, member_name, write_zip, xbrl
from inspect_kit import BuildContext, CareHome, Entity, Provider, Relationship, Title, TitleProprietor
from inspect_kit.cli import cli
from inspect_kit_accounts.collector import AccountsCollector
from inspect_kit_accounts.concepts import TABLE
from inspect_kit_accounts.figures import AccountsFigures, company_years
from inspect_kit_accounts.filings import parse_name
from inspect_kit_accounts.flags import AccountsScorer
from inspect_kit_accounts.parse import parse
from inspect_kit_accounts.report import money_table

OPCO, PROPCO, HOLD, ELSEWHERE = "00000001", "00000002", "00000003", "09999999"
OWNER = "GB-PSC-OWNER1"


def opco_2023():
    return full_accounts(OPCO, "SUNNY CARE LIMITED", datetime.date(2023, 12, 31), {
        "current": {"TurnoverRevenue": 900_000, "OperatingLeasePaymentsRecognisedAsExpense": 200_000,
                    "ProfitLossOnOrdinaryActivitiesBeforeTax": -20_000, "NetAssetsLiabilities": -50_000},
        "previous": {"TurnoverRevenue": 800_000, "ProfitLossOnOrdinaryActivitiesBeforeTax": 10_000},
    })


def opco_2024():
    return full_accounts(OPCO, "SUNNY CARE LIMITED", datetime.date(2024, 12, 31), {
        "current": {
            "TurnoverRevenue": 1_000_000, "OperatingLeasePaymentsRecognisedAsExpense": 300_000,
            "ProfitLossOnOrdinaryActivitiesBeforeTax": -50_000, "DirectorRemuneration": 120_000,
            "RemunerationHighestPaidDirector": 80_000, "InterestPayableSimilarChargesFinanceCosts": 40_000,
            "InterestPayableSimilarChargesFinanceCosts@core:GroupUndertakings": 30_000,
            "OtherInterestReceivableSimilarIncomeFinanceIncome": 10_000, "DividendsPaid": 20_000,
            "StaffCostsEmployeeBenefitsExpense": 500_000, "AverageNumberEmployeesDuringPeriod": 25,
            "NetAssetsLiabilities": -100_000, "CashBankOnHand": 15_000, "AmountsOwedToGroupUndertakings": 400_000,
        },
        # the 2023 comparative, restated: more rent, a larger loss
        "previous": {"TurnoverRevenue": 900_000, "OperatingLeasePaymentsRecognisedAsExpense": 210_000,
                     "ProfitLossOnOrdinaryActivitiesBeforeTax": -30_000},
    })


def propco_micro():
    return Filing(PROPCO, "SUNNY ESTATES LIMITED", datetime.date(2024, 12, 31), "frs105", [
        Fact("NetAssetsLiabilities", 500_000, instant=True), Fact("CashBankOnHand", 5_000, instant=True),
        Fact("AverageNumberEmployeesDuringPeriod", 0, unit="pure"),
    ])


def hold_xbrl():
    return full_accounts(HOLD, "SUNNY HOLDINGS LIMITED", datetime.date(2024, 12, 31), {"current": {
        "TurnoverRevenue": 50_000, "ProfitLossOnOrdinaryActivitiesBeforeTax": 40_000, "DividendsPaid": 35_000,
        "DirectorRemuneration": 10_000, "NetAssetsLiabilities": 2_000_000}})


def elsewhere():
    return full_accounts(ELSEWHERE, "NOT ON THE GRAPH LIMITED", datetime.date(2024, 12, 31),
                         {"current": {"TurnoverRevenue": 1}})


@pytest.fixture
def product(tmp_path):
    """A monthly product zip and a loose PDF filing."""
    path = tmp_path / "Accounts_Monthly_Data-September2025.zip"
    write_zip(path, [
        (member_name(224, 1, opco_2023()), ixbrl(opco_2023())),
        (member_name(224, 2, opco_2024()), ixbrl(opco_2024())),
        (member_name(224, 2, propco_micro()), ixbrl(propco_micro())),
        (member_name(224, 2, hold_xbrl(), "xml"), xbrl(hold_xbrl())),
        (member_name(224, 2, elsewhere()), ixbrl(elsewhere())),
        ("Prod224_0002_00000003_20231231.html", b"<html><body><p>Scanned accounts</p></body></html>"),
        ("readme.txt", b"not a filing"),
    ])
    pdf = tmp_path / "Prod223_0009_00000003_20221231.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    return path, pdf


@pytest.fixture
def graph(tmp_path):
    g = Graph(tmp_path)
    g.collect(
        company(OPCO, "SUNNY CARE LIMITED"), company(PROPCO, "SUNNY ESTATES LIMITED"),
        company(HOLD, "SUNNY HOLDINGS LIMITED", accounts_next_due=datetime.date(2024, 3, 1)),
        company(ELSEWHERE, "NOT ON THE GRAPH LIMITED", accounts_next_due=datetime.date(2024, 1, 1)),
        Entity(id=OWNER, name="Jane Sunny", entity_type="person"),
        Relationship(id="r1", subject_id=f"GB-COH-{OPCO}", interested_party_id=f"GB-COH-{HOLD}",
                     interest_type="shareholding"),
        Relationship(id="r2", subject_id=f"GB-COH-{PROPCO}", interested_party_id=f"GB-COH-{HOLD}",
                     interest_type="shareholding"),
        Relationship(id="r3", subject_id=f"GB-COH-{HOLD}", interested_party_id=OWNER, interest_type="shareholding"),
        Provider(provider_id="P1", name="Sunny Care Limited", company_number=OPCO),
        CareHome(location_id="1-001", name="Sunny View", provider_id="P1"),
        Title(title_number="T1", tenure="Freehold"),
        TitleProprietor(title_number="T1", position=1, name="SUNNY ESTATES LIMITED", company_number=PROPCO),
    )
    g.link_provider("P1", f"GB-COH-{OPCO}")
    g.link_proprietor("T1", 1, f"GB-COH-{PROPCO}")
    g.home_title("1-001", "T1")
    for number in (OPCO, PROPCO, HOLD):
        g.owner(f"GB-COH-{number}", OWNER)
    registry = g.resolve()
    yield registry
    registry.close()


def collect(registry, *files, **options):
    return registry.collect(AccountsCollector(), files=list(files), options=options)


def build(registry, config=None, today=datetime.date(2024, 6, 1)):
    resolver = AccountsFigures()
    with registry.transaction():
        registry.store_results(resolver, resolver.resolve(BuildContext(registry, today=today)))
    return run_scorer(registry, AccountsScorer(), config, today=today)


def rows(registry, subject_type="company"):
    return {(r["subject_id"], r["financial_year"]): r for r in table(registry, "company_accounts")
            if r["subject_type"] == subject_type}


def test_file_names_carry_company_and_made_up_date():
    name = parse_name("Prod224_0078_00007464_20190930.html")
    assert (name.filing_id, name.run_code, name.company_number, name.made_up_date, name.format) == (
        "Prod224_0078_00007464_20190930", "Prod224_0078", "00007464", datetime.date(2019, 9, 30), "ixbrl")
    assert parse_name("Prod223_3052_SC123456_20231231.xml").format == "xbrl"
    assert parse_name("Prod223_3052_00012345_20231331.html") is None  # no 31st month
    assert parse_name("BasicCompanyData-2024-05-01.csv") is None


def test_filings_off_the_graph_are_skipped_unread(graph, product, monkeypatch):
    opened = []
    real = zipfile.ZipFile.read
    monkeypatch.setattr(zipfile.ZipFile, "read", lambda self, info, *a: opened.append(
        getattr(info, "filename", info)) or real(self, info, *a))
    collect(graph, *product)
    filings = {r["filing_id"]: r for r in table(graph, "accounts_filings")}
    assert not any(ELSEWHERE in f for f in filings) and not any(ELSEWHERE in name for name in opened)
    assert len(opened) == 5  # four filings and the scanned page of the three companies on the graph
    assert filings["Prod224_0002_00000001_20241231"]["facts"] == 17
    assert filings["Prod224_0002_00000003_20241231"]["format"] == "xbrl"


def test_every_filing_is_listed_and_the_unreadable_say_why(graph, product):
    collect(graph, *product)
    filings = {r["filing_id"]: r for r in table(graph, "accounts_filings")}
    scanned = filings["Prod224_0002_00000003_20231231"]
    assert scanned["machine_readable"] == 0 and scanned["not_machine_readable_reason"] == "no numeric facts tagged"
    pdf = filings["Prod223_0009_00000003_20221231"]
    assert pdf["machine_readable"] == 0 and pdf["format"] == "pdf" and "PDF" in pdf["not_machine_readable_reason"]
    micro = filings["Prod224_0002_00000002_20241231"]
    assert micro["accounting_standard"] == "frs105" and micro["profit_and_loss_published"] == 0
    assert filings["Prod224_0002_00000001_20241231"]["profit_and_loss_published"] == 1
    fact = next(r for r in table(graph, "accounts_facts") if r["concept"] == "InterestPayableSimilarChargesFinanceCosts"
                and r["members"])
    assert fact["value"] == 30_000 and fact["period_start"] == "2024-01-01" and fact["unit"] == "iso4217:GBP"
    assert fact["members"] == "core:GroupCompanyDimension=core:GroupUndertakings" and fact["run_id"]


def test_the_same_product_twice_changes_nothing(graph, product):
    collect(graph, *product)
    before = table(graph, "accounts_facts")
    report = collect(graph, *product)
    assert report.changed == 0 and table(graph, "accounts_facts") == before


def test_company_figures_by_hand(graph, product):
    collect(graph, *product)
    build(graph)
    opco = rows(graph)[(f"GB-COH-{OPCO}", 2024)]
    assert (opco["turnover"], opco["rent"], opco["profit_before_tax"], opco["directors_pay"]) == (
        1_000_000, 300_000, -50_000, 120_000)
    assert (opco["interest_payable"], opco["interest_receivable"], opco["net_interest"]) == (40_000, 10_000, 30_000)
    assert opco["related_party_interest"] == 30_000 and opco["dividends_paid"] == 20_000
    assert opco["leakage"] == 400_000  # -50,000 + 300,000 + 120,000 + 30,000
    assert opco["leakage_per_100"] == pytest.approx(40.0)
    assert opco["rent_share"] == pytest.approx(0.3)
    assert opco["rent_cover"] == pytest.approx(280_000 / 300_000)
    assert opco["director_employee_pay_ratio"] == pytest.approx(4.0)  # 80,000 / (500,000 / 25)
    assert opco["net_assets"] == -100_000 and opco["net_liabilities"] == 100_000
    assert opco["cash"] == 15_000 and opco["owed_to_group"] == 400_000
    assert opco["filing_id"] == "Prod224_0002_00000001_20241231" and opco["group_id"] == OWNER
    source = json.loads(opco["sources"])["rent"]
    assert source == {"filing_id": "Prod224_0002_00000001_20241231",
                      "concept": "OperatingLeasePaymentsRecognisedAsExpense", "context": source["context"]}
    # 2022 exists only as the 2023 filing's comparative
    assert rows(graph)[(f"GB-COH-{OPCO}", 2022)]["profit_before_tax"] == 10_000


def test_a_restated_figure_is_a_new_version_not_an_overwrite(graph, product):
    collect(graph, *product)
    build(graph)
    year = rows(graph)[(f"GB-COH-{OPCO}", 2023)]
    assert year["rent"] == 210_000 and year["profit_before_tax"] == -30_000 and year["restated"] == 1
    restated = {r["measure"]: r for r in json.loads(year["restatements"])}
    assert restated["rent"] == {"measure": "rent", "value": 210_000, "filing_id": "Prod224_0002_00000001_20241231",
                                "was": 200_000, "was_filing_id": "Prod224_0001_00000001_20231231"}
    assert year["filing_id"] == "Prod224_0001_00000001_20231231"  # the year's own filing is still its filing
    originals = [r for r in table(graph, "accounts_facts") if r["concept"] == "OperatingLeasePaymentsRecognisedAsExpense"
                 and r["period_end"] == "2023-12-31"]
    assert sorted(r["value"] for r in originals) == [200_000, 210_000]  # both filings' facts are kept


def test_micro_entity_accounts_publish_no_profit_and_loss_never_zero(graph, product):
    collect(graph, *product)
    build(graph)
    micro = rows(graph)[(f"GB-COH-{PROPCO}", 2024)]
    assert micro["profit_and_loss_published"] == 0 and "micro-entity" in micro["not_published"]
    for figure in ("turnover", "rent", "profit_before_tax", "directors_pay", "leakage", "leakage_per_100"):
        assert micro[figure] is None, figure
    assert micro["net_assets"] == 500_000 and micro["net_liabilities"] == 0


def test_group_figures_sum_the_companies_under_one_owner(graph, product):
    collect(graph, *product)
    build(graph)
    group = rows(graph, "group")[(OWNER, 2024)]
    assert group["name"] == "Jane Sunny" and group["companies"] == 3
    assert group["turnover"] == 1_050_000 and group["profit_before_tax"] == -10_000
    assert group["rent"] == 300_000 and group["directors_pay"] == 130_000 and group["dividends_paid"] == 55_000
    assert group["leakage"] == 450_000 and group["leakage_per_100"] == pytest.approx(450_000 / 1_050_000 * 100)
    assert group["net_assets"] == 2_400_000


def test_flags_with_evidence_and_words(graph, product):
    collect(graph, *product)
    found = build(graph)
    opco = f"GB-COH-{OPCO}"
    net = by_flag(found, "net_liabilities")
    assert set(net) == {opco}
    assert net[opco]["evidence"]["filing_id"] == "Prod224_0002_00000001_20241231"
    assert net[opco]["evidence"]["concept"] == "NetAssetsLiabilities"
    assert "net liabilities of £100,000" in net[opco]["explanation"]
    loss = by_flag(found, "loss_making")[opco]
    assert [y["financial_year"] for y in loss["evidence"]["years"]] == [2023, 2024]
    assert "2023: -£30,000, 2024: -£50,000" in loss["explanation"]
    rent = by_flag(found, "high_rent_burden")[opco]
    assert rent["evidence"]["rent"]["concept"] == "OperatingLeasePaymentsRecognisedAsExpense"
    assert "30% of its income" in rent["explanation"]
    assert [t["rent_share"] for t in rent["evidence"]["trend"]] == [round(210_000 / 900_000, 4), 0.3]
    assert set(by_flag(found, "no_public_pl")) == {f"GB-COH-{PROPCO}"}
    overdue = by_flag(found, "accounts_overdue")
    assert set(overdue) == {f"GB-COH-{HOLD}"}  # the company off the graph is not flagged
    assert overdue[f"GB-COH-{HOLD}"]["evidence"]["days_overdue"] == 92
    assert overdue[f"GB-COH-{HOLD}"]["evidence"]["register_as_of"] == "2024-01-01"
    assert overdue[f"GB-COH-{HOLD}"]["explanation"].endswith("are 92 days overdue (the register as of 2024-01-01).")


def test_flag_thresholds_are_settings(graph, product):
    collect(graph, *product)
    found = build(graph, {"loss_years": 3, "rent_share": 0.35})
    assert not by_flag(found, "loss_making") and not by_flag(found, "high_rent_burden")


def test_report_money_prints_the_group_table(graph, product):
    collect(graph, *product)
    build(graph)
    table_rows = money_table(graph.conn, "P1")
    roles = {(r["role"], r["company_number"]) for r in table_rows}
    assert roles == {("operator", OPCO), ("landlord", PROPCO), ("holding", HOLD)}
    db = str(graph.path)
    graph.close()
    result = CliRunner().invoke(cli, ["report", "money", "--db", db, "--provider", "P1"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    operator_2024 = next(line for line in lines if line.startswith("operator") and " 2024 " in line)
    assert "1,000,000" in operator_2024 and "300,000" in operator_2024 and "-50,000" in operator_2024
    assert "Prod224_0002_00000001_20241231" in operator_2024
    assert "not published" in next(line for line in lines if line.startswith("landlord"))
    assert any(line.startswith("operator") and " 2023* " in line for line in lines)
    assert lines[-1].startswith("* a later filing restated figures of this year")
    result = CliRunner().invoke(cli, ["report", "money", "--db", db, "--provider", "NOPE"])
    assert result.exit_code != 0 and "no provider 'NOPE'" in result.output


MAPPING = list(csv.DictReader(open(TABLE, encoding="utf-8")))


@pytest.mark.parametrize("row", MAPPING, ids=[f"{r['measure']}-{r['concept']}-{r['member']}" for r in MAPPING])
def test_each_concept_mapping_reads_a_filing(row):
    """Each row of the table, tagged as its taxonomy tags it, gives its measure."""
    taxonomy = ("ifrs" if "IFRS" in row["taxonomies"] and "FRS 102" not in row["taxonomies"]
                else "uk-gaap" if row["taxonomies"].startswith("UK GAAP") else "frs102")
    instant = row["measure"] in {"net_assets", "cash", "owed_to_group"}
    filing = Filing(OPCO, "SUNNY CARE LIMITED", datetime.date(2024, 3, 31), taxonomy, [
        Fact(row["concept"], 12_345, instant=instant, member=row["member"] or None),
    ])
    for document in (ixbrl(filing), xbrl(filing)):
        facts = parse(document).facts
        assert len(facts) == 1
        fact = facts[0]
        years = company_years([{
            "filing_id": "F1", "company_number": OPCO, "concept": fact.concept, "members": fact.members,
            "context_id": fact.context_id, "period_start": fact.period_start and fact.period_start.isoformat(),
            "period_end": fact.period_end.isoformat(), "value": fact.value, "made_up_date": "2024-03-31",
            "accounting_standard": "frs102", "profit_and_loss_published": 1,
        }])
        assert years[OPCO][2024][row["measure"]] == 12_345


def test_a_corporate_psc_leads_up_to_its_company_before_any_build(tmp_path):
    """The PSC snapshot names a corporate owner as its own entity with a company number."""
    from inspect_kit_accounts.graph import graph_companies

    g = Graph(tmp_path)
    g.collect(
        Provider(provider_id="P1", name="Sunny Care Limited", company_number=OPCO),
        Entity(id=f"GB-COH-{OPCO}/psc/abc", name="SUNNY HOLDINGS LIMITED", entity_type="company",
               jurisdiction="GB", company_number=HOLD.lstrip("0")),
        Entity(id=f"GB-COH-{OPCO}/psc/xyz", name="OFFSHORE HOLDINGS LIMITED", entity_type="company",
               jurisdiction="JE", company_number="12345"),
        Relationship(id="r1", subject_id=f"GB-COH-{OPCO}", interested_party_id=f"GB-COH-{OPCO}/psc/abc",
                     interest_type="shareholding"),
        Relationship(id="r2", subject_id=f"GB-COH-{OPCO}", interested_party_id=f"GB-COH-{OPCO}/psc/xyz",
                     interest_type="shareholding"),
    )
    assert graph_companies(g.registry.conn) == {OPCO: "operator", HOLD: "holding"}  # not Jersey's 12345
    g.registry.close()


def test_latest_downloads_the_newest_daily_file(graph, product, httpserver, tmp_path):
    page = ('<a href="Accounts_Bulk_Data-2025-09-29.zip">29</a>'
            '<a href="Accounts_Bulk_Data-2025-09-30.zip">30</a>')
    httpserver.expect_request("/en_accountsdata.html").respond_with_data(page, content_type="text/html")
    httpserver.expect_request("/Accounts_Bulk_Data-2025-09-30.zip").respond_with_data(product[0].read_bytes())
    db = str(graph.path)
    graph.close()
    result = CliRunner().invoke(cli, ["collect", "companies-house-accounts", "--db", db, "--latest",
                                      "--latest-from", httpserver.url_for("/en_accountsdata.html"),
                                      "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    from inspect_kit.registry import Registry

    registry = Registry.open(db)
    assert registry.conn.execute("select count(*) from accounts_filings").fetchone()[0] == 5
    runs = registry.conn.execute("select source from collection_runs where collector = ?",
                                 ["companies-house-accounts"]).fetchall()
    assert len(runs) == 1 and "Accounts_Bulk_Data-2025-09-30.zip" in runs[0][0]
    registry.close()


def test_the_operators_money_flags_count_in_its_homes_risk_scores(graph, product):
    from inspect_kit_risk.combine import RiskScoresScorer

    collect(graph, *product)
    build(graph)
    run_scorer(graph, RiskScoresScorer())
    score = {r["location_id"]: r for r in table(graph, "risk_scores")}["1-001"]
    contributions = {c["flag"]: c for c in json.loads(score["contributions"])}
    assert set(contributions) == {"net_liabilities", "loss_making", "high_rent_burden"}
    assert contributions["net_liabilities"]["scorer"] == "accounts"


def test_the_datasette_query_links_each_figure_to_its_filing(graph, product):
    import asyncio

    from inspect_kit_datasette.publish import make_datasette

    collect(graph, *product)
    build(graph)
    db = graph.path
    graph.close()
    datasette = make_datasette(str(db), secret="s")

    async def fetch():
        response = await datasette.client.get(f"/{db.stem}/operator_money?provider_id=P1")
        return response.status_code, response.text

    status, html = asyncio.run(fetch())
    assert status == 200
    assert f'href="/{db.stem}/accounts_filings/Prod224_0002_00000001_20241231"' in html


def test_bad_input_is_one_line_naming_the_file_and_changes_nothing(graph, product, tmp_path):
    from inspect_kit import SourceError

    collect(graph, product[0])
    before = table(graph, "accounts_facts")
    broken = tmp_path / "Accounts_Bulk_Data-2025-10-01.zip"
    broken.write_bytes(product[0].read_bytes()[:300])
    with pytest.raises(SourceError, match=r"Accounts_Bulk_Data-2025-10-01.zip: not a readable zip file"):
        collect(graph, product[1], broken)  # the PDF before it is not kept either
    stray = tmp_path / "accounts.html"
    stray.write_bytes(ixbrl(opco_2024()))
    with pytest.raises(SourceError, match=r"accounts.html: not an accounts filing name"):
        collect(graph, stray)
    assert table(graph, "accounts_facts") == before
    assert "Prod223_0009_00000003_20221231" not in {r["filing_id"] for r in table(graph, "accounts_filings")}


def test_a_community_interest_companys_filing_is_a_zip_of_its_own(graph, tmp_path):
    """Real daily files hold ``Prod223_3951_<number>_<date>_CIC.zip``: accounts plus the CIC34 report."""
    package = tmp_path / "package.zip"
    write_zip(package, [(f"CIC-{OPCO}/accounts/financialStatement.xhtml", ixbrl(opco_2024())),
                        (f"CIC-{OPCO}/cic34/cicReport.xhtml", b"<html><body>CIC report</body></html>")])
    product = tmp_path / "Accounts_Bulk_Data-2025-05-03.zip"
    write_zip(product, [("Prod223_3951_00000001_20241231_CIC.zip", package.read_bytes()),
                        ("__MACOSX/._Prod223_3951_00000001_20241231_CIC.zip", b"\x00\x05\x16\x07")])
    assert parse_name("Prod223_3951_00000001_20241231.zip") is None  # only a CIC's filing is a zip
    collect(graph, product)
    (filing,) = table(graph, "accounts_filings")
    assert filing["filing_id"] == "Prod223_3951_00000001_20241231_CIC" and filing["facts"] == 17
