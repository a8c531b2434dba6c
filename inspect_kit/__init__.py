"""inspect-kit: who runs, owns and controls England's care homes."""

__version__ = "0.1.0"

from .api import (  # noqa: E402
    BuildContext,
    Collector,
    Exporter,
    Option,
    PluginError,
    Query,
    Resolver,
    Scheduler,
    Scorer,
    SourceError,
)
from .hookspecs import hookimpl  # noqa: E402
from .records import (  # noqa: E402
    CareHome,
    CareHomeTitle,
    Ended,
    Entity,
    InspectionVisit,
    OwnershipPath,
    Provider,
    Record,
    Rejected,
    Relationship,
    RiskFlag,
    Source,
    Title,
    TitleProprietor,
    UltimateOwner,
    Update,
    col,
    derived,
)

__all__ = [
    "BuildContext", "CareHome", "CareHomeTitle", "Collector", "Ended", "Entity", "Exporter",
    "InspectionVisit", "Option", "OwnershipPath", "PluginError", "Provider", "Query", "Record", "Rejected",
    "Relationship", "Resolver", "RiskFlag", "Scheduler", "Scorer", "Source", "SourceError", "Title",
    "TitleProprietor", "UltimateOwner", "Update", "col", "derived", "hookimpl",
]
