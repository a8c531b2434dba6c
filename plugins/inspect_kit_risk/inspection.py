"""Overdue inspections: the last inspection is older than its rating's interval.

Intervals are profiles from domain research §1.1 and §8, in months, and can be
replaced in the config file. ``cqc_2014`` is CQC's published post-2014 model;
``cqc_2017``'s 30-month figure is unverified. A home never inspected is due
``first_inspection_months`` after registration.
"""

from __future__ import annotations

import datetime
from typing import Any, Iterator

from inspect_kit import BuildContext, Scorer

from . import reading
from .flags import make_flag, source_row

PROFILES = {
    "cqc_2014": {"Outstanding": 24, "Good": 18, "Requires improvement": 12, "Inadequate": 6},
    "cqc_2017": {"Outstanding": 30, "Good": 30, "Requires improvement": 12, "Inadequate": 6},
}


def add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def _date(value) -> datetime.date | None:
    if not value:
        return None
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value)[:10])


class OverdueInspectionScorer(Scorer):
    name = "overdue_inspection"
    description = "Flags homes whose last inspection is older than the interval their rating calls for."
    version = "1"
    defaults = {"profile": "cqc_2014", "intervals": {}, "first_inspection_months": 12}

    def score(self, context: BuildContext) -> Iterator[Any]:
        settings = context.settings(self)
        intervals = {**PROFILES.get(settings["profile"], {}), **settings["intervals"]}
        by_rating = {k.lower(): (k, v) for k, v in intervals.items()}
        today = context.today
        for location_id, home in reading.homes(context.registry.conn).items():
            last = _date(home["last_inspection_date"])
            rating = (home["rating"] or "").strip()
            known = by_rating.get(rating.lower())
            if last and known:
                label, months = known
                since, why = last, f"last inspected {last}, rated {label}"
            elif not last and _date(home["registration_date"]):
                label, months = "never inspected", settings["first_inspection_months"]
                since, why = _date(home["registration_date"]), f"registered {home['registration_date']} and never inspected"
            else:
                continue  # no rating with an interval, or nothing to count from
            due = add_months(since, int(months))
            if due >= today:
                continue
            late = (today - due).days
            interval_days = max((due - since).days, 1)
            yield make_flag(
                "care_home", location_id, "overdue_inspection",
                score=min(1.0, 0.3 + late / interval_days),
                settings=settings,
                rule=f"inspect within {months} months ({label}; profile {settings['profile']})",
                threshold={"months": months, "rating": label, "profile": settings["profile"]},
                explanation=f"This home was due an inspection by {due} ({why}) and is {late:,} days overdue.",
                due_by=due.isoformat(),
                days_overdue=late,
                sources=[source_row("care_homes", home, "location_id", "rating", "last_inspection_date",
                                    "registration_date")],
            )
