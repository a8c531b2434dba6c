"""A 13-week risk-based plan for 15,000 homes and 200 inspectors, against the interval scheduler.

Run by hand: ``python benchmarks/bench_schedule.py [HOMES] [INSPECTORS] [VISITS_PER_DAY]``.
It writes a fictional registry (homes spread over England, ratings, inspection
dates, risk scores for two in five), then times ``risk-based`` (ordering,
distances, slot search, travel, storing) and ``cqc-intervals`` (deadlines only,
the baseline) in the same run, and checks the plan's hard rules.
"""

import datetime
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from inspect_kit import BuildContext, CareHome, Collector, Scorer
from inspect_kit.registry import Registry
from inspect_kit_risk.tables import RiskScore
from inspect_kit_schedule.schedulers import CqcIntervalsScheduler, RiskBasedScheduler

TODAY = datetime.date(2026, 11, 23)


class Homes(Collector):
    name = "bench-homes"
    description = "Fictional homes for the benchmark."
    takes_files = False

    def __init__(self, homes):
        self.homes = homes

    def collect(self, run):
        yield from self.homes


class Scores(Scorer):
    name = "risk_scores"
    description = "Fictional risk scores for the benchmark."

    def __init__(self, rows):
        self.rows = rows

    def score(self, context):
        return iter(self.rows)


def fictional(count, rng):
    homes, scores = [], []
    for i in range(count):
        last = TODAY - datetime.timedelta(days=rng.randint(20, 900))
        lid = f"1-{i:09d}"
        homes.append(CareHome(location_id=lid, name=f"Home {i}", status="Registered",
                              latitude=rng.uniform(50.2, 55.5), longitude=rng.uniform(-4.5, 1.5),
                              rating=rng.choice(["Outstanding", "Good", "Good", "Good", "Requires improvement",
                                                 "Inadequate"]),
                              last_inspection_date=last.isoformat(), registration_date="2015-01-01"))
        if rng.random() < 0.4:
            scores.append(RiskScore(location_id=lid, score=round(rng.uniform(0.5, 9), 2), flags=1))
    return homes, scores


def timed(registry, scheduler, context):
    started = time.perf_counter()
    with registry.transaction():
        stored = registry.store_results(scheduler, scheduler.schedule(context))
    return time.perf_counter() - started, stored


def main(count=15000, inspectors=200, per_day=1):
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        registry = Registry.open(Path(tmp) / "bench.db")
        homes, scores = fictional(count, rng)
        registry.collect(Homes(homes))
        with registry.transaction():
            registry.store_results(Scores(scores), iter(scores))
        team = [{"id": f"INS-{n:03d}", "latitude": rng.uniform(50.2, 55.5), "longitude": rng.uniform(-4.5, 1.5),
                 "visits_per_day": per_day,
                 "leave": [(TODAY + datetime.timedelta(days=rng.randint(0, 80))).isoformat()]}
                for n in range(inspectors)]
        config = {"schedulers": {"risk-based": {"team": team, "seed": 1, "horizon_weeks": 13}}}
        context = BuildContext(registry, config=config, today=TODAY)

        base_seconds, base_rows = timed(registry, CqcIntervalsScheduler(), context)
        plan_seconds, plan_rows = timed(registry, RiskBasedScheduler(), context)

        slots = Counter(registry.conn.execute(
            "select inspector, planned_date from inspection_schedule where scheduler = 'risk-based'").fetchall())
        assert max(slots.values()) <= per_day, "an inspector is over capacity"
        run = registry.conn.execute("select capacity, visits, overdue, overdue_planned, due_in_horizon, "
                                    "due_planned_on_time from schedule_runs").fetchone()
        travel = registry.conn.execute("select avg(travel_km) from inspection_schedule "
                                       "where scheduler = 'risk-based'").fetchone()[0]
        registry.close()
    print(f"{count:,} homes, {inspectors} inspectors x {per_day}/day, 13 weeks: capacity {run[0]:,}, "
          f"{run[1]:,} visits planned ({run[3]:,}/{run[2]:,} overdue; {run[5]:,}/{run[4]:,} falling due on time), "
          f"mean travel {travel:.1f} km")
    print(f"risk-based {plan_seconds:.1f}s ({plan_rows:,} rows); baseline cqc-intervals {base_seconds:.1f}s "
          f"({base_rows:,} rows); ratio {plan_seconds / base_seconds:.1f}x; "
          f"{'under' if plan_seconds < 60 else 'OVER'} the 60 s target")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args)
