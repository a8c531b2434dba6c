"""The CQC plugin's own table: every published rating, key question by key question."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from inspect_kit import Record, col
from inspect_kit.records import CQC


@dataclass(kw_only=True)
class CqcRating(Record):
    """One row of CQC's "Latest ratings" file: ``care_homes.rating`` keeps only the overall one.

    A "Safe: Inadequate" under a "Good" overall rating is what a scorer needs to see.
    """

    __table__ = "cqc_ratings"
    __source__ = CQC
    __key__ = ("organisation_type", "organisation_id", "service_group", "domain")
    __description__ = "CQC's latest ratings of locations and providers, per service and key question."

    organisation_type: str = col("location or provider")
    organisation_id: str = col("CQC location id or provider id")
    service_group: str = col("Service / population group, 'Overall' for the whole organisation")
    domain: str = col("Overall, Safe, Effective, Caring, Responsive or Well-led")
    rating: str | None = col("Outstanding, Good, Requires improvement or Inadequate")
    publication_date: datetime.date | None = None
    report_type: str | None = col("Location, Provider or CoreService")
    inherited: bool | None = col("Rating inherited from the location before a change of provider")
