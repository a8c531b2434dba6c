import datetime

import pytest
from schedule_registry import TODAY, load

from inspect_kit import BuildContext, CareHome, PluginError
from inspect_kit.intervals import add_months, due_date, intervals_for
from inspect_kit_schedule.schedulers import CqcIntervalsScheduler

D = datetime.date
CQC_2014 = intervals_for({"profile": "cqc_2014"})


def test_due_by_rating_interval():
    due = due_date({"rating": "Inadequate", "last_inspection_date": "2026-03-01"}, CQC_2014, TODAY)
    assert due.due_by == D(2026, 9, 1)
    assert due.overdue_days(TODAY) == (TODAY - D(2026, 9, 1)).days
    assert "rated Inadequate, 6-month interval" in due.basis
    good = due_date({"rating": "Good", "last_inspection_date": "2026-01-31"}, CQC_2014, TODAY)
    assert good.due_by == D(2027, 7, 31) and good.overdue_days(TODAY) == 0


def test_never_inspected_homes():
    recent = due_date({"registration_date": "2026-06-10"}, CQC_2014, TODAY)
    assert recent.due_by == D(2027, 6, 10) and recent.overdue_days(TODAY) == 0
    old = due_date({"registration_date": "2024-01-15"}, CQC_2014, TODAY)
    assert old.due_by == D(2025, 1, 15) and old.overdue_days(TODAY) > 300
    undated = due_date({}, CQC_2014, TODAY)
    assert undated.due_by == TODAY and "due now" in undated.basis


def test_profiles_and_overrides():
    cqc_2017 = intervals_for({"profile": "cqc_2017", "intervals": {"Inadequate": 3}})
    home = {"rating": "Good", "last_inspection_date": "2026-01-01"}
    assert due_date(home, cqc_2017, TODAY).due_by == D(2028, 7, 1)
    assert due_date({"rating": "Inadequate", "last_inspection_date": "2026-01-01"}, cqc_2017, TODAY).due_by == D(2026, 4, 1)
    with pytest.raises(ValueError, match="unknown interval profile 'cqc_1999'"):
        intervals_for({"profile": "cqc_1999"})


def test_add_months_month_end():
    assert add_months(D(2026, 8, 31), 6) == D(2027, 2, 28)


def test_cqc_intervals_lists_every_home_with_what_is_overdue(registry):
    load(registry, [
        CareHome(location_id="1-1", name="A", rating="Inadequate", last_inspection_date="2026-04-09", status="Registered"),
        CareHome(location_id="1-2", name="B", rating="Good", last_inspection_date="2026-01-10", status="Registered"),
        CareHome(location_id="1-3", name="C", rating="Good", last_inspection_date="2020-01-10", status="Deregistered"),
    ])
    scheduler = CqcIntervalsScheduler()
    context = BuildContext(registry, today=TODAY)
    with registry.transaction():
        registry.store_results(scheduler, scheduler.schedule(context))
    rows = {r[0]: r[1:] for r in registry.conn.execute(
        "select location_id, due_by, planned_date, overdue_days, reason from inspection_schedule")}
    assert set(rows) == {"1-1", "1-2"}
    assert rows["1-1"] == ("2026-10-09", TODAY.isoformat(), 45,
                           "overdue by 45 days: rated Inadequate, 6-month interval (last inspected 2026-04-09)")
    assert rows["1-2"][:3] == ("2027-07-10", "2027-07-10", 0)


def test_bad_profile_in_config_is_a_plugin_error(registry):
    scheduler = CqcIntervalsScheduler()
    context = BuildContext(registry, config={"schedulers": {"cqc-intervals": {"profile": "nope"}}}, today=TODAY)
    with pytest.raises(PluginError, match="schedulers.cqc-intervals: unknown interval profile 'nope'"):
        list(scheduler.schedule(context))
