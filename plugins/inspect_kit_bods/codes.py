"""BODS 0.4 codelists and how they meet the registry's own values, both ways."""

from __future__ import annotations

# An identifier the exporter adds when a record's registry id could not be
# derived again from the statement alone, so that a round trip keeps ids.
REGISTRY_ID_SCHEME = "inspect-kit entity id"

INTEREST_TYPES = frozenset({
    "shareholding", "votingRights", "appointmentOfBoard", "otherInfluenceOrControl",
    "seniorManagingOfficial", "settlor", "trustee", "protector", "beneficiaryOfLegalArrangement",
    "rightsToSurplusAssetsOnDissolution", "rightsToProfitOrIncome", "rightsGrantedByContract",
    "conditionalRightsGrantedByContract", "controlViaCompanyRulesOrArticles",
    "controlByLegalFramework", "boardMember", "boardChair", "unknownInterest",
    "unpublishedInterest", "enjoymentAndUseOfAssets", "rightToProfitOrIncomeFromAssets",
    "nominee", "nominator",
})

UNSPECIFIED_REASONS = frozenset({
    "noBeneficialOwners", "subjectUnableToConfirmOrIdentifyBeneficialOwner",
    "interestedPartyHasNotProvidedInformation", "subjectExemptFromDisclosure",
    "interestedPartyExemptFromDisclosure", "unknown", "informationUnknownToPublisher",
})

# Companies House PSC and Register of Overseas Entities statements (as the
# registry keeps them, verbatim) -> the BODS unspecifiedReason they declare.
REGISTER_STATEMENT_REASONS = {
    "no-individual-or-entity-with-signficant-control": "noBeneficialOwners",
    "no-individual-or-entity-with-significant-control": "noBeneficialOwners",
    "psc-exists-but-not-identified": "subjectUnableToConfirmOrIdentifyBeneficialOwner",
    "psc-details-not-confirmed": "subjectUnableToConfirmOrIdentifyBeneficialOwner",
    "steps-to-find-psc-not-yet-completed": "subjectUnableToConfirmOrIdentifyBeneficialOwner",
    "psc-contacted-but-no-response": "interestedPartyHasNotProvidedInformation",
    "psc-has-failed-to-confirm-changed-details": "interestedPartyHasNotProvidedInformation",
    "restrictions-notice-issued-to-psc": "interestedPartyHasNotProvidedInformation",
    "awaiting-confirmation-from-psc": "subjectUnableToConfirmOrIdentifyBeneficialOwner",
    "no-beneficial-owner-identified": "subjectUnableToConfirmOrIdentifyBeneficialOwner",
    "at-least-one-beneficial-owner-unidentified": "subjectUnableToConfirmOrIdentifyBeneficialOwner",
    "information-not-provided-for-at-least-one-beneficial-owner": "interestedPartyHasNotProvidedInformation",
    "at-least-one-beneficial-owner-unidentified-and-information-not-provided-for-at-least-one-beneficial-owner":
        "subjectUnableToConfirmOrIdentifyBeneficialOwner",
    "super-secure-persons-with-significant-control": "interestedPartyExemptFromDisclosure",
    "super-secure-beneficial-owner": "interestedPartyExemptFromDisclosure",
}


def bods_reason(reason: str | None) -> str:
    """The BODS reason for a registry ``unspecified_reason`` (BODS code or register statement)."""
    if reason in UNSPECIFIED_REASONS:
        return reason
    text = (reason or "").strip().lower()
    if text.endswith("-partnership"):
        text = text[: -len("-partnership")]
    return REGISTER_STATEMENT_REASONS.get(text, "unknown")


def entity_type_from_bods(entity_type: dict) -> str:
    """A BODS ``entityType`` -> ``entities.entity_type``."""
    kind = entity_type.get("type")
    subtype = entity_type.get("subtype")
    if kind == "registeredEntity":
        return "company"
    if kind == "legalEntity":
        return "trust" if subtype == "trust" else "legal_person"
    if kind == "arrangement" and subtype == "trust":
        return "trust"
    if kind in ("state", "stateBody"):
        return "public_body"
    return "unknown"  # anonymousEntity, unknownEntity, other arrangements


def bods_entity_type(entity_type: str | None) -> dict:
    """``entities.entity_type`` -> a BODS ``entityType`` (for rows that did not come from BODS)."""
    return {
        "company": {"type": "registeredEntity"},
        "overseas_entity": {"type": "registeredEntity"},
        "legal_person": {"type": "legalEntity"},
        "trust": {"type": "arrangement", "subtype": "trust"},
        "public_body": {"type": "stateBody"},
    }.get(entity_type or "", {"type": "unknownEntity"})


def source_types(collector: str | None) -> list[str]:
    """BODS source types for rows a collector delivered."""
    if not collector:
        return []
    if collector.startswith(("companies-house", "psc", "cqc", "ccod", "ocod")):
        return ["officialRegister"]
    return ["thirdParty"]
