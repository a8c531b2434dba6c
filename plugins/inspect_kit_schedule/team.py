"""The people who visit: inspectors or lay visitors, their bases, capacity and leave.

A team comes from the build config::

    [schedulers.risk-based]
    closed_days = ["2026-12-25", "2026-12-28"]     # bank holidays, for everyone
    [[schedulers.risk-based.team]]
    id = "INS-01"
    latitude = 51.45
    longitude = -2.59
    visits_per_day = 1
    leave = ["2026-12-21..2027-01-01", "2027-02-16"]
    working_days = ["Mon", "Tue", "Wed", "Thu"]    # default Mon-Fri
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from inspect_kit.intervals import to_date

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class TeamError(ValueError):
    """The team in the config cannot be used; the message names the member and field."""


@dataclass
class Member:
    id: str
    latitude: float
    longitude: float
    visits_per_day: int = 1
    working_days: frozenset[int] = frozenset(range(5))  # Monday = 0
    leave: frozenset[datetime.date] = frozenset()
    max_km: float | None = None  # lay visitors stay local

    def works_on(self, day: datetime.date) -> bool:
        return day.weekday() in self.working_days and day not in self.leave


def parse_days(values, where: str) -> set[datetime.date]:
    """``["2026-12-24", "2026-12-29..2027-01-02"]`` -> the set of dates (ranges inclusive)."""
    days: set[datetime.date] = set()
    for value in values or ():
        text = str(value)
        first, _, last = text.partition("..")
        start, end = to_date(first.strip()), to_date(last.strip()) if last else to_date(first.strip())
        if start is None or end is None or end < start:
            raise TeamError(f"{where}: {text!r} is not a date or a range like 2026-12-21..2027-01-01")
        while start <= end:
            days.add(start)
            start += datetime.timedelta(days=1)
    return days


def parse_team(entries, defaults: dict | None = None) -> list[Member]:
    defaults = defaults or {}
    members, seen = [], set()
    for n, entry in enumerate(entries or (), start=1):
        where = f"team member {n}"
        if not isinstance(entry, dict):
            raise TeamError(f"{where}: expected a table with id, latitude, longitude")
        member_id = str(entry.get("id") or "").strip()
        if not member_id:
            raise TeamError(f"{where}: no id")
        where = f"team member {member_id!r}"
        if member_id in seen:
            raise TeamError(f"{where}: id used twice")
        seen.add(member_id)
        try:
            lat, lon = float(entry["latitude"]), float(entry["longitude"])
        except (KeyError, TypeError, ValueError):
            raise TeamError(f"{where}: latitude and longitude (of the home base) must be numbers") from None
        per_day = entry.get("visits_per_day", defaults.get("visits_per_day", 1))
        if not isinstance(per_day, int) or per_day < 1:
            raise TeamError(f"{where}: visits_per_day must be a whole number of at least 1")
        names = entry.get("working_days", defaults.get("working_days", WEEKDAYS[:5]))
        try:
            working = frozenset(WEEKDAYS.index(str(d).strip().lower()[:3]) for d in names)
        except ValueError:
            raise TeamError(f"{where}: working_days must be names like Mon, Tue") from None
        max_km = entry.get("max_km", defaults.get("max_km"))
        members.append(Member(member_id, lat, lon, per_day, working,
                              frozenset(parse_days(entry.get("leave"), f"{where} leave")),
                              float(max_km) if max_km is not None else None))
    return members


def placeholder_team(homes: list, size: int, visits_per_day: int = 1) -> list[Member]:
    """A stand-in team based at evenly spread homes, so a plan appears before a team is configured."""
    located = sorted((h for h in homes if h.latitude is not None), key=lambda h: (h.latitude, h.longitude, h.location_id))
    if not located or size < 1:
        return []
    step = len(located) / size
    picks = [located[int(i * step + step / 2)] for i in range(min(size, len(located)))]
    return [Member(f"inspector-{i + 1:02d}", h.latitude, h.longitude, visits_per_day)
            for i, h in enumerate(picks)]


@dataclass
class Calendar:
    """The working days of a plan: weekdays from the first day, less the team's closed days."""

    start: datetime.date
    end: datetime.date
    closed: set[datetime.date] = field(default_factory=set)

    def days(self) -> list[datetime.date]:
        out, day = [], self.start
        while day <= self.end:
            if day.weekday() < 5 and day not in self.closed:
                out.append(day)
            day += datetime.timedelta(days=1)
        return out
