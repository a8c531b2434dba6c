"""Care home -> the land titles it stands on.

Candidates are the titles at the home's postcode; each is scored on its address
(house number, street, building name: ``inspect_kit.matching.compare_addresses``)
so that a neighbour at the same postcode is not taken. A home may stand on
several titles (a freehold and a lease of it): every title above the acceptance
score is kept. Titles between the review and acceptance scores are not guessed:
they go to ``match_candidates`` for a person, whose decision in
``match_decisions`` wins on every later build.
"""

from __future__ import annotations

import json

from inspect_kit import CareHomeTitle, Resolver
from inspect_kit.matching import compare_addresses, normalise_postcode

from .decisions import load_decisions
from .tables import CARE_HOME_TITLE, MatchCandidate


class CareHomeTitleMatcher(Resolver):
    name = "care-home-titles"
    description = "Matches care homes to the land titles they stand on, by postcode and address"
    defaults = {"accept": 0.7, "review": 0.4}

    def resolve(self, context):
        settings = context.settings(self)
        accept, review = settings["accept"], settings["review"]
        db = context.registry.conn
        decisions = load_decisions(db, CARE_HOME_TITLE)
        homes = db.execute(
            "SELECT location_id, name, address, postcode FROM care_homes WHERE valid_to IS NULL"
        ).fetchall()
        by_postcode: dict[str, list] = {}
        for home in homes:
            postcode = normalise_postcode(home[3])
            if postcode:
                by_postcode.setdefault(postcode, [])
        # The titles at the homes' postcodes, through the postcode index: the Land Registry
        # collectors store postcodes normalised, as normalise_postcode writes them.
        for title_number, tenure, address, postcode in db.execute(
            "SELECT title_number, tenure, property_address, postcode FROM titles "
            "WHERE postcode IN (SELECT value FROM json_each(?)) AND valid_to IS NULL",
            (json.dumps(sorted(by_postcode)),),
        ):
            by_postcode[postcode].append((title_number, tenure, address))
        decided_same: dict[str, list[str]] = {}
        for (location_id, title_number), decision in decisions.items():
            if decision == "same":
                decided_same.setdefault(location_id, []).append(title_number)

        for location_id, name, address, postcode in context.progress(homes, desc="care homes"):
            for title_number in decided_same.get(location_id, ()):
                yield CareHomeTitle(location_id=location_id, title_number=title_number,
                                    method="decision", confidence=1.0)
            for title_number, tenure, title_address in by_postcode.get(normalise_postcode(postcode), ()):
                if (location_id, title_number) in decisions:
                    continue
                match = compare_addresses(address, title_address, name)
                if match.score >= accept:
                    yield CareHomeTitle(location_id=location_id, title_number=title_number,
                                        method="postcode+address", confidence=match.score)
                elif match.score >= review:
                    yield MatchCandidate(
                        kind=CARE_HOME_TITLE, left_id=location_id, right_id=title_number,
                        left_text=f"{name}, {address}, {postcode}",
                        right_text=f"{title_address} ({tenure or 'tenure not given'})",
                        score=match.score, reason=match.reason,
                    )
