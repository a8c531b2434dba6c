"""What real BODS publishers write that the 0.4 schema does not allow, read as what they meant.

Each statement is rewritten here before it is checked against the schema, so
that only these known habits are forgiven and everything else the schema
forbids is refused:

- a relationship's ``subject`` or ``interestedParty`` given as a BODS 0.2/0.3
  reference object, ``{"describedByEntityStatement": ID}`` or
  ``{"describedByPersonStatement": ID}``: read as the reference ``ID`` (a
  recordId, or the statementId of a statement in the same file);
- an unspecified ``subject`` or ``interestedParty`` whose reason is under
  ``unspecifiedReason`` (and description under ``unspecifiedDescription``)
  instead of ``reason`` (``description``);
- a date that is an empty string (``"birthDate": ""``): no date;
- a share, or a bound of one, that is an empty string: no share, no bound.
"""

from __future__ import annotations

REFERENCE_KEYS = ("describedByEntityStatement", "describedByPersonStatement")
DATE_KEYS = frozenset({
    "statementDate", "publicationDate", "retrievedAt", "creationDate", "foundingDate",
    "dissolutionDate", "birthDate", "deathDate", "startDate", "endDate", "date",
})
SHARE_KEYS = ("exact", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def tolerate(statement):
    """``statement`` with the tolerated forms rewritten (in place), ready for the schema."""
    if not isinstance(statement, dict):
        return statement
    _drop_empty_dates(statement)
    details = statement.get("recordDetails")
    if statement.get("recordType") == "relationship" and isinstance(details, dict):
        for role in ("subject", "interestedParty"):
            if role in details:
                details[role] = _party(details[role])
        interests = details.get("interests")
        for interest in interests if isinstance(interests, list) else ():
            if isinstance(interest, dict):
                _tidy_share(interest)
    return statement


def _party(value):
    if not isinstance(value, dict):
        return value
    for key in REFERENCE_KEYS:
        if isinstance(value.get(key), str) and len(value) == 1:
            return value[key]
    if "reason" not in value and "unspecifiedReason" in value:
        value = {k: v for k, v in value.items() if k != "unspecifiedReason"} | {"reason": value["unspecifiedReason"]}
        if "description" not in value and "unspecifiedDescription" in value:
            value["description"] = value.pop("unspecifiedDescription")
    return value


def _tidy_share(interest: dict) -> None:
    share = interest.get("share")
    if isinstance(share, str) and not share.strip():
        del interest["share"]
    elif isinstance(share, dict):
        for key in SHARE_KEYS:
            if isinstance(share.get(key), str) and not share[key].strip():
                del share[key]


def _drop_empty_dates(value, depth: int = 0) -> None:
    if depth > 20:  # deeper than any BODS field; the schema refuses what lies there
        return
    if isinstance(value, dict):
        for key in [k for k, v in value.items() if k in DATE_KEYS and isinstance(v, str) and not v.strip()]:
            del value[key]
        for item in value.values():
            if isinstance(item, (dict, list)):
                _drop_empty_dates(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)):
                _drop_empty_dates(item, depth + 1)
