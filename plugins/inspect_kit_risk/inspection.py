"""Overdue inspections: the last inspection is older than its rating's interval.

Deadlines come from ``inspect_kit.intervals``, the same rules the schedulers
plan by, so a home the scorer calls overdue is one the schedulers put first.
Profiles and intervals can be replaced in ``[scorers.overdue_inspection]``.
"""

from __future__ import annotations

from typing import Any, Iterator

from inspect_kit import BuildContext, Scorer
from inspect_kit.intervals import FIRST_INSPECTION_MONTHS, due_date, intervals_for

from . import reading
from .flags import make_flag, source_row


class OverdueInspectionScorer(Scorer):
    name = "overdue_inspection"
    description = "Flags homes whose last inspection is older than the interval their rating calls for."
    version = "2"
    defaults = {"profile": "cqc_2014", "intervals": {}, "first_inspection_months": FIRST_INSPECTION_MONTHS}

    def score(self, context: BuildContext) -> Iterator[Any]:
        settings = context.settings(self)
        intervals = intervals_for(settings)
        today = context.today
        for location_id, home in reading.homes(context.registry.conn).items():
            due = due_date(home, intervals, today, settings["first_inspection_months"])
            late = due.overdue_days(today)
            if not late:
                continue
            rating = (home["rating"] or "").strip() if home["last_inspection_date"] else "never inspected"
            yield make_flag(
                "care_home", location_id, "overdue_inspection",
                score=min(1.0, 0.3 + due.lateness(today)),
                settings=settings,
                rule=f"inspect within {due.months} months ({rating}; profile {settings['profile']})",
                threshold={"months": due.months, "rating": rating, "profile": settings["profile"]},
                explanation=f"This home was due an inspection by {due.due_by} ({due.basis}) and is {late:,} days overdue.",
                due_by=due.due_by.isoformat(),
                days_overdue=late,
                sources=[source_row("care_homes", home, "location_id", "rating", "last_inspection_date",
                                    "registration_date")],
            )
