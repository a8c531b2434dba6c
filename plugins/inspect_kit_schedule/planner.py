"""Placing visits into (working day, team member) slots under capacity.

The schedulers decide *which* homes and *in what order*; the planner decides
*when* and *who*. It is greedy and explainable: each visit, in order, takes a
day among the earliest few open days of its window (drawn with the private
seed, so the date cannot be worked out from public data), then the day and
member whose base or whose other visits that day are nearest. No member is
ever given more visits than ``visits_per_day``, a day off, or leave.
"""

from __future__ import annotations

import bisect
import datetime
import random
from dataclasses import dataclass, field

from .geo import km, nearest
from .homes import Home
from .team import Member


@dataclass
class Demand:
    """One visit a scheduler wants: a home, the days it may fall on, and why."""

    home: Home
    window_start: datetime.date
    window_end: datetime.date  # the deadline; the planner goes later only if it must
    reason: str
    announced: bool = False
    visit_type: str = "inspection"


@dataclass
class Placed:
    demand: Demand
    day: datetime.date
    member: Member
    late: bool  # after window_end: there was no capacity before it
    travel_km: float | None = None
    rank: int = 0


@dataclass
class Planner:
    members: list[Member]
    days: list[datetime.date]  # the plan's working days, ascending
    seed: int
    spread: int = 10  # draw among the earliest N open days of a window...
    choices: int = 3  # ...this many, and keep the one with least travel
    nearest_members: int = 20  # members considered for a home, nearest base first
    placed: list[Placed] = field(default_factory=list)

    def __post_init__(self):
        self.rng = random.Random(self.seed)
        self.index = {day: i for i, day in enumerate(self.days)}
        # capacity[m][d]: visits member m can still make on day d (0 off or on leave)
        self.capacity = [[m.visits_per_day if m.works_on(day) else 0 for day in self.days] for m in self.members]
        self.day_free = [sum(self.capacity[m][d] for m in range(len(self.members))) for d in range(len(self.days))]
        self.stops: dict[tuple[int, int], list[tuple[float, float]]] = {}
        self._bases = [(m.latitude, m.longitude) for m in self.members]
        self._near: dict[tuple[str, bool], list] = {}

    # -- public --------------------------------------------------------------

    def day_index(self, day: datetime.date) -> int:
        """Index of the first plan day on or after ``day`` (len(days) when past the end)."""
        return bisect.bisect_left(self.days, day)

    def clearing_day(self, visits: int) -> datetime.date | None:
        """The first day by which the whole team could make ``visits`` more visits."""
        total = 0
        for d, free in enumerate(self.day_free):
            total += free
            if total >= visits:
                return self.days[d]
        return None

    def place(self, demand: Demand, not_before: int = 0) -> Placed | None:
        """Plan one visit, or None when no member can take it within the plan."""
        home = demand.home
        candidates = self._candidates(home)
        lo = max(self.day_index(demand.window_start), not_before)
        hi = min(self.day_index(demand.window_end + datetime.timedelta(days=1)), len(self.days))
        open_days = self._open_days(candidates, lo, hi)
        late = False
        if not open_days:  # nothing before the deadline: the earliest days after it
            open_days, late = self._open_days(candidates, max(lo, hi), len(self.days)), True
        if not open_days and len(candidates) < len(self.members):  # the near team is full: anyone
            candidates = self._candidates(home, everyone=True)
            open_days = self._open_days(candidates, lo, hi)
            late = not open_days
            open_days = open_days or self._open_days(candidates, max(lo, hi), len(self.days))
        if not open_days:
            return None
        drawn = self.rng.sample(open_days, min(self.choices, len(open_days)))
        best = None
        for d in drawn:
            for base_km, m in candidates:
                if self.capacity[m][d] <= 0:
                    continue
                cost = self._cost(home, base_km, d, m)
                if best is None or (cost, d, m) < best:
                    best = (cost, d, m)
        _, d, m = best
        self.capacity[m][d] -= 1
        self.day_free[d] -= 1
        self.stops.setdefault((d, m), []).append((home.latitude, home.longitude) if home.located else None)
        placed = Placed(demand, self.days[d], self.members[m], late, rank=len(self.placed) + 1)
        placed._slot = (d, m)
        self.placed.append(placed)
        return placed

    def finish(self) -> list[Placed]:
        """Order each member's day from their base, nearest next, and set ``travel_km``."""
        by_slot: dict[tuple[int, int], list[Placed]] = {}
        for p in self.placed:
            by_slot.setdefault(p._slot, []).append(p)
        for (d, m), visits in by_slot.items():
            here = self._bases[m]
            remaining = list(visits)
            while remaining:
                located = [p for p in remaining if p.demand.home.located]
                if not located:
                    break
                nxt = min(located, key=lambda p: (km(*here, p.demand.home.latitude, p.demand.home.longitude), p.rank))
                nxt.travel_km = round(km(*here, nxt.demand.home.latitude, nxt.demand.home.longitude), 1)
                here = (nxt.demand.home.latitude, nxt.demand.home.longitude)
                remaining.remove(nxt)
        return self.placed

    # -- internals -----------------------------------------------------------

    def _candidates(self, home: Home, everyone: bool = False) -> list[tuple[float | None, int]]:
        """(km from base, member index) for the members who may visit this home."""
        if not home.located:
            return [(None, m) for m in range(len(self.members))]
        key = (home.location_id, everyone)
        cached = self._near.get(key)
        if cached is None:
            k = len(self.members) if everyone else self.nearest_members
            found = nearest((home.latitude, home.longitude), self._bases, k)
            cached = self._near[key] = [
                (d, m) for d, m in found if self.members[m].max_km is None or d <= self.members[m].max_km
            ]
        return cached

    def _open_days(self, candidates, lo: int, hi: int) -> list[int]:
        days = []
        for d in range(lo, hi):
            if self.day_free[d] and any(self.capacity[m][d] > 0 for _, m in candidates):
                days.append(d)
                if len(days) >= self.spread:
                    break
        return days

    def _cost(self, home: Home, base_km, d: int, m: int) -> float:
        """Distance to the nearest of the member's base and their other stops that day."""
        if base_km is None:
            return float(self.members[m].visits_per_day - self.capacity[m][d])  # fill evenly
        cost = base_km
        for stop in self.stops.get((d, m), ()):
            if stop is not None:
                cost = min(cost, km(home.latitude, home.longitude, *stop))
        return cost
