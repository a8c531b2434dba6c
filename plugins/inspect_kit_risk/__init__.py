"""Risk scorers: untraceable and offshore ownership, property speculation, market oversight.

Every flag carries a severity, a score, a one-sentence explanation and its
evidence (the path, the rule and its threshold, the source rows and their
runs). Thresholds and weights come from ``[scorers.NAME]`` sections of the
build config; see docs/risk.md.
"""

from inspect_kit import Query, hookimpl

from .alternatives import AlternativesScorer
from .combine import RiskScoresScorer
from .inspection import OverdueInspectionScorer
from .market import MarketOversightScorer
from .ownership import CommonControlScorer, SecrecyScorer, UntraceableScorer
from .property import (
    ChargedPropertyScorer,
    LandlordStatusScorer,
    OpcoPropcoScorer,
    SaleAndLeasebackScorer,
    SpecialPurposeLandlordScorer,
    TitleChurnScorer,
)
from .report import LANDLORDS_SQL, add_commands
from .tables import AlternativeHome, GroupExposure, RiskScore

SCORERS = (
    UntraceableScorer,
    SecrecyScorer,
    CommonControlScorer,
    OpcoPropcoScorer,
    SaleAndLeasebackScorer,
    TitleChurnScorer,
    ChargedPropertyScorer,
    SpecialPurposeLandlordScorer,
    LandlordStatusScorer,
    MarketOversightScorer,
    AlternativesScorer,
    OverdueInspectionScorer,
    RiskScoresScorer,
)


@hookimpl
def register_scorers(register):
    for scorer in SCORERS:
        register(scorer())


@hookimpl
def register_tables(register):
    for record_class in (RiskScore, GroupExposure, AlternativeHome):
        register(record_class)


@hookimpl
def register_commands(cli):
    add_commands(cli)


@hookimpl
def register_queries(register):
    register(
        Query(
            name="operator_landlords",
            title="An operator's landlords: homes, jurisdictions, and who cannot be traced",
            description="For a CQC provider id, every landlord of its homes with the homes it owns, "
            "its jurisdiction, secrecy jurisdictions on its chain, and why its ownership cannot be "
            "traced, as the GMB union's Southern Cross analysis did by hand.",
            sql=LANDLORDS_SQL,
        )
    )
    register(
        Query(
            name="group_failure_exposure",
            title="Beds and homes at risk in a local authority if a group fails",
            description="For a local authority, every group (provider or ultimate owner) with homes "
            "there, the beds it runs and its share of the area's beds, largest first.",
            sql="""
select group_name, group_kind, group_id, homes, beds, la_beds, share_of_la_beds,
       group_beds, group_local_authorities, difficult_to_replace
from group_exposure
where local_authority = :local_authority
order by beds desc
""",
        )
    )
