"""A small fictional registry for the publishing tests: every name here is made up.

One care home (and a second, untroubled one) run by a UK operator owned by a
person, standing on two titles: one held by a Jersey company owned by a Cayman
company whose owner is declared unknown (named ``<script>`` to test escaping),
one held by an unmatched Guernsey proprietor. Two land registry snapshots, so
that the ownership changed between them. The private database gets a planned
visit, its plan's seed and a match decision with who made it.
"""

from __future__ import annotations

import json

import inspect_kit as ik
from inspect_kit.plugins import get_resolvers
from inspect_kit.registry import Registry
from inspect_kit_ownership.tables import MatchDecision
from inspect_kit_schedule.tables import ScheduleRun

HOME = "1-900000001"
OTHER_HOME = "1-900000002"
OPERATOR = "GB-COH-09000001"
GROUP = "GB-COH-09000002"
PERSON = "GB-COH-09000002/psc/fictional1"
LANDLORD = "GB-COH-OE000123"
TOPCO = "KY-FICT-4411"
LANDLORD_NAME = "<script>alert('owned')</script> Property Holdings Ltd"
# What only the private database holds: a visit's reason, a plan's seed, who decided a match.
SECRET = "secret visit"
SEED = "fictional-seed-4711"
DECIDER = "Inspector Fictional Marple"


class _Snapshot(ik.Collector):
    name = "fixture"
    description = "Fictional records for tests."
    takes_files = False

    def __init__(self, name, as_of, records):
        self.name = name
        self.as_of = as_of
        self.records = records

    def collect(self, run):
        run.as_of = self.as_of
        yield from self.records


class _Derived(ik.Resolver):
    name = "fixture-resolver"
    description = "Fictional links for tests."

    def __init__(self, name, items):
        self.name = name
        self.items = items

    def resolve(self, context):
        yield from self.items


def _registers():
    return [
        ik.CareHome(location_id=HOME, name="Meadow View Care Home", provider_id="1-800000001",
                    address="1 Fictional Lane, Testborough", postcode="TE1 1ST", local_authority="Testshire",
                    region="North West", latitude=53.48, longitude=-2.24, beds=60,
                    rating="Requires improvement", status="Registered", care_home=True),
        ik.CareHome(location_id=OTHER_HOME, name="Hilltop Lodge", provider_id="1-800000001",
                    address="9 Example Road, Otherford", postcode="OT9 9ER", local_authority="Otherford",
                    region="North West", latitude=53.40, longitude=-2.10, beds=40, rating="Good",
                    status="Registered", care_home=True),
        ik.Provider(provider_id="1-800000001", name="Sunrise Care Operations Ltd", company_number="09000001",
                    ownership_type="Organisation"),
        ik.Entity(id=OPERATOR, name="Sunrise Care Operations Ltd", entity_type="company", jurisdiction="GB",
                  company_number="09000001", status="active", register="GB-COH"),
        ik.Entity(id=GROUP, name="Sunrise Care Group Ltd", entity_type="company", jurisdiction="GB",
                  company_number="09000002", status="active", register="GB-COH"),
        ik.Entity(id=PERSON, name="Alex Example", entity_type="person", birth_month="1970-01",
                  nationality="British"),
        ik.Entity(id=LANDLORD, name=LANDLORD_NAME, entity_type="overseas_entity", jurisdiction="JE",
                  company_number="OE000123", register="GB-COH"),
        ik.Entity(id=TOPCO, name="Cayman Topco Ltd", entity_type="company", jurisdiction="KY"),
        ik.Relationship(id=f"{OPERATOR}/psc/p1#shareholding", subject_id=OPERATOR, interested_party_id=GROUP,
                        interest_type="shareholding", share_min=75, share_max=100, start_date="2019-04-01"),
        ik.Relationship(id=f"{GROUP}/psc/fictional1#shareholding", subject_id=GROUP, interested_party_id=PERSON,
                        interest_type="shareholding", share_min=50, share_max=75, start_date="2019-04-01"),
        ik.Relationship(id=f"{LANDLORD}/bo/1#shareholding", subject_id=LANDLORD, interested_party_id=TOPCO,
                        interest_type="shareholding", share_min=75, share_max=100),
        ik.Relationship(id=f"{TOPCO}#unknown", subject_id=TOPCO, interested_party_id=None,
                        unspecified_reason="no-beneficial-owner-identified"),
        ik.Title(title_number="TT100002", tenure="Leasehold", property_address="1 Fictional Lane, Testborough",
                 postcode="TE1 1ST", district="TESTBOROUGH", county="TESTSHIRE", dataset="ocod"),
        ik.TitleProprietor(title_number="TT100002", position=1, name="Guernsey Nominees Ltd",
                           country_incorporated="GG", country_incorporated_as_given="GUERNSEY"),
    ]


def _first_snapshot():
    return [
        ik.Title(title_number="TT100001", tenure="Freehold", property_address="Meadow View, Fictional Lane",
                 postcode="TE1 1ST", district="TESTBOROUGH", county="TESTSHIRE", dataset="ccod"),
        ik.TitleProprietor(title_number="TT100001", position=1, name="Old Homes Property Ltd",
                           company_number="07000001", country_incorporated="GB"),
    ]


def _second_snapshot():
    return [
        ik.Title(title_number="TT100001", tenure="Freehold", property_address="Meadow View, Fictional Lane",
                 postcode="TE1 1ST", district="TESTBOROUGH", county="TESTSHIRE", dataset="ccod",
                 price_paid=4_500_000, date_proprietor_added="2026-01-20"),
        ik.TitleProprietor(title_number="TT100001", position=1, name=LANDLORD_NAME, company_number="OE000123",
                           country_incorporated="JE", country_incorporated_as_given="JERSEY"),
    ]


def _derived():
    return [
        ik.Update(ik.Provider, {"provider_id": "1-800000001"}, {"entity_id": OPERATOR}),
        ik.Update(ik.TitleProprietor, {"title_number": "TT100001", "position": 1}, {"entity_id": LANDLORD}),
        ik.CareHomeTitle(location_id=HOME, title_number="TT100001", method="postcode+address", confidence=0.95),
        ik.CareHomeTitle(location_id=HOME, title_number="TT100002", method="postcode+address", confidence=0.8),
        ik.RiskFlag(subject_type="care_home", subject_id=HOME, flag="offshore_landlord", severity="high",
                    score=0.9, scorer="fixture-resolver", explanation="The landlord is registered in Jersey.",
                    evidence=json.dumps({"path": [LANDLORD, TOPCO], "rule": "<b>jurisdiction</b> not GB"})),
        ik.RiskFlag(subject_type="entity", subject_id=LANDLORD, flag="untraceable_owner", severity="high",
                    score=0.8, scorer="fixture-resolver", explanation="No beneficial owner identified.",
                    evidence=json.dumps({"path": [LANDLORD, TOPCO], "rule": "unknown_owner"})),
        ik.InspectionVisit(location_id=HOME, scheduler="fixture-resolver", due_by="2027-02-01",
                           planned_date="2027-01-15", priority=0.9, reason="offshore landlord; secret visit"),
        ScheduleRun(scheduler="fixture-resolver", made_on="2027-01-01", seed=SEED),
    ]


def _decisions():
    return [MatchDecision(kind="provider", left_id="1-800000001", right_id=OPERATOR, decision="same",
                          decided_by=DECIDER, note="checked by phone")]


def build_registry(path) -> str:
    """Write the fictional registry to ``path`` and return it as a string."""
    registry = Registry.open(path)
    try:
        registry.collect(_Snapshot("cqc-directory", "2026-01-01", _registers()))
        registry.collect(_Snapshot("ccod", "2026-01-01", _first_snapshot()))
        registry.collect(_Snapshot("ccod", "2026-02-01", _second_snapshot()))
        registry.collect(_Snapshot("match-decisions", "2026-02-01", _decisions()))
        with registry.transaction():
            registry.store_results(_Derived("fixture-resolver", []), _derived())
            # Ownership paths as the real resolver stores them, so pages read the real shape.
            chains = get_resolvers()["ownership-chains"]
            registry.store_results(chains, chains.resolve(ik.BuildContext(registry)))
    finally:
        registry.close()
    return str(path)
