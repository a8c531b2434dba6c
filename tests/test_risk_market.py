import json
import random

import pytest
from risk_graphs import Graph, by_flag, run_scorer, table

from inspect_kit import CareHome, Entity, Provider
from inspect_kit_risk.alternatives import AlternativesScorer, Grid, haversine_km
from inspect_kit_risk.market import MarketOversightScorer


def _group_graph(tmp_path, local_authorities):
    """Two providers owned by one person: 20 homes of 60 beds (1,200 beds) across the given LAs,
    and a small independent provider in the first LA."""
    g = Graph(tmp_path)
    records = [
        Provider(provider_id="PA", name="ALPHA CARE LTD", company_number="00000101"),
        Provider(provider_id="PB", name="BETA CARE LTD", company_number="00000102"),
        Provider(provider_id="PC", name="SMALL CARE LTD", company_number="00000103"),
        Entity(id="person-big", name="Carol Example", entity_type="person"),
    ]
    for n in range(20):
        records.append(CareHome(location_id=f"1-5{n:02d}", name=f"Home {n}", provider_id="PA" if n < 10 else "PB",
                                beds=60, local_authority=f"LA {n % local_authorities}", status="Registered"))
    records.append(CareHome(location_id="1-600", name="Small", provider_id="PC", beds=30,
                            local_authority="LA 0", status="Registered"))
    g.collect(*records)
    for provider, number in (("PA", "00000101"), ("PB", "00000102"), ("PC", "00000103")):
        g.link_provider(provider, f"GB-COH-{number}")
    g.owner("GB-COH-00000101", "person-big")
    g.owner("GB-COH-00000102", "person-big", share_min=50, share_max=75)
    g.owner("GB-COH-00000103", "person-small")
    g.owner("GB-COH-00000103", "person-minor", share_min=10, share_max=25)
    return g.resolve()


def test_difficult_to_replace_counts_beds_across_the_ultimate_owners_group(tmp_path):
    registry = _group_graph(tmp_path, local_authorities=16)
    found = by_flag(run_scorer(registry, MarketOversightScorer()), "difficult_to_replace")
    assert set(found) == {f"1-5{n:02d}" for n in range(20)}  # not the small provider's home
    group = found["1-500"]["evidence"]["groups"][0]
    assert group == {"group_id": "person-big", "group_name": "Carol Example", "group_kind": "ultimate_owner",
                     "homes": 20, "beds": 1200, "local_authorities": 16,
                     "rule": "1,000 to 1,999 beds in at least 16 local authorities"}
    assert "1,200 beds in 16 local authorities" in found["1-500"]["explanation"]


def test_fifteen_local_authorities_are_not_enough(tmp_path):
    registry = _group_graph(tmp_path, local_authorities=15)
    assert not by_flag(run_scorer(registry, MarketOversightScorer()), "difficult_to_replace")
    # but the thresholds are configurable
    found = run_scorer(registry, MarketOversightScorer(), {"beds_threshold": 1200})
    assert len(by_flag(found, "difficult_to_replace")) == 20


def test_group_exposure_per_local_authority(tmp_path):
    registry = _group_graph(tmp_path, local_authorities=16)
    run_scorer(registry, MarketOversightScorer())
    rows = {(r["group_id"], r["local_authority"]): r for r in table(registry, "group_exposure")}
    big = rows[("person-big", "LA 0")]
    # LA 0 has homes 0 and 16 of the group (120 beds) and the small home (30 beds)
    assert (big["homes"], big["beds"], big["la_homes"], big["la_beds"]) == (2, 120, 3, 150)
    assert big["share_of_la_beds"] == 0.8 and big["difficult_to_replace"] == 1
    assert json.loads(big["location_ids"]) == ["1-500", "1-516"]
    assert rows[("provider:PA", "LA 0")]["beds"] == 60 and rows[("provider:PA", "LA 0")]["group_name"] == "ALPHA CARE LTD"
    assert rows[("person-small", "LA 0")]["beds"] == 30
    # a minority owner does not make a group: min_share is 50 by default
    assert not [r for r in rows if r[0] == "person-minor"]


def _map_graph(tmp_path):
    g = Graph(tmp_path)
    nursing, residential = '["Care home service with nursing"]', '["Care home service without nursing"]'
    homes = [
        # the home we look from, run by PA
        ("1-700", "PA", 53.80, -1.55, "Inadequate", nursing),
        ("1-701", "PB", 53.81, -1.55, "Good", nursing),           # ~1.1 km
        ("1-702", "PB", 53.90, -1.55, "Outstanding", nursing),    # ~11 km
        ("1-703", "PA", 53.80, -1.551, "Good", nursing),          # same provider: not an alternative
        ("1-704", "PC", 53.802, -1.55, "Requires improvement", nursing),  # not Good or Outstanding
        ("1-705", "PC", 53.803, -1.55, "Good", residential),      # other service type
        ("1-706", "PD", 54.40, -1.55, "Good", nursing),           # ~67 km
    ]
    g.collect(*[CareHome(location_id=i, name=i, provider_id=p, latitude=lat, longitude=lon, rating=r,
                         service_types=s, beds=30, local_authority="Leeds" if lat < 54 else "Darlington",
                         status="Registered") for i, p, lat, lon, r, s in homes])
    return g.resolve()


def test_nearest_alternatives_same_service_good_or_outstanding_outside_the_group(tmp_path):
    registry = _map_graph(tmp_path)
    run_scorer(registry, AlternativesScorer(), {"count": 3})
    rows = [r for r in table(registry, "alternative_homes", "location_id, rank") if r["location_id"] == "1-700"]
    assert [r["alternative_id"] for r in rows] == ["1-701", "1-702", "1-706"]
    assert rows[0]["distance_km"] == pytest.approx(1.11, abs=0.01)
    assert rows[1]["distance_km"] == pytest.approx(11.12, abs=0.02)
    assert rows[2]["distance_miles"] == pytest.approx(66.7 / 1.609344, abs=0.2)
    assert rows[2]["same_local_authority"] == 0
    assert json.loads(rows[0]["service_types"]) == ["care home service with nursing"]


def test_grid_search_agrees_with_brute_force():
    rng = random.Random(7)
    points = [(rng.uniform(50.0, 55.5), rng.uniform(-5.5, 1.7), n) for n in range(400)]
    grid = Grid(points, cell=0.2)
    for lat, lon, me in points[:60]:
        accept = lambda other, me=me: other != me and other % 3 != 0  # noqa: E731
        brute = sorted((haversine_km(lat, lon, a, b), n) for a, b, n in points if accept(n))[:5]
        assert grid.nearest(lat, lon, 5, accept) == brute


def test_a_group_that_size_with_net_liabilities_is_a_different_risk(tmp_path):
    from inspect_kit_accounts.figures import AccountsFigures
    from inspect_kit_accounts.records import CompanyAccounts

    registry = _group_graph(tmp_path, local_authorities=16)
    plain = by_flag(run_scorer(registry, MarketOversightScorer()), "difficult_to_replace")["1-500"]
    assert "net_liabilities" not in plain["evidence"]
    accounts = [CompanyAccounts(subject_type="group", subject_id="person-big", financial_year=year,
                                net_assets=net_assets, filing_id=f"F{year}")
                for year, net_assets in ((2023, 100_000.0), (2024, -2_500_000.0))]
    with registry.transaction():
        registry.store_results(AccountsFigures(), accounts)
    flag = by_flag(run_scorer(registry, MarketOversightScorer()), "difficult_to_replace")["1-500"]
    assert flag["evidence"]["net_liabilities"] == [{"group_id": "person-big", "financial_year": 2024,
                                                    "net_liabilities": 2_500_000.0, "filing_id": "F2024",
                                                    "subject_id": "person-big"}]
    assert "net liabilities of £2,500,000" in flag["explanation"] and flag["score"] > plain["score"]
