"""The ownership plugin's own tables: matches, candidates for a person, decisions, common control."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from inspect_kit import Record, col

# Kinds of match, shared by entity_matches, match_candidates and match_decisions.
PROVIDER = "provider"  # CQC provider -> company entity
CCOD_PROPRIETOR = "ccod_proprietor"  # UK company proprietor -> company entity, by number
OCOD_PROPRIETOR = "ocod_proprietor"  # overseas proprietor -> ROE entity (OE...), by name
CORPORATE_PSC = "corporate_psc"  # corporate owner in a PSC register -> the company it names
CARE_HOME_TITLE = "care_home_title"  # care home -> land title


@dataclass(kw_only=True)
class EntityMatch(Record):
    __table__ = "entity_matches"
    __key__ = ("kind", "source_id")
    __derived__ = True
    __producer__ = "resolver"
    __indexes__ = (("entity_id",),)
    __description__ = (
        "How each provider, title proprietor and corporate owner was linked to an entity "
        "(or why it was not), with the method and its confidence."
    )

    kind: str = col("provider, ccod_proprietor, ocod_proprietor or corporate_psc")
    source_id: str = col(
        "What was matched: a provider id, TITLE:POSITION for a proprietor, or a PSC entity id"
    )
    entity_id: str | None = col("The entity it is; NULL when no match was made")
    name: str | None = col("The name as the source gives it")
    method: str | None = col("company_number, name+jurisdiction, decision, ... or unmatched")
    confidence: float | None = col("0 to 1")
    reason: str | None = col("Why, in words")
    resolver: str | None = None


@dataclass(kw_only=True)
class MatchCandidate(Record):
    __table__ = "match_candidates"
    __key__ = ("kind", "left_id", "right_id")
    __derived__ = True
    __producer__ = "resolver"
    __description__ = (
        "Matches too uncertain to make automatically, for a person to decide. Record a "
        "decision with 'inspect-kit decide KIND LEFT_ID RIGHT_ID same|different'."
    )

    kind: str = col("care_home_title or ocod_proprietor")
    left_id: str = col("The thing being matched: a location id, or NAME|COUNTRY of a proprietor")
    right_id: str = col("A candidate: a title number or an entity id")
    left_text: str | None = col("What the left side says (name and address)")
    right_text: str | None = col("What the candidate says")
    score: float | None = col("0 to 1")
    reason: str | None = col("The rules that gave the score")
    resolver: str | None = None


@dataclass(kw_only=True)
class MatchDecision(Record):
    __table__ = "match_decisions"
    __key__ = ("kind", "left_id", "right_id")
    __private__ = True  # who decided what is not a public register's
    __description__ = (
        "A person's judgement that two records are the same thing, or different. "
        "Resolvers follow these on every build, over any automatic score."
    )

    kind: str = col("care_home_title, ocod_proprietor, provider, ccod_proprietor or corporate_psc")
    left_id: str = col("As in match_candidates.left_id")
    right_id: str = col("As in match_candidates.right_id")
    decision: str = col("same or different")
    decided_by: str | None = None
    decided_on: datetime.date | None = None
    note: str | None = None


@dataclass(kw_only=True)
class CommonControl(Record):
    __table__ = "common_control"
    __key__ = ("location_id", "title_number", "landlord_id", "owner_id")
    __derived__ = True
    __producer__ = "resolver"
    __indexes__ = (("owner_id",),)
    __description__ = (
        "Care homes whose landlord and operator share an owner somewhere on their chains: "
        "the rent is paid to a related party."
    )

    location_id: str
    title_number: str
    operator_id: str | None = col("The operator's entity")
    landlord_id: str = col("The proprietor's entity")
    owner_id: str = col("An entity on both chains (it may be the landlord or operator itself)")
    owner_name: str | None = None
    operator_depth: int | None = col("Steps from the operator up to the shared owner")
    landlord_depth: int | None = col("Steps from the landlord up to the shared owner")
    nearest: bool | None = col("True for the shared owner closest to the home on both chains")
    operator_path: str | None = col("JSON array of entity ids from the operator to the shared owner")
    landlord_path: str | None = col("JSON array of entity ids from the landlord to the shared owner")
    resolver: str | None = None


TABLES = (EntityMatch, MatchCandidate, MatchDecision, CommonControl)
