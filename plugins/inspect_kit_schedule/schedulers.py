"""The scheduler plugins: statutory intervals, risk-based, twice-yearly and lay visits."""

from __future__ import annotations

import datetime
import json
import secrets
from typing import Any, Iterator

from inspect_kit import BuildContext, InspectionVisit, PluginError, Scheduler

from .homes import Home, read_homes
from inspect_kit.intervals import FIRST_INSPECTION_MONTHS, add_months, intervals_for
from .planner import Demand, Placed, Planner
from .tables import ScheduleRun
from .team import Calendar, Member, TeamError, parse_days, parse_team, placeholder_team

INTERVAL_DEFAULTS = {"profile": "cqc_2014", "intervals": {}, "first_inspection_months": FIRST_INSPECTION_MONTHS}
PLAN_DEFAULTS = {
    **INTERVAL_DEFAULTS,
    "horizon_weeks": 13,
    "team": [],
    "placeholder_team_size": 8,  # used only while no team is configured
    "visits_per_day": 1,
    "closed_days": [],  # bank holidays and other days nobody visits
    "seed": None,  # None: keep the stored seed, or draw a new one the first time
    "reseed": False,
    "spread_days": 10,  # a date is drawn among the earliest N open days of its window...
    "choices": 3,  # ...this many are drawn, and the one with least travel kept
    "nearest_inspectors": 20,
    "window_weeks": 8,  # a home due later may be visited from this long before its deadline
}


def _days(n: int) -> str:
    return f"{n:,} day" + ("" if n == 1 else "s")


def _settings(scheduler: Scheduler, context: BuildContext) -> dict[str, Any]:
    settings = context.settings(scheduler)
    try:
        settings["_intervals"] = intervals_for(settings)
    except ValueError as error:
        raise PluginError(f"schedulers.{scheduler.name}: {error}") from None
    return settings


def _homes(context: BuildContext, settings: dict) -> list[Home]:
    return read_homes(context.registry.conn, settings["_intervals"], context.today,
                      int(settings["first_inspection_months"]))


class CqcIntervalsScheduler(Scheduler):
    name = "cqc-intervals"
    description = "Each home's next inspection deadline from its rating and last inspection, and how overdue it is."
    version = "1"
    defaults = dict(INTERVAL_DEFAULTS)

    def schedule(self, context: BuildContext) -> Iterator[Any]:
        settings = _settings(self, context)
        today = context.today
        for home in _homes(context, settings):
            due = home.due
            late = due.overdue_days(today)
            when = f"overdue by {_days(late)}" if late else ("due today" if due.due_by == today else f"due by {due.due_by}")
            yield InspectionVisit(
                location_id=home.location_id,
                due_by=due.due_by,
                planned_date=max(due.due_by, today),
                priority=round(due.lateness(today), 4),
                reason=f"{when}: {due.basis}",
                visit_type="inspection",
                overdue_days=late,
            )


class _PlanningScheduler(Scheduler):
    """Shared by the schedulers that date visits for a team: seed, calendar, team, run record."""

    version = "1"
    team_key = "team"
    noun = "inspector"

    def schedule(self, context: BuildContext):
        # Read the stored seed now: the core clears this scheduler's rows before
        # it consumes the generator below.
        settings = _settings(self, context)
        seed = self._seed(context, settings)
        return self._plan(context, settings, seed)

    def _seed(self, context: BuildContext, settings: dict) -> int:
        if settings.get("seed") is not None:
            return int(settings["seed"])
        if not settings.get("reseed"):
            row = None
            try:
                row = context.registry.conn.execute(
                    "SELECT seed FROM schedule_runs WHERE scheduler = ?", (self.name,)).fetchone()
            except Exception:  # the table is created at start-up; be safe on odd registries
                row = None
            if row and row[0]:
                return int(row[0])
        return secrets.randbits(63)

    def _calendar(self, context: BuildContext, settings: dict) -> Calendar:
        try:
            closed = parse_days(settings.get("closed_days"), f"schedulers.{self.name}.closed_days")
        except TeamError as error:
            raise PluginError(str(error)) from None
        end = context.today + datetime.timedelta(weeks=int(settings["horizon_weeks"])) - datetime.timedelta(days=1)
        return Calendar(context.today, end, closed)

    def _team(self, settings: dict, homes: list[Home]) -> list[Member]:
        try:
            team = parse_team(settings.get(self.team_key), settings)
        except TeamError as error:
            raise PluginError(f"schedulers.{self.name}: {error}") from None
        if not team and self.team_key == "team":
            team = placeholder_team(homes, int(settings["placeholder_team_size"]), int(settings["visits_per_day"]))
        return team

    def _planner(self, team, days, settings, seed) -> Planner:
        return Planner(team, days, seed, spread=int(settings["spread_days"]), choices=int(settings["choices"]),
                       nearest_members=int(settings["nearest_inspectors"]))

    def _visit(self, p: Placed, today: datetime.date, due_by=None) -> InspectionVisit:
        d = p.demand
        after_deadline = p.late and p.day > (due_by or d.home.due.due_by) > today
        reason = d.reason + ("; planned after its deadline: no capacity before it" if after_deadline else "")
        return InspectionVisit(
            location_id=d.home.location_id,
            due_by=due_by or d.home.due.due_by,
            planned_date=p.day,
            priority=float(p.rank),
            reason=reason,
            inspector=p.member.id,
            visit_type=d.visit_type,
            announced=d.announced,
            window_start=d.window_start,
            window_end=d.window_end,
            overdue_days=d.home.due.overdue_days(today),
            travel_km=p.travel_km,
        )

    def _run_record(self, context, settings, seed, calendar, days, team, **counts) -> ScheduleRun:
        public = {k: v for k, v in settings.items()
                  if not k.startswith("_") and k not in ("team", "volunteers", "seed")}
        return ScheduleRun(
            made_on=context.today, seed=str(seed), first_day=calendar.start, last_day=calendar.end,
            team=len(team), capacity=sum(m.visits_per_day for m in team for day in days if m.works_on(day)),
            settings=json.dumps(public, sort_keys=True, default=str), **counts,
        )


def order_for_risk(homes: list[Home], today: datetime.date, last_day: datetime.date, min_risk: float = 0.0):
    """The risk-based order, in three tiers: overdue by risk; due in the horizon by deadline; the riskiest rest."""
    overdue = sorted((h for h in homes if h.due.due_by <= today),
                     key=lambda h: (-h.risk, -h.due.lateness(today), h.location_id))
    due_soon = sorted((h for h in homes if today < h.due.due_by <= last_day),
                      key=lambda h: (h.due.due_by, -h.risk, h.location_id))
    rest = sorted((h for h in homes if h.due.due_by > last_day and h.risk > min_risk),
                  key=lambda h: (-h.risk, h.due.due_by, h.location_id))
    return overdue, due_soon, rest


class RiskBasedScheduler(_PlanningScheduler):
    name = "risk-based"
    description = ("A dated plan for an inspection team: overdue homes first by risk, then homes falling due "
                   "by deadline, then the riskiest of the rest, on unpredictable days near each other.")
    defaults = {**PLAN_DEFAULTS, "fill_min_risk": 0.0}

    def _plan(self, context: BuildContext, settings: dict, seed: int) -> Iterator[Any]:
        today = context.today
        homes = _homes(context, settings)
        calendar = self._calendar(context, settings)
        days = calendar.days()
        team = self._team(settings, homes)
        planner = self._planner(team, days, settings, seed)
        overdue, due_soon, rest = order_for_risk(homes, today, calendar.end, float(settings["fill_min_risk"]))
        lead = datetime.timedelta(weeks=int(settings["window_weeks"]))

        unplanned = 0
        # The backlog's window closes on the day the whole team could clear it: the
        # dates are still drawn, but the not-due homes that follow are not pushed back.
        backlog_end = planner.clearing_day(len(overdue)) or calendar.end
        for home in overdue:
            why = f"overdue by {_days(home.due.overdue_days(today))}: {home.due.basis}; {home.flag_text()}"
            if planner.place(Demand(home, today, backlog_end, why)) is None:
                unplanned += 1
        # No home that is not due goes before an overdue one.
        floor = max((planner.index[p.day] for p in planner.placed), default=0)
        overdue_planned = len(planner.placed)
        on_time = 0
        for home in due_soon:
            why = f"due by {home.due.due_by}: {home.due.basis}; {home.flag_text()}"
            placed = planner.place(Demand(home, max(today, home.due.due_by - lead), home.due.due_by, why), floor)
            if placed is None:
                unplanned += 1
            elif not placed.late:
                on_time += 1
        for home in rest:
            why = f"{home.flag_text()}: among the riskiest homes; not due until {home.due.due_by} ({home.due.basis})"
            if planner.place(Demand(home, today, calendar.end, why), floor) is None:
                break  # no capacity left anywhere near it; the rest are less risky
        for placed in planner.finish():
            yield self._visit(placed, today)
        yield self._run_record(
            context, settings, seed, calendar, days, team,
            homes=len(homes), visits=len(planner.placed), overdue=len(overdue), overdue_planned=overdue_planned,
            due_in_horizon=len(due_soon), due_planned_on_time=on_time, unplanned=unplanned,
        )


class TwiceYearlyScheduler(_PlanningScheduler):
    name = "twice-yearly"
    description = ("Policy profile: every home visited twice a year, at least one visit unannounced "
                   "(the pre-2004 NCSC model campaigners ask to restore).")
    defaults = {**PLAN_DEFAULTS, "profile": "twice_yearly", "horizon_weeks": 52, "both_unannounced": False}

    def _plan(self, context: BuildContext, settings: dict, seed: int) -> Iterator[Any]:
        today = context.today
        homes = _homes(context, settings)
        calendar = self._calendar(context, settings)
        days = calendar.days()
        team = self._team(settings, homes)
        planner = self._planner(team, days, settings, seed)
        lead = datetime.timedelta(weeks=int(settings["window_weeks"]))
        # First visits in deadline order (risk breaks ties), then the second ones.
        first = sorted(homes, key=lambda h: (h.due.due_by, -h.risk, h.location_id))
        placed_first: dict[str, Placed] = {}
        unplanned = 0
        for home in first:
            due = max(home.due.due_by, today)
            why = f"first of two visits this year, due by {due}: {home.due.basis}; {home.flag_text()}"
            placed = planner.place(Demand(home, max(today, due - lead), due, why))
            if placed:
                placed_first[home.location_id] = placed
            else:
                unplanned += 1
        for home in first:
            one = placed_first.get(home.location_id)
            if one is None:
                continue
            start, due = add_months(one.day, 4), add_months(one.day, 6)
            if start > calendar.end:
                continue
            why = f"second of two visits this year, six months after the first ({one.day}); {home.flag_text()}"
            planner.place(Demand(home, start, due, why), planner.day_index(start))
        pairs: dict[str, list[Placed]] = {}
        for placed in planner.finish():
            pairs.setdefault(placed.demand.home.location_id, []).append(placed)
        rng = planner.rng
        for visits in pairs.values():
            # Which of the two is announced is drawn too, so neither date is safe to expect.
            announced = None if settings["both_unannounced"] or len(visits) < 2 else rng.randrange(2)
            for i, placed in enumerate(visits):
                placed.demand.announced = i == announced
                due = placed.demand.window_end
                yield self._visit(placed, today, due_by=due)
        yield self._run_record(
            context, settings, seed, calendar, days, team, homes=len(homes), visits=len(planner.placed),
            overdue=sum(1 for h in homes if h.due.due_by <= today), unplanned=unplanned,
        )


class LayVisitsScheduler(_PlanningScheduler):
    """Healthwatch volunteers are not inspectors: their own list, local homes only."""

    name = "lay-visits"
    description = ("Healthwatch 'enter and view' visits by lay volunteers, assigned to nearby homes with "
                   "concerns (poor ratings or risk flags), separate from the inspectors' plan.")
    team_key = "volunteers"
    defaults = {**PLAN_DEFAULTS, "volunteers": [], "max_km": 25, "announced": True,
                "ratings": ["Inadequate", "Requires improvement"]}

    def _plan(self, context: BuildContext, settings: dict, seed: int) -> Iterator[Any]:
        today = context.today
        homes = _homes(context, settings)
        calendar = self._calendar(context, settings)
        days = calendar.days()
        team = self._team(settings, homes)
        if not team:
            return  # no volunteers configured: no lay visits
        planner = self._planner(team, days, settings, seed)
        concern = {r.lower() for r in settings["ratings"]}
        chosen = sorted((h for h in homes if h.risk > 0 or (h.rating or "").lower() in concern),
                        key=lambda h: (-h.risk, (h.rating or "").lower() not in concern, h.location_id))
        unplanned = 0
        for home in chosen:
            rated = f"rated {home.rating}" if home.rating else "not rated"
            why = f"enter and view: {rated}; {home.flag_text()}"
            if planner.place(Demand(home, today, calendar.end, why, bool(settings["announced"]), "lay_visit")) is None:
                unplanned += 1
        for placed in planner.finish():
            yield self._visit(placed, today)
        yield self._run_record(context, settings, seed, calendar, days, team, homes=len(chosen),
                               visits=len(planner.placed), unplanned=unplanned)
