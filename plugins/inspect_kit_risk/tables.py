"""The tables this plugin adds to the registry, registered with ``register_tables``."""

from __future__ import annotations

from dataclasses import dataclass

from inspect_kit import Record, col


@dataclass(kw_only=True)
class RiskScore(Record):
    __table__ = "risk_scores"
    __key__ = ("location_id",)
    __derived__ = True
    __producer__ = "scorer"
    __description__ = "Each home's flags combined into one score, with what each flag contributed."

    location_id: str
    name: str | None = None
    provider_id: str | None = None
    local_authority: str | None = None
    score: float | None = col("Sum of each flag's score times its weight")
    flags: int | None = col("How many flags the home has")
    top_flag: str | None = col("The flag that contributed most")
    contributions: str | None = col("JSON: flag, scorer, score, weight and contribution, largest first")
    scorer: str | None = None
    scorer_version: str | None = None


@dataclass(kw_only=True)
class GroupExposure(Record):
    __table__ = "group_exposure"
    __key__ = ("group_id", "local_authority")
    __derived__ = True
    __producer__ = "scorer"
    __description__ = (
        "For each local authority, the beds and homes at risk if a group fails: a provider, "
        "or the ultimate owner of several providers."
    )

    group_id: str = col("provider:<CQC provider id>, or the ultimate owner's entity id")
    group_name: str | None = None
    group_kind: str | None = col("provider or ultimate_owner")
    local_authority: str = col("The local authority where the homes are")
    homes: int | None = col("The group's homes in this local authority")
    beds: int | None = col("The group's beds in this local authority")
    la_homes: int | None = col("All registered homes in this local authority")
    la_beds: int | None = col("All registered beds in this local authority")
    share_of_la_beds: float | None = col("beds / la_beds")
    group_homes: int | None = None
    group_beds: int | None = None
    group_local_authorities: int | None = col("Local authorities with at least one of the group's beds")
    difficult_to_replace: bool | None = col("The group crosses the Market Oversight thresholds")
    location_ids: str | None = col("JSON array of the group's homes here")
    scorer: str | None = None


@dataclass(kw_only=True)
class AlternativeHome(Record):
    __table__ = "alternative_homes"
    __key__ = ("location_id", "rank")
    __derived__ = True
    __producer__ = "scorer"
    __description__ = (
        "For each home, the nearest homes of the same service type rated Good or Outstanding "
        "outside its group, with distances."
    )

    location_id: str
    rank: int = col("1 for the nearest")
    alternative_id: str | None = None
    alternative_name: str | None = None
    distance_km: float | None = col("Straight-line distance")
    distance_miles: float | None = None
    rating: str | None = None
    beds: int | None = None
    local_authority: str | None = None
    same_local_authority: bool | None = None
    service_types: str | None = col("JSON array of the service types the two homes share")
    scorer: str | None = None
