"""The plugin's own table: what BODS says that the data contract has no column for.

One row per ``entities`` or ``relationships`` row that came from a BODS
statement, keyed by that row's id. It keeps the statement's provenance and
the details the contract tables do not hold (identifiers, other names, the
share bounds exactly as published, direct or indirect), so that an export
says again everything the import read.
"""

from __future__ import annotations

from dataclasses import dataclass

from inspect_kit import Record, Source, col


@dataclass(kw_only=True)
class BodsStatement(Record):
    __table__ = "bods_statements"
    __source__ = Source("BODS publishers (Open Ownership Register and others)", "https://standard.openownership.org/",
                        "Beneficial ownership statements as their publishers publish them.",
                        licence="As published by each BODS publisher", licence_url=None)
    __key__ = ("id",)
    __description__ = (
        "The BODS statement behind each entity, person and relationship row imported from BODS, "
        "with the details the entities and relationships tables have no column for."
    )

    id: str = col("The id of the row in entities or relationships")
    row_table: str = col("entities or relationships")
    record_id: str | None = col("BODS recordId")
    record_type: str | None = col("entity, person or relationship")
    record_status: str | None = col("new, updated or closed")
    statement_id: str | None = col("BODS statementId of the statement read")
    statement_date: str | None = None
    declaration_subject: str | None = col("recordId of the declaration subject, as published")
    publication_details: str | None = col("JSON: publicationDetails as published")
    statement_source: str | None = col("JSON: the statement's source (types, assertedBy, url)")
    annotations: str | None = col("JSON: annotations as published")
    direct_or_indirect: str | None = col(
        "Relationships: direct, indirect or unknown. An indirect interest summarises a chain that "
        "other relationships may spell out: do not add it to them."
    )
    beneficial_ownership_or_control: bool | None = col("Relationships: the interest is beneficial ownership or control")
    is_component: bool | None = col("Part of an indirect chain declared by another relationship")
    details: str | None = col("JSON: the other BODS fields, as published (never a person's address)")
