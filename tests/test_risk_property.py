import pytest
from risk_graphs import Graph, by_flag, company, operator_graph, run_scorer

from inspect_kit import CareHome, Provider, Title, TitleProprietor
from inspect_kit_risk.property import (
    ChargedPropertyScorer,
    LandlordStatusScorer,
    OpcoPropcoScorer,
    SaleAndLeasebackScorer,
    SpecialPurposeLandlordScorer,
    TitleChurnScorer,
)


@pytest.fixture
def registry(tmp_path):
    reg = operator_graph(tmp_path)
    yield reg
    reg.close()


def test_opco_propco_split(registry):
    found = by_flag(run_scorer(registry, OpcoPropcoScorer()), "opco_propco_split")
    assert "1-010" not in found  # the operator owns its building
    assert "1-005" not in found  # no title known
    assert "1-001" in found and "1-009" in found
    outside, sister = found["1-001"], found["1-009"]
    assert outside["evidence"]["landlords"][0]["same_group"] is False
    assert sister["evidence"]["landlords"][0]["same_group"] is True
    assert outside["score"] > sister["score"]
    assert "outside the operator's group" in outside["explanation"]


def test_dissolved_landlord(registry):
    found = run_scorer(registry, LandlordStatusScorer())
    assert set(by_flag(found, "dissolved_landlord")) == {"1-007"}
    flag = by_flag(found, "dissolved_landlord")["1-007"]
    assert "2021-03-04" in flag["explanation"] and flag["severity"] == "high"


def _leaseback_graph(tmp_path, registered="2012-04-01", seller_number="00000001"):
    g = Graph(tmp_path)
    home = CareHome(location_id="1-100", name="Rose House", provider_id="P1", status="Registered",
                    registration_date=registered, beds=40)
    provider = Provider(provider_id="P1", name="SUNSET CARE LTD", company_number="00000001")
    before = [Title(title_number="TT100", date_proprietor_added="2009-02-01"),
              TitleProprietor(title_number="TT100", position=1, name="SELLER", company_number=seller_number)]
    after = [Title(title_number="TT100", date_proprietor_added="2016-07-15"),
             TitleProprietor(title_number="TT100", position=1, name="REIT PROPCO LTD", company_number="00000021")]
    g.collect(home, provider, company("00000001", "SUNSET CARE LTD"), company("00000021", "REIT PROPCO LTD"),
              *before, as_of="2015-01-01")
    g.collect(*after, as_of="2017-01-01")
    g.link_provider("P1", "GB-COH-00000001")
    g.link_proprietor("TT100", 1, "GB-COH-00000021")
    g.home_title("1-100", "TT100")
    g.path("GB-COH-00000001", ["GB-COH-00000001", "person-1"], "person")
    g.path("GB-COH-00000021", ["GB-COH-00000021", "GB-COH-00000050"], "listed_company")
    return g.resolve()


def test_sale_and_leaseback_from_title_history(tmp_path):
    registry = _leaseback_graph(tmp_path)
    found = by_flag(run_scorer(registry, SaleAndLeasebackScorer()), "sale_and_leaseback")
    flag = found["1-100"]
    assert flag["evidence"]["transferred_on"] == "2016-07-15"
    assert flag["evidence"]["seller"]["entity_id"] == "GB-COH-00000001"
    history = [s for s in flag["evidence"]["sources"] if s["table"] == "title_proprietors_history"]
    assert history and history[0]["valid_from"] == "2015-01-01" and history[0]["valid_to"] == "2017-01-01"
    assert "SUNSET CARE LTD kept running the home" in flag["explanation"]


def test_no_leaseback_when_the_seller_was_an_outsider(tmp_path):
    registry = _leaseback_graph(tmp_path, seller_number="00000077")
    assert not run_scorer(registry, SaleAndLeasebackScorer())


def test_no_leaseback_when_the_operator_came_after_the_sale(tmp_path):
    registry = _leaseback_graph(tmp_path, registered="2018-01-01")
    assert not run_scorer(registry, SaleAndLeasebackScorer())


def _churn_graph(tmp_path):
    g = Graph(tmp_path)
    g.collect(CareHome(location_id="1-200", name="Elm", provider_id="P1", status="Registered"), as_of="2014-01-01")
    for year, (number, name) in zip([2015, 2017, 2019, 2022], [("00000031", "A LTD"), ("00000032", "B LTD"),
                                                                ("00000033", "C LTD"), ("00000034", "D LTD")]):
        g.collect(Title(title_number="TT200", date_proprietor_added=f"{year - 1}-11-30"),
                  TitleProprietor(title_number="TT200", position=1, name=name, company_number=number),
                  as_of=f"{year}-01-01")
    g.home_title("1-200", "TT200")
    return g.resolve()


def test_title_churn_within_the_window(tmp_path):
    registry = _churn_graph(tmp_path)
    flag = by_flag(run_scorer(registry, TitleChurnScorer()), "title_churn")["1-200"]
    # four proprietors since 2014: four dates added, three changes seen between snapshots
    assert flag["evidence"]["dates_proprietor_added"] == ["2014-11-30", "2016-11-30", "2018-11-30", "2021-11-30"]
    assert flag["evidence"]["proprietor_changes_seen"] == ["2017-01-01", "2019-01-01", "2022-01-01"]
    assert "changed proprietor 4 times since 2014-06-01" in flag["explanation"]
    assert flag["evidence"]["threshold"] == {"min_changes": 3, "window_years": 10, "since": "2014-06-01"}


def test_title_churn_window_and_minimum_are_configurable(tmp_path):
    registry = _churn_graph(tmp_path)
    assert not run_scorer(registry, TitleChurnScorer(), {"window_years": 3})
    assert not run_scorer(registry, TitleChurnScorer(), {"min_changes": 5})


def test_charged_property_from_counts_and_charges(registry):
    registry.conn.execute("UPDATE entities SET mortgages_outstanding = 2 WHERE id = 'GB-COH-00000012'")
    found = by_flag(run_scorer(registry, ChargedPropertyScorer()), "charged_property")
    assert set(found) == {"1-002", "1-008"}  # IVY PROPERTIES holds both titles
    assert found["1-002"]["evidence"]["title_numbers_quoted"] == []

    registry.conn.executemany(
        "INSERT INTO charges (charge_id, company_number, status, particulars, run_id) VALUES (?, ?, ?, ?, ?)", [
        ("c1", "00000011", "outstanding", "F/Hold - rose house,leeds; tt 0001. Together with all buildings", 9),
        ("c2", "00000011", "fully-satisfied", "TT0001", 9),
        ("c3", "00000019", "part-satisfied", "All the property known as pine manor, title TT00099", 9),
    ])
    found = by_flag(run_scorer(registry, ChargedPropertyScorer()), "charged_property")
    assert found["1-001"]["evidence"]["title_numbers_quoted"] == [{"charge": "c1", "title_number": "TT0001"}]
    assert [c["charge_id"] for c in found["1-001"]["evidence"]["landlords"][0]["charges"]] == ["c1"]
    assert "names this home's title TT0001" in found["1-001"]["explanation"]
    assert found["1-009"]["evidence"]["title_numbers_quoted"] == []  # TT00099 is not TT0009
    assert found["1-001"]["score"] > found["1-009"]["score"]


def test_special_purpose_landlord(registry):
    registry.conn.execute("""UPDATE entities SET sic_codes = '["68209 - Other letting and operating of own or leased real estate"]'
                             WHERE id = 'GB-COH-00000011'""")
    registry.conn.execute("UPDATE entities SET accounts_category = 'DORMANT' WHERE id = 'GB-COH-00000014'")
    registry.conn.execute("""UPDATE entities SET sic_codes = '["87100 - Residential nursing care facilities"]',
                             accounts_category = 'FULL' WHERE id = 'GB-COH-00000012'""")
    found = by_flag(run_scorer(registry, SpecialPurposeLandlordScorer()), "special_purpose_landlord")
    assert set(found) == {"1-001", "1-004"}
    sign = found["1-001"]["evidence"]["landlords"][0]["signs"][0]
    assert sign["sic_codes"] == ["68209"] and sign["care_home_share"] == 1.0
    # a property company that also holds many other titles is an ordinary landlord
    registry.conn.executemany(
        "INSERT INTO title_proprietors (title_number, position, entity_id, name, company_number, valid_from) "
        "VALUES (?, 1, 'GB-COH-00000011', 'ROSE PROPCO LTD', '00000011', '2024-01-01')",
        [(f"XX{i}",) for i in range(5)])
    found = by_flag(run_scorer(registry, SpecialPurposeLandlordScorer()), "special_purpose_landlord")
    assert set(found) == {"1-004"}


def test_special_purpose_landlord_counts_unlinked_titles_by_company_number(registry):
    """A proprietor no resolver linked still holds its titles, through the company its number names."""
    registry.conn.execute("""UPDATE entities SET sic_codes = '["68209 - Other letting and operating of own or leased real estate"]'
                             WHERE id = 'GB-COH-00000011'""")
    assert "1-001" in by_flag(run_scorer(registry, SpecialPurposeLandlordScorer()), "special_purpose_landlord")
    registry.conn.executemany(
        "INSERT INTO title_proprietors (title_number, position, name, company_number, valid_from) "
        "VALUES (?, 1, 'ROSE PROPCO LTD', '11', '2024-01-01')",  # not linked, number unpadded
        [(f"XX{i}",) for i in range(5)])
    assert "1-001" not in by_flag(run_scorer(registry, SpecialPurposeLandlordScorer()), "special_purpose_landlord")
