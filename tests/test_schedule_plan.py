"""The hard rules of a team plan, checked on generated registries."""

import datetime
from collections import Counter, defaultdict

import pytest
from schedule_registry import TODAY, load, make_homes, team

from inspect_kit import BuildContext, PluginError
from inspect_kit_schedule.geo import km
from inspect_kit_schedule.schedulers import CqcIntervalsScheduler, LayVisitsScheduler, RiskBasedScheduler, TwiceYearlyScheduler

LEAVE = {"INS-01": ["2026-11-30..2026-12-11"], "INS-02": ["2026-11-24"]}


def plan(registry, scheduler, settings, today=TODAY):
    context = BuildContext(registry, config={"schedulers": {scheduler.name: settings}}, today=today)
    with registry.transaction():
        registry.store_results(scheduler, scheduler.schedule(context))
    cursor = registry.conn.execute(
        "select * from inspection_schedule where scheduler = ? order by planned_date, inspector, location_id",
        (scheduler.name,))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


@pytest.fixture
def homes_registry(registry):
    homes, risk = make_homes(400, seed=3)
    return load(registry, homes, risk)


@pytest.fixture
def tight(homes_registry):
    """Capacity for about half of the homes: the plan must choose."""
    return plan(homes_registry, RiskBasedScheduler(), {"team": team(3, 1, LEAVE), "seed": 11})


@pytest.fixture
def ample(homes_registry):
    return plan(homes_registry, RiskBasedScheduler(), {"team": team(10, 2, LEAVE), "seed": 11})


@pytest.mark.parametrize("which", ["tight", "ample"])
def test_no_inspector_over_capacity_on_leave_or_at_weekends(request, which):
    visits = request.getfixturevalue(which)
    per_day = 1 if which == "tight" else 2
    assert visits
    assert max(Counter((v["inspector"], v["planned_date"]) for v in visits).values()) <= per_day
    for v in visits:
        day = datetime.date.fromisoformat(v["planned_date"])
        assert day.weekday() < 5
        assert not (v["inspector"] == "INS-01" and "2026-11-30" <= v["planned_date"] <= "2026-12-11")
        assert not (v["inspector"] == "INS-02" and v["planned_date"] == "2026-11-24")
        assert v["window_start"] <= v["planned_date"]
        assert TODAY.isoformat() <= v["planned_date"] < (TODAY + datetime.timedelta(weeks=13)).isoformat()


@pytest.mark.parametrize("which", ["tight", "ample"])
def test_every_overdue_home_before_any_home_not_due(request, which):
    visits = request.getfixturevalue(which)
    overdue = [v["planned_date"] for v in visits if v["due_by"] <= TODAY.isoformat()]
    not_due = [v["planned_date"] for v in visits if v["due_by"] > TODAY.isoformat()]
    assert overdue and not_due
    assert max(overdue) <= min(not_due)


def test_spare_capacity_goes_to_the_riskiest(homes_registry):
    plan(homes_registry, CqcIntervalsScheduler(), {})
    tight = plan(homes_registry, RiskBasedScheduler(), {"team": team(4, 1), "seed": 11})
    overdue, overdue_planned, capacity, visits = homes_registry.conn.execute(
        "select overdue, overdue_planned, capacity, visits from schedule_runs where scheduler = 'risk-based'"
    ).fetchone()
    assert visits == len(tight) <= capacity
    assert overdue_planned == overdue  # the backlog fits in a quarter
    horizon_end = (TODAY + datetime.timedelta(weeks=13)).isoformat()
    risk = dict(homes_registry.conn.execute("select location_id, score from risk_scores"))
    due = dict(homes_registry.conn.execute(
        "select location_id, due_by from inspection_schedule where scheduler = 'cqc-intervals'"))
    planned = {v["location_id"] for v in tight}
    # Not due in the horizon: capacity goes to the riskiest first.
    fill = [risk.get(v["location_id"], 0) for v in tight if v["due_by"] > horizon_end]
    left = [score for lid, score in risk.items() if lid not in planned and due.get(lid, "") > horizon_end]
    assert fill and left, "tight capacity should leave some flagged homes out"
    assert min(fill) >= max(left)


def test_inadequate_homes_within_their_interval_when_capacity_allows(homes_registry, ample):
    # Capacity allows unless a home falls due while the overdue backlog is still being cleared.
    backlog_cleared = max(v["planned_date"] for v in ample if v["due_by"] <= TODAY.isoformat())
    due = [v for v in ample if "rated Inadequate" in v["reason"] and v["due_by"] > backlog_cleared]
    assert due, "the generated registry should have Inadequate homes falling due"
    for v in due:
        assert v["planned_date"] <= v["due_by"], v
    late = [v for v in ample if v["due_by"] > backlog_cleared and v["planned_date"] > v["due_by"]]
    assert late == []
    assert backlog_cleared <= "2026-12-04"  # 20 visits a day clear the generated backlog within two weeks


def test_reasons_state_deadline_and_flags(ample):
    for v in ample:
        assert v["reason"]
        assert ("overdue by" in v["reason"]) or ("due by" in v["reason"]) or ("not due until" in v["reason"])
        assert ("risk " in v["reason"]) or ("no risk flags" in v["reason"])
        assert v["inspector"] and v["travel_km"] is not None and v["announced"] == 0
    assert any("untraceable_landlord" in v["reason"] for v in ample)


def test_same_seed_same_plan_different_seed_different_plan(homes_registry):
    settings = {"team": team(4, 2), "seed": 7}
    key = lambda rows: [(v["location_id"], v["planned_date"], v["inspector"]) for v in rows]  # noqa: E731
    first = key(plan(homes_registry, RiskBasedScheduler(), settings))
    again = key(plan(homes_registry, RiskBasedScheduler(), settings))
    other = key(plan(homes_registry, RiskBasedScheduler(), {**settings, "seed": 8}))
    assert first == again
    assert first != other
    assert homes_registry.conn.execute("select seed from schedule_runs where scheduler = 'risk-based'").fetchone() == ("8",)


def test_stored_seed_is_kept_until_reseed(homes_registry):
    first = plan(homes_registry, RiskBasedScheduler(), {"team": team(4, 2)})
    seed = homes_registry.conn.execute("select seed from schedule_runs").fetchone()[0]
    again = plan(homes_registry, RiskBasedScheduler(), {"team": team(4, 2)})
    assert homes_registry.conn.execute("select seed from schedule_runs").fetchone()[0] == seed
    assert [v["planned_date"] for v in first] == [v["planned_date"] for v in again]
    plan(homes_registry, RiskBasedScheduler(), {"team": team(4, 2), "reseed": True})
    assert homes_registry.conn.execute("select seed from schedule_runs").fetchone()[0] != seed


def test_visits_on_one_day_are_near_each_other(homes_registry):
    visits = plan(homes_registry, RiskBasedScheduler(), {"team": team(5, 3), "seed": 2})
    homes = {r[0]: (r[1], r[2]) for r in homes_registry.conn.execute(
        "select location_id, latitude, longitude from care_homes")}
    days = defaultdict(list)
    for v in visits:
        days[(v["inspector"], v["planned_date"])].append(homes[v["location_id"]])
    same_day = [km(*a, *b) for stops in days.values() for i, a in enumerate(stops) for b in stops[i + 1:]]
    located = list(homes.values())
    any_pair = [km(*located[i], *located[i + 7]) for i in range(len(located) - 7)]
    assert same_day
    assert sum(same_day) / len(same_day) < 0.3 * sum(any_pair) / len(any_pair)


def test_placeholder_team_when_none_configured(homes_registry):
    visits = plan(homes_registry, RiskBasedScheduler(), {"seed": 1, "placeholder_team_size": 3})
    assert {v["inspector"] for v in visits} == {"inspector-01", "inspector-02", "inspector-03"}


def test_bad_team_is_a_clear_error(homes_registry):
    with pytest.raises(PluginError, match="team member 'X': latitude and longitude"):
        plan(homes_registry, RiskBasedScheduler(), {"team": [{"id": "X", "latitude": "north"}]})
    with pytest.raises(PluginError, match="'2026-13-01' is not a date"):
        plan(homes_registry, RiskBasedScheduler(), {"team": team(1), "closed_days": ["2026-13-01"]})


def test_twice_yearly_two_visits_at_least_one_unannounced(homes_registry):
    visits = plan(homes_registry, TwiceYearlyScheduler(), {"team": team(12, 2), "seed": 4})
    by_home = defaultdict(list)
    for v in visits:
        by_home[v["location_id"]].append(v)
    assert max(len(vs) for vs in by_home.values()) == 2
    pairs = [vs for vs in by_home.values() if len(vs) == 2]
    assert len(pairs) > len(by_home) / 2
    for vs in by_home.values():
        assert any(v["announced"] == 0 for v in vs)
    for first, second in pairs:
        gap = datetime.date.fromisoformat(second["planned_date"]) - datetime.date.fromisoformat(first["planned_date"])
        assert gap.days >= 118  # four months at least
    assert {v["announced"] for vs in pairs for v in vs} == {0, 1}


def test_lay_visits_use_volunteers_near_home(homes_registry):
    volunteers = [{"id": "HW-1", "latitude": 51.45, "longitude": -2.59, "visits_per_day": 1,
                   "working_days": ["Tue", "Thu"]}]
    visits = plan(homes_registry, LayVisitsScheduler(), {"volunteers": volunteers, "seed": 3, "max_km": 40})
    assert visits
    homes = {r[0]: r[1:] for r in homes_registry.conn.execute("select location_id, latitude, longitude from care_homes")}
    for v in visits:
        assert v["inspector"] == "HW-1" and v["visit_type"] == "lay_visit"
        assert datetime.date.fromisoformat(v["planned_date"]).weekday() in (1, 3)
        assert km(51.45, -2.59, *homes[v["location_id"]]) <= 40
        assert "enter and view" in v["reason"]
    assert plan(homes_registry, LayVisitsScheduler(), {"seed": 3}) == []
