"""When each home is due: inspection intervals by rating, as data.

Shared by the schedulers, which plan visits, and the overdue-inspection scorer,
which flags homes past their deadline: one definition of "due" for both.

Profiles come from domain research §1.1, §7.2 and §8, in months. They are
defaults, not law: a team replaces or extends them in ``[schedulers.NAME]`` (or ``[scorers.overdue_inspection]``)
of the build config (``profile = "cqc_2017"``, ``intervals = {Good = 24}``).
``cqc_2017``'s 30-month figure is unverified; ``fsa_like`` maps the FSA's
A-E food categories onto ratings for comparison.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

PROFILES: dict[str, dict[str, int]] = {
    "cqc_2014": {"Outstanding": 24, "Good": 18, "Requires improvement": 12, "Inadequate": 6},
    "cqc_2017": {"Outstanding": 30, "Good": 30, "Requires improvement": 12, "Inadequate": 6},
    "fsa_like": {"Outstanding": 24, "Good": 18, "Requires improvement": 12, "Inadequate": 6, "Not rated": 36},
    # The pre-2004 NCSC model: every home twice a year, whatever its rating.
    "twice_yearly": {"Outstanding": 6, "Good": 6, "Requires improvement": 6, "Inadequate": 6},
}
FIRST_INSPECTION_MONTHS = 12  # a new registration is inspected within 12 months (NAO, §1.1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``2026-08-31`` + 6 months -> ``2027-02-28``: the month end when the day does not exist."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def to_date(value) -> datetime.date | None:
    if not value:
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def intervals_for(settings: dict) -> dict[str, tuple[str, int]]:
    """Lower-cased rating -> (rating as written, months), from a profile plus overrides."""
    profile = settings.get("profile", "cqc_2014")
    if profile not in PROFILES and not settings.get("intervals"):
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown interval profile {profile!r}; choose one of: {known}")
    merged = {**PROFILES.get(profile, {}), **(settings.get("intervals") or {})}
    return {rating.lower(): (rating, int(months)) for rating, months in merged.items()}


@dataclass(frozen=True)
class Due:
    """A home's deadline and the rule that set it, in words a provider could check."""

    due_by: datetime.date
    months: int | None  # the interval; None when due at once
    basis: str  # e.g. "rated Inadequate, 6-month interval (last inspected 2026-01-05)"
    since: datetime.date | None  # the date the interval counts from

    def overdue_days(self, today: datetime.date) -> int:
        return max((today - self.due_by).days, 0)

    def lateness(self, today: datetime.date) -> float:
        """Days overdue as a share of the interval: 0.5 = half an interval late."""
        span = max((self.due_by - self.since).days, 1) if self.since else 180
        return self.overdue_days(today) / span


def due_date(home: dict, intervals: dict[str, tuple[str, int]], today: datetime.date,
             first_months: int = FIRST_INSPECTION_MONTHS) -> Due:
    """When a home must next be inspected.

    Inspected and rated: last inspection + its rating's interval. Never
    inspected: 12 months after registration, so a home registered over a year
    ago without an inspection is overdue (CQC's 2025 priority); with no
    registration date, due today. A rating with no interval in the profile counts
    from the last inspection with the longest interval the profile has.
    """
    last = to_date(home.get("last_inspection_date"))
    rating = (home.get("rating") or "").strip()
    registered = to_date(home.get("registration_date"))
    if last:
        known = intervals.get(rating.lower())
        if known is None:
            label = f"rated {rating!r}" if rating else "not rated"
            months = max(m for _, m in intervals.values())
            return Due(add_months(last, months), months,
                       f"{label}, {months}-month interval (longest in the profile; last inspected {last})", last)
        label, months = known
        return Due(add_months(last, months), months,
                   f"rated {label}, {months}-month interval (last inspected {last})", last)
    if registered:
        due = add_months(registered, first_months)
        late = "" if due > today else " (overdue)"
        return Due(due, first_months,
                   f"never inspected, registered {registered}: first inspection within {first_months} months{late}",
                   registered)
    return Due(today, None, "never inspected and no registration date: due now", None)
