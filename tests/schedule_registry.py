"""Generated registries for the scheduler tests: fictional homes around fictional towns."""

from __future__ import annotations

import datetime
import random

from helpers import ListCollector

from inspect_kit import CareHome, RiskFlag, Scorer
from inspect_kit_risk.tables import RiskScore

TODAY = datetime.date(2026, 11, 23)  # a Monday
TOWNS = [(51.45, -2.59), (52.48, -1.90), (53.80, -1.55), (50.72, -3.53), (52.95, -1.15)]
RATINGS = ["Outstanding", "Good", "Good", "Good", "Requires improvement", "Inadequate"]
FLAGS = ["untraceable_landlord", "offshore_landlord", "sale_and_leaseback", "title_churn"]


class StoredRisk(Scorer):
    """Stands in for the risk plugin: stores given scores and flags."""

    name = "risk_scores"
    description = "Fixed risk scores for tests."

    def __init__(self, items):
        self.items = items

    def score(self, context):
        return iter(self.items)


def make_homes(n: int, seed: int = 1, today: datetime.date = TODAY):
    """Homes with ratings, inspection dates spread so that some are overdue, and risk."""
    rng = random.Random(seed)
    homes, risk = [], []
    for i in range(n):
        lat, lon = rng.choice(TOWNS)
        rating = rng.choice(RATINGS)
        kind = rng.random()
        home = dict(location_id=f"1-{100000 + i}", name=f"Test Home {i}", status="Registered", care_home=True,
                    latitude=round(lat + rng.uniform(-0.3, 0.3), 5), longitude=round(lon + rng.uniform(-0.3, 0.3), 5),
                    registration_date=(today - datetime.timedelta(days=rng.randint(200, 4000))).isoformat())
        if kind < 0.08:  # never inspected
            pass
        else:
            last = today - datetime.timedelta(days=rng.randint(20, 700))
            home.update(rating=rating, rating_date=last.isoformat(), last_inspection_date=last.isoformat())
        homes.append(CareHome(**home))
        if rng.random() < 0.4:
            flags = rng.sample(FLAGS, rng.randint(1, 3))
            score = round(sum(rng.uniform(0.5, 3) for _ in flags), 2)
            risk.append(RiskScore(location_id=home["location_id"], score=score, flags=len(flags), top_flag=flags[0]))
            for flag in flags:
                risk.append(RiskFlag(subject_type="care_home", subject_id=home["location_id"], flag=flag,
                                     severity="high", score=1.0))
    return homes, risk


def load(registry, homes, risk=(), as_of=None):
    registry.collect(ListCollector(homes, name="cqc-test", as_of=as_of))
    if risk:
        with registry.transaction():
            registry.store_results(StoredRisk(list(risk)), iter(risk))
    return registry


def team(n: int, per_day: int = 1, leave=None):
    """Inspectors based at the towns, in turn."""
    members = []
    for i in range(n):
        lat, lon = TOWNS[i % len(TOWNS)]
        member = {"id": f"INS-{i + 1:02d}", "latitude": lat, "longitude": lon, "visits_per_day": per_day}
        if leave and member["id"] in leave:
            member["leave"] = leave[member["id"]]
        members.append(member)
    return members
