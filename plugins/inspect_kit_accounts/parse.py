"""One filing's numeric facts, read with ixbrlparse (MIT, written for Companies House accounts).

ixbrlparse reads both inline XBRL (``.html``) and plain XBRL (``.xml``) and
applies the ``ixt`` number formats, ``scale`` and ``sign``. What it does not
say, this module adds: the period as dates, the dimension members as one
string, and which standard the filing follows (from its schema reference).
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field

from ixbrlparse import IXBRL
from ixbrlparse.core import IXBRLParseError

# Words in the schema reference -> the accounting standard of the filing.
STANDARDS = (("frs-105", "frs105"), ("frs-102", "frs102"), ("frs-101", "frs101"), ("ifrs", "ifrs"),
             ("uk-gaap", "uk-gaap"), ("char", "charities"))


@dataclass
class ParsedFact:
    concept: str  # local name, e.g. TurnoverRevenue
    prefix: str | None  # as written in this document, e.g. core, uk-core, ifrs-full
    context_id: str
    period_start: datetime.date | None
    period_end: datetime.date | None  # the instant, for a balance-sheet figure
    instant: bool
    members: str | None  # "dimension=member;..." sorted, None when undimensioned
    unit: str | None
    value: float


@dataclass
class Parsed:
    standard: str | None
    facts: list[ParsedFact] = field(default_factory=list)
    error: str | None = None  # why the document yields no facts


def accounting_standard(schema_ref: str | None) -> str | None:
    if not schema_ref:
        return None
    low = schema_ref.lower()
    return next((standard for word, standard in STANDARDS if word in low), "other")


def _schema_ref(soup) -> str | None:
    """The schema reference; ixbrlparse misses it when the XML parser drops the ``xlink:`` prefix."""
    tag = soup.find(["link:schemaRef", "schemaRef"])
    return (tag.get("xlink:href") or tag.get("href")) if tag is not None else None


def parse(data: bytes) -> Parsed:
    """The numeric facts of one filing; a document ixbrlparse cannot read yields none, with the reason."""
    try:
        document = IXBRL(io.BytesIO(data), raise_on_error=False)
    except IXBRLParseError as error:
        return Parsed(None, error=f"not XBRL or inline XBRL ({error})")
    except Exception as error:  # a document so broken that the XML parser gives up
        return Parsed(None, error=f"unreadable ({type(error).__name__}: {error})")
    parsed = Parsed(accounting_standard(document.schema or _schema_ref(document.soup)))
    seen = set()
    for item in document.numeric:
        context = item.context
        if item.value is None or not hasattr(context, "id"):
            continue
        members = ";".join(sorted(
            f"{s.get('dimension', '')}={s.get('value', '')}" for s in (context.segments or [])
        )) or None
        key = (item.name, context.id, item.unit)
        if key in seen:  # the same figure shown twice (face and notes)
            continue
        seen.add(key)
        instant = context.instant is not None
        parsed.facts.append(ParsedFact(
            concept=item.name,
            prefix=None if item.schema == "unknown" else item.schema,
            context_id=context.id,
            period_start=None if instant else context.startdate,
            period_end=context.instant if instant else context.enddate,
            instant=instant,
            members=members,
            unit=item.unit,
            value=float(item.value),
        ))
    if not parsed.facts:
        parsed.error = "no numeric facts tagged"
    return parsed
