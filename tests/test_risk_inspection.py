import datetime

from risk_graphs import Graph, by_flag, run_scorer

from inspect_kit import CareHome
from inspect_kit_risk.inspection import OverdueInspectionScorer


def _graph(tmp_path):
    g = Graph(tmp_path)
    g.collect(
        CareHome(location_id="1-1", name="Good, late", rating="Good", last_inspection_date="2022-01-01", status="Registered"),
        CareHome(location_id="1-2", name="Outstanding, in time", rating="Outstanding",
                 last_inspection_date="2023-01-01", status="Registered"),
        CareHome(location_id="1-3", name="Never inspected", registration_date="2022-01-31", status="Registered"),
        CareHome(location_id="1-4", name="Inadequate, late", rating="Inadequate", last_inspection_date="2023-09-01",
                 status="Registered"),
        CareHome(location_id="1-5", name="Closed", rating="Inadequate", last_inspection_date="2015-01-01",
                 status="Deregistered"),
    )
    return g.resolve()


def test_overdue_by_rating_interval(tmp_path):
    found = by_flag(run_scorer(_graph(tmp_path), OverdueInspectionScorer()), "overdue_inspection")
    assert set(found) == {"1-1", "1-3", "1-4"}
    good = found["1-1"]
    assert good["evidence"]["due_by"] == "2023-07-01"
    assert good["evidence"]["days_overdue"] == (datetime.date(2024, 6, 1) - datetime.date(2023, 7, 1)).days
    assert good["evidence"]["threshold"] == {"months": 18, "rating": "Good", "profile": "cqc_2014"}
    assert found["1-3"]["evidence"]["due_by"] == "2023-01-31"
    assert "never inspected" in found["1-3"]["explanation"]


def test_profiles_and_intervals_are_configurable(tmp_path):
    registry = _graph(tmp_path)
    found = by_flag(run_scorer(registry, OverdueInspectionScorer(), {"profile": "cqc_2017"}), "overdue_inspection")
    assert "1-1" not in found  # Good: 30 months
    found = by_flag(run_scorer(registry, OverdueInspectionScorer(), {"intervals": {"Inadequate": 12}}),
                    "overdue_inspection")
    assert "1-4" not in found

