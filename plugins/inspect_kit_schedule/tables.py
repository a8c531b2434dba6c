"""The table this plugin adds: one row per scheduler run, with its private seed.

Confidential, like ``inspection_schedule``: with the seed and the registry
anyone could recompute the dates of unannounced visits. Publish neither to
anonymous users.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from inspect_kit import Record, col


@dataclass(kw_only=True)
class ScheduleRun(Record):
    __table__ = "schedule_runs"
    __key__ = ("scheduler",)
    __derived__ = True
    __producer__ = "scheduler"
    __private__ = True
    __description__ = (
        "Confidential: each scheduler's last plan, its private seed, team and what it could not fit."
    )

    scheduler: str | None = None
    made_on: datetime.date | None = col("The day the plan was made (build --today)")
    seed: str | None = col("Private seed the visit dates were drawn with: the same seed gives the same plan")
    first_day: datetime.date | None = None
    last_day: datetime.date | None = col("End of the horizon")
    team: int | None = col("Inspectors or lay visitors in the plan")
    capacity: int | None = col("Visits the team could make in the horizon")
    homes: int | None = col("Homes considered")
    visits: int | None = col("Visits planned")
    overdue: int | None = col("Homes overdue on made_on")
    overdue_planned: int | None = None
    due_in_horizon: int | None = col("Homes falling due within the horizon")
    due_planned_on_time: int | None = None
    unplanned: int | None = col("Homes overdue or due in the horizon that did not fit")
    settings: str | None = col("JSON: the settings used, the team excepted")
