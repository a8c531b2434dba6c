"""Inspection schedulers: statutory intervals, risk-based team plans, twice-yearly and lay visits.

Settings come from ``[schedulers.NAME]`` sections of the build config; see
docs/scheduling.md. The plans (``inspection_schedule``) and their seeds
(``schedule_runs``) are confidential: unannounced visits stay unannounced only
while nobody outside the team can read them.
"""

from inspect_kit import Query, hookimpl

from .backtest import add_commands
from .schedulers import CqcIntervalsScheduler, LayVisitsScheduler, RiskBasedScheduler, TwiceYearlyScheduler
from .tables import ScheduleRun

SCHEDULERS = (CqcIntervalsScheduler, RiskBasedScheduler, TwiceYearlyScheduler, LayVisitsScheduler)


@hookimpl
def register_schedulers(register):
    for scheduler in SCHEDULERS:
        register(scheduler())


@hookimpl
def register_tables(register):
    register(ScheduleRun)


@hookimpl
def register_commands(cli):
    add_commands(cli)


@hookimpl
def register_queries(register):
    register(
        Query(
            name="week_plan",
            title="An inspection team's plan for a week",
            description="Every visit a scheduler planned from a given Monday for five days, by inspector and "
            "day, with the home, its deadline and why it was chosen.",
            sql="""
select s.planned_date, strftime('%w', s.planned_date) as weekday, s.inspector, s.location_id, h.name,
       h.postcode, h.rating, s.due_by, s.overdue_days, s.announced, s.travel_km, s.reason
from inspection_schedule s left join care_homes h on h.location_id = s.location_id
where s.scheduler = :scheduler and s.planned_date >= :monday and s.planned_date < date(:monday, '+7 days')
order by s.inspector, s.planned_date, s.travel_km
""",
            private=True,
        )
    )
