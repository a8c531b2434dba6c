"""One score per home: every care-home flag, weighted, with what each contributed.

A weighted sum rather than a model: a regulator can read the contributions and
argue with a weight in the config file. It runs after every other scorer,
third-party ones included, and reads their flags from ``risk_flags``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any, Iterator

from inspect_kit import BuildContext, Scorer

from . import reading
from .tables import RiskScore

DEFAULT_WEIGHTS = {
    "untraceable_landlord": 3.0,
    "untraceable_operator": 3.0,
    "offshore_landlord": 2.0,
    "offshore_operator": 2.0,
    "sale_and_leaseback": 2.0,
    "charged_property": 1.5,
    "dissolved_landlord": 2.0,
    "insolvent_landlord": 2.0,
    "overdue_inspection": 1.5,
    "title_churn": 1.0,
    "special_purpose_landlord": 1.0,
    "opco_propco_split": 1.0,
    "common_control": 1.0,
    "difficult_to_replace": 1.0,
    "net_liabilities": 2.0,
    "loss_making": 1.5,
    "high_rent_burden": 1.5,
    "accounts_overdue": 1.0,
    "no_public_pl": 0.5,
}
# Flags on a company that count for every home it operates (its accounts).
OPERATOR_FLAGS = ["net_liabilities", "loss_making", "high_rent_burden", "accounts_overdue", "no_public_pl"]


class RiskScoresScorer(Scorer):
    name = "risk_scores"
    description = "Combines each home's flags into one score in risk_scores, listing each flag's contribution."
    version = "1"
    defaults = {"weights": DEFAULT_WEIGHTS, "default_weight": 1.0}

    @property
    def after(self) -> tuple[str, ...]:
        """Every other scorer, so that their flags are in ``risk_flags`` first."""
        from inspect_kit.plugins import get_scorers

        names = []
        for name, scorer in get_scorers().items():
            declared = type(scorer).__dict__.get("after")
            if name != self.name and not (isinstance(declared, (tuple, list)) and self.name in declared):
                names.append(name)
        return tuple(names)

    def score(self, context: BuildContext) -> Iterator[Any]:
        settings = context.settings(self)
        weights = {**DEFAULT_WEIGHTS, **settings["weights"]}
        conn = context.registry.conn
        flags: dict[str, list[dict]] = defaultdict(list)
        for r in reading.rows(
            conn,
            "SELECT subject_id, flag, scorer, score, severity FROM risk_flags "
            "WHERE subject_type = 'care_home' AND scorer != ?",
            (self.name,),
        ):
            flags[r["subject_id"]].append(r)
        # What the operator's own accounts say counts for each of its homes.
        for r in reading.rows(
            conn,
            "SELECT h.location_id AS subject_id, f.flag, f.scorer, f.score, f.severity FROM risk_flags f "
            "JOIN providers p ON p.entity_id = f.subject_id AND p.valid_to IS NULL "
            "JOIN care_homes h ON h.provider_id = p.provider_id AND h.valid_to IS NULL "
            "AND coalesce(h.status, 'Registered') != 'Deregistered' "
            "WHERE f.subject_type = 'entity' AND f.flag IN (SELECT value FROM json_each(?))",
            (json.dumps(OPERATOR_FLAGS),),
        ):
            flags[r["subject_id"]].append(r)
        homes = reading.homes(conn)
        for location_id, found in flags.items():
            contributions = []
            for f in found:
                weight = float(weights.get(f["flag"], settings["default_weight"]))
                contributions.append({
                    "flag": f["flag"], "scorer": f["scorer"], "severity": f["severity"], "score": f["score"],
                    "weight": weight, "contribution": round((f["score"] or 0) * weight, 4),
                })
            contributions.sort(key=lambda c: (-c["contribution"], c["flag"]))
            home = homes.get(location_id) or {}
            yield RiskScore(
                location_id=location_id,
                name=home.get("name"),
                provider_id=home.get("provider_id"),
                local_authority=home.get("local_authority"),
                score=round(sum(c["contribution"] for c in contributions), 4),
                flags=len(contributions),
                top_flag=contributions[0]["flag"],
                contributions=json.dumps(contributions),
            )
