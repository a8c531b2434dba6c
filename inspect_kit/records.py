"""Typed records: what collectors, resolvers, scorers and schedulers hand to the core.

A record class *is* its table's schema: the class names the table, its natural
key, and its columns with their types. The registry creates tables from these
classes, validates every record against them and upserts by key. Plugins that
need a table of their own subclass ``Record`` and register it with the
``register_tables`` hook.

Two kinds of table:

- *collected* tables (the default) keep history. A changed row moves its old
  version to ``<table>_history``; a row missing from a full snapshot is ended
  (``valid_to`` set), never deleted.
- *derived* tables (``__derived__ = True``) hold results that a producer
  recomputes on every build; the core replaces one producer's rows at a time.

Either kind may be *private* (``__private__ = True``): the core keeps it in the
private database beside the registry (``private.db``), never in the public
``registry.db``, and the site shows it to signed-in regulators only. Confidential
data (schedules, match decisions and who made them, watchlists, a council's
records) is declared this way.
"""

from __future__ import annotations

import dataclasses
import datetime
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar


def derived(description: str = "", default=None):
    """Mark a column that a resolver fills in later, never a collector.

    Upserts from collectors leave derived columns alone, so a re-import does not
    undo a match.
    """
    return field(default=default, metadata={"derived": True, "description": description})


OGL = "Open Government Licence v3.0"
OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"


@dataclass(frozen=True)
class Source:
    """Who publishes a table's rows, under what licence, and the attribution they ask for.

    A record class declares it as ``__source__``; publishing shows it on every page
    of the table. Derived tables need none: they are derived from their sources.
    """

    name: str
    url: str | None = None
    attribution: str | None = None
    licence: str = OGL
    licence_url: str | None = OGL_URL


CQC = Source("Care Quality Commission", "https://www.cqc.org.uk/about-us/transparency/using-cqc-data",
             "Contains CQC data © Care Quality Commission, licensed under the Open Government Licence v3.0.")
COMPANIES_HOUSE = Source("Companies House and BODS publishers", "https://find-and-update.company-information.service.gov.uk/",
                         "Contains Companies House data © Crown copyright, licensed under the Open Government Licence v3.0.")
LAND_REGISTRY = Source("HM Land Registry CCOD and OCOD", "https://use-land-property-data.service.gov.uk/",
                       "Contains HM Land Registry data © Crown copyright and database right. "
                       "This data is licensed under the Open Government Licence v3.0.")


@dataclass(kw_only=True)
class Record:
    """Base of every record. Subclasses set ``__table__`` and ``__key__``."""

    __table__: ClassVar[str] = ""
    __key__: ClassVar[tuple[str, ...]] = ()
    __derived__: ClassVar[bool] = False
    # Derived tables: the column naming the plugin that produced a row.
    __producer__: ClassVar[str | None] = None
    __description__: ClassVar[str] = ""
    # Who publishes the rows (collected tables): shown with the table wherever it is published.
    __source__: ClassVar[Source | None] = None
    # Private tables live in the private database beside the registry, never in the public
    # registry.db, and are shown only to signed-in regulators (e.g. the unannounced schedule).
    __private__: ClassVar[bool] = False
    # Extra indexes: tuples of column names that resolvers and queries look rows up by.
    __indexes__: ClassVar[tuple[tuple[str, ...], ...]] = ()

    # Where the record came from in its source: a line number, a page, an id.
    # Not stored as a column; used in error messages and rejected_records.
    line: int | None = field(default=None, repr=False, compare=False, metadata={"meta": True})

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("__table__") and not cls.__dict__.get("__key__"):
            raise TypeError(f"{cls.__name__} sets __table__ but no __key__")

    @classmethod
    def columns(cls) -> list[Column]:
        """The stored columns, in declaration order."""
        return _columns(cls)

    @classmethod
    def column_names(cls) -> list[str]:
        return [c.name for c in cls.columns()]

    def values(self) -> dict[str, Any]:
        return {c.name: getattr(self, c.name) for c in self.columns()}


@dataclass(frozen=True)
class Column:
    name: str
    type: type  # str, int, float, bool, datetime.date
    derived: bool
    description: str


_SQL_TYPES = {str: "TEXT", int: "INTEGER", float: "REAL", bool: "INTEGER", datetime.date: "TEXT"}
_COLUMN_CACHE: dict[type, list[Column]] = {}


def sql_type(column: Column) -> str:
    return _SQL_TYPES[column.type]


def _columns(cls) -> list[Column]:
    cached = _COLUMN_CACHE.get(cls)
    if cached is not None:
        return cached
    hints = typing.get_type_hints(cls)
    columns = []
    for f in dataclasses.fields(cls):
        if f.metadata.get("meta"):
            continue
        base = _base_type(hints[f.name])
        if base not in _SQL_TYPES:
            raise TypeError(f"{cls.__name__}.{f.name}: unsupported column type {hints[f.name]!r}")
        columns.append(
            Column(f.name, base, bool(f.metadata.get("derived")), f.metadata.get("description", ""))
        )
    _COLUMN_CACHE[cls] = columns
    return columns


def _base_type(hint):
    """``int | None`` -> ``int``; ``Optional[date]`` -> ``date``."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


def col(description: str = "", default=None):
    """A column with a description, shown in Datasette's metadata."""
    return field(default=default, metadata={"description": description})


@dataclass
class Rejected:
    """A source row the collector could not turn into a record.

    Yield it instead of raising: the core stores it in ``rejected_records`` with
    the run, and the run goes on.
    """

    error: str
    raw: str = ""
    line: int | None = None
    source: str | None = None  # the file or URL; the run's current source when None
    # A row that may carry personal data a register does not publish (a residential
    # address, a day of birth) says ``personal=True`` and gives in ``public_raw`` the row
    # without it (None when it cannot tell). The public rejected_records shows only that;
    # the whole ``raw`` of every rejected row is kept in the private database (rejected_raw).
    personal: bool = False
    public_raw: str | None = None


@dataclass
class Ended:
    """The source says this row no longer holds (e.g. a change-only file's ``D`` line)."""

    record_class: type[Record]
    key: dict[str, Any]
    on: str | None = None  # ISO date; the run's as-of date when None
    line: int | None = None


@dataclass
class Update:
    """Set derived columns of an existing row (a resolver's link, e.g. ``entity_id``)."""

    record_class: type[Record]
    key: dict[str, Any]
    values: dict[str, Any]


# ---------------------------------------------------------------------------
# The data contract of DESIGN.md. Add columns freely; never rename these.
# ---------------------------------------------------------------------------


@dataclass(kw_only=True)
class CareHome(Record):
    __table__ = "care_homes"
    __source__ = CQC
    __key__ = ("location_id",)
    __indexes__ = (("postcode",), ("provider_id",))
    __description__ = "Care homes (CQC locations) with their operator, address, beds and rating."

    location_id: str = col("CQC location id, e.g. 1-1000210669")
    name: str | None = col("Location name as registered with CQC")
    provider_id: str | None = col("CQC provider id of the operator")
    address: str | None = col("Postal address, without the postcode")
    postcode: str | None = None
    local_authority: str | None = None
    region: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    beds: int | None = col("Number of registered beds")
    rating: str | None = col("Current overall CQC rating")
    rating_date: datetime.date | None = col("Date the current rating was published")
    last_inspection_date: datetime.date | None = None
    registration_date: datetime.date | None = None
    status: str | None = col("Registered or Deregistered")
    deregistration_date: datetime.date | None = None
    care_home: bool | None = col("True for care homes, False for other social-care locations")
    service_types: str | None = col("JSON array of CQC service types")
    specialisms: str | None = col("JSON array of service-user bands and specialisms")
    regulated_activities: str | None = col("JSON array of regulated activities")
    uprn: str | None = col("Unique Property Reference Number, where CQC has one")
    predecessor_id: str | None = col("Location id this one succeeded after a change of owner")


@dataclass(kw_only=True)
class Provider(Record):
    __table__ = "providers"
    __source__ = CQC
    __key__ = ("provider_id",)
    __indexes__ = (("company_number",),)
    __description__ = "Operators: CQC providers, linked to their company entity."

    provider_id: str = col("CQC provider id")
    name: str | None = None
    company_number: str | None = col("Companies House number, normalised to 8 characters")
    charity_number: str | None = None
    entity_id: str | None = derived("The operator's entity in entities")
    ownership_type: str | None = col("CQC ownership type: Organisation, Individual, Partnership, NHS Body")
    address: str | None = col("Registered address of the provider (an organisation's address)")
    postcode: str | None = None
    status: str | None = None


@dataclass(kw_only=True)
class Entity(Record):
    __table__ = "entities"
    __source__ = COMPANIES_HOUSE
    __key__ = ("id",)
    __indexes__ = (("company_number",),)
    __description__ = "Companies, overseas entities, persons and public bodies that own or control."

    id: str = col("Stable id, e.g. GB-COH-01234567 for a UK company")
    name: str | None = None
    entity_type: str | None = col(
        "company, overseas_entity, person, public_body, trust, legal_person, super_secure, unknown"
    )
    jurisdiction: str | None = col("ISO 3166-1 alpha-2 code (or subdivision) of incorporation")
    company_number: str | None = None
    status: str | None = col("Register status, e.g. active, dissolved, liquidation")
    company_type: str | None = col("Register category, e.g. Private Limited Company")
    incorporation_date: datetime.date | None = None
    dissolution_date: datetime.date | None = None
    sic_codes: str | None = col("JSON array of SIC codes")
    accounts_category: str | None = None
    accounts_next_due: datetime.date | None = col("When the next accounts are due (the register's Accounts.NextDueDate)")
    mortgages_outstanding: int | None = None
    mortgages_charges: int | None = None
    address: str | None = col("Registered office of an organisation; never a person's home")
    birth_month: str | None = col("Persons only: YYYY-MM, as the public register shows it")
    nationality: str | None = None
    country_of_residence: str | None = None
    listed: bool | None = col("Shares trade on a regulated market (PSC exemption)")
    register: str | None = col("Register the entity was found in, e.g. GB-COH")


@dataclass(kw_only=True)
class Relationship(Record):
    __table__ = "relationships"
    __source__ = Source("Companies House PSC register and BODS publishers", COMPANIES_HOUSE.url,
                        COMPANIES_HOUSE.attribution)
    __key__ = ("id",)
    __indexes__ = (("subject_id",), ("interested_party_id",))
    __description__ = "Who owns or controls whom: PSC entries, statements, BODS relationships."

    id: str = col("Stable id from the source, e.g. the PSC link plus nature of control")
    subject_id: str = col("The entity owned or controlled")
    interested_party_id: str | None = col("The owner; NULL when the register declares it unknown")
    unspecified_reason: str | None = col("Why the owner is unknown (register statement or BODS reason)")
    unspecified_description: str | None = None
    interest_type: str | None = col("shareholding, votingRights, appointmentOfBoard, otherInfluenceOrControl, ...")
    interest_detail: str | None = col("The source's own wording, e.g. the PSC nature of control")
    direct: bool | None = col(
        "False for an indirect interest (held through other entities, as BODS can say): "
        "chains follow direct interests only, so a summarised chain is not counted twice"
    )
    share_min: float | None = col("Lower bound of the share, in percent")
    share_max: float | None = col("Upper bound of the share, in percent")
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None


@dataclass(kw_only=True)
class Title(Record):
    __table__ = "titles"
    __source__ = LAND_REGISTRY
    __key__ = ("title_number",)
    __indexes__ = (("postcode",),)
    __description__ = "Land titles owned by companies (HM Land Registry CCOD and OCOD)."

    title_number: str = col("HM Land Registry title number")
    tenure: str | None = col("Freehold or Leasehold")
    property_address: str | None = None
    postcode: str | None = None
    district: str | None = None
    county: str | None = None
    region: str | None = None
    price_paid: int | None = None
    date_proprietor_added: datetime.date | None = None
    multiple_address: bool | None = None
    additional_proprietor: bool | None = None
    dataset: str | None = col("ccod (UK companies) or ocod (overseas companies)")


@dataclass(kw_only=True)
class TitleProprietor(Record):
    __table__ = "title_proprietors"
    __source__ = LAND_REGISTRY
    __key__ = ("title_number", "position")
    __indexes__ = (("company_number",), ("entity_id",), ("valid_from",))
    __description__ = "The registered proprietors (landlords) of each title, up to four."

    title_number: str
    position: int = col("1 to 4, as in the source file")
    entity_id: str | None = derived("The proprietor's entity in entities")
    name: str | None = col("Proprietor name as registered")
    company_number: str | None = col("Company registration number, zero-padded to 8")
    proprietorship_category: str | None = None
    country_incorporated: str | None = col("ISO code of the country of incorporation")
    country_incorporated_as_given: str | None = None
    address: str | None = col("Proprietor's address for service (a company address)")


@dataclass(kw_only=True)
class CareHomeTitle(Record):
    __table__ = "care_home_titles"
    __key__ = ("location_id", "title_number")
    __derived__ = True
    __producer__ = "resolver"
    __indexes__ = (("title_number",),)
    __description__ = "Which titles each care home stands on, with how the match was made."

    location_id: str
    title_number: str
    method: str | None = col("How the match was made, e.g. postcode+address")
    confidence: float | None = col("0 to 1")
    resolver: str | None = None


@dataclass(kw_only=True)
class RiskFlag(Record):
    __table__ = "risk_flags"
    __key__ = ("scorer", "subject_type", "subject_id", "flag")
    __derived__ = True
    __producer__ = "scorer"
    __indexes__ = (("subject_type", "subject_id"), ("flag",))
    __description__ = "Risk flags raised by the scorers, each with its evidence."

    subject_type: str = col("care_home, entity, provider or title")
    subject_id: str
    flag: str
    severity: str | None = col("low, medium, high")
    score: float | None = None
    scorer: str | None = None
    scorer_version: str | None = None
    explanation: str | None = col("One sentence a person can read")
    evidence: str | None = col("JSON: the path, the rule and its threshold, the source rows")


@dataclass(kw_only=True)
class InspectionVisit(Record):
    __table__ = "inspection_schedule"
    __key__ = ("scheduler", "location_id", "planned_date")
    __derived__ = True
    __producer__ = "scheduler"
    __private__ = True
    __description__ = "Planned inspections. Confidential: inspections are unannounced."

    location_id: str
    scheduler: str | None = None
    due_by: datetime.date | None = None
    planned_date: datetime.date | None = None
    priority: float | None = None
    reason: str | None = col("Why this home, and why now: the deadline and the flags")
    inspector: str | None = None
    visit_type: str | None = col("inspection, or lay_visit (Healthwatch enter and view)")
    announced: bool | None = col("False for unannounced visits")
    window_start: datetime.date | None = col("The visit may fall on any working day from here...")
    window_end: datetime.date | None = col("...to here; the planned date is drawn within it")
    overdue_days: int | None = col("Days past due_by on the day the plan was made (0 if not due)")
    travel_km: float | None = col("Great-circle distance from the previous stop (or home base)")


@dataclass(kw_only=True)
class OwnershipPath(Record):
    __table__ = "ownership_paths"
    __key__ = ("subject_id", "path_number")
    __derived__ = True
    __producer__ = "resolver"
    __indexes__ = (("end_id",),)
    __description__ = (
        "Every ownership path from an entity up to where it ends: an ultimate owner, "
        "or the point where it cannot be traced, and why."
    )

    subject_id: str = col("The entity whose owners are traced")
    path_number: int = col("1, 2, ... for each path above the subject")
    depth: int | None = col("Number of ownership steps on the path")
    path: str | None = col("JSON array of entity ids, from the subject up to the end of the path")
    relationship_ids: str | None = col("JSON array of the relationships the path follows")
    end_id: str | None = col("Entity where the path ends (NULL when the owner is declared unknown)")
    end_kind: str | None = col(
        "person, listed_company, public_body, charity (traceable ends); or unknown_owner, "
        "super_secure, not_in_register, foreign_not_found, no_psc_filed, cycle (untraceable)"
    )
    traceable: bool | None = None
    reason: str | None = col("The rule that decided the end of the path, in words")
    share_min: float | None = col("Lowest effective share along the path, in percent")
    share_max: float | None = col("Highest effective share along the path, in percent")
    resolver: str | None = None


@dataclass(kw_only=True)
class UltimateOwner(Record):
    __table__ = "ultimate_owners"
    __key__ = ("subject_id", "owner_id")
    __derived__ = True
    __producer__ = "resolver"
    __indexes__ = (("owner_id",),)
    __description__ = "Each entity's identified ultimate owners, with effective share as an interval."

    subject_id: str
    owner_id: str
    owner_kind: str | None = col("person, listed_company, public_body or charity")
    share_min: float | None = None
    share_max: float | None = None
    min_depth: int | None = None
    paths: int | None = col("How many paths reach this owner")
    resolver: str | None = None


CONTRACT_RECORDS: tuple[type[Record], ...] = (
    CareHome,
    Provider,
    Entity,
    Relationship,
    Title,
    TitleProprietor,
    CareHomeTitle,
    RiskFlag,
    InspectionVisit,
    OwnershipPath,
    UltimateOwner,
)
