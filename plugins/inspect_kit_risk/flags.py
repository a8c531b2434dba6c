"""Building flags the same way in every scorer: a score, a severity, evidence, a sentence.

Evidence is what lets a person check a flag and a journalist quote it, so every
flag carries the rule and its threshold, the ownership path where there is one,
and the source rows with the run that delivered each of them.
"""

from __future__ import annotations

from typing import Any

from inspect_kit import RiskFlag

# Severity from score, unless a scorer's config says otherwise.
DEFAULT_SEVERITY = {"high": 0.7, "medium": 0.4}


def severity_for(score: float, settings: dict[str, Any] | None = None) -> str:
    """``high``, ``medium`` or ``low``: the score against the configured cut-offs."""
    cutoffs = {**DEFAULT_SEVERITY, **((settings or {}).get("severity") or {})}
    if score >= cutoffs["high"]:
        return "high"
    if score >= cutoffs["medium"]:
        return "medium"
    return "low"


def make_flag(
    subject_type: str,
    subject_id: str,
    flag: str,
    *,
    score: float,
    explanation: str,
    rule: str,
    threshold: Any = None,
    sources: list[dict] | None = None,
    settings: dict[str, Any] | None = None,
    severity: str | None = None,
    **evidence: Any,
) -> RiskFlag:
    """A ``RiskFlag`` whose evidence always has ``rule``, ``threshold`` and ``sources``."""
    score = round(max(0.0, min(1.0, float(score))), 4)
    body = {"rule": rule, "threshold": threshold, "sources": sources or [], **evidence}
    return RiskFlag(
        subject_type=subject_type,
        subject_id=subject_id,
        flag=flag,
        score=score,
        severity=severity or severity_for(score, settings),
        explanation=explanation,
        evidence=body,
    )


def source_row(table: str, row: dict[str, Any], *key: str) -> dict[str, Any]:
    """Where a fact came from: the table, the row's key, and the run that delivered it."""
    found = {"table": table, **{k: row.get(k) for k in key}}
    for column in ("run_id", "source", "valid_from", "valid_to"):
        if row.get(column) is not None:
            found[column] = row[column]
    return found


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else (plural_noun or noun + 's')}"
