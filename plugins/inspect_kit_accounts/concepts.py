"""The concepts that matter, mapped across FRS 102, FRS 105, IFRS and the old UK GAAP taxonomy.

The mapping is data (``concepts.csv``): one row per taxonomy concept, naming
the measure it gives (``turnover``, ``rent``...), the dimension member it must
carry when it is a breakdown (interest payable *to group undertakings*), and
where it comes from. Earlier rows of a measure win over later ones. Matching
is on the concept's local name: prefixes differ from one document to the next.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

TABLE = Path(__file__).with_name("concepts.csv")
# Measures only a profit and loss account gives; without them the P&L is not published.
PROFIT_AND_LOSS = ("turnover", "profit_before_tax")


@functools.lru_cache(maxsize=1)
def mapping() -> dict[tuple[str, str | None], list[tuple[int, str]]]:
    """``(concept, member local name or None)`` -> ``[(priority, measure)]``."""
    out: dict = {}
    with open(TABLE, newline="", encoding="utf-8") as f:
        for priority, row in enumerate(csv.DictReader(f)):
            member = row["member"].split(":")[-1] or None
            out.setdefault((row["concept"], member), []).append((priority, row["measure"]))
    return out


def measures() -> list[str]:
    """Every measure the table maps, in table order."""
    seen = []
    for entries in mapping().values():
        for _, measure in entries:
            if measure not in seen:
                seen.append(measure)
    return seen


def measures_of(concept: str, members: str | None) -> list[tuple[int, str]]:
    """The measures a fact gives: undimensioned facts, or facts on exactly one mapped member."""
    if members is None:
        return mapping().get((concept, None), [])
    if ";" in members:
        return []
    member = members.split("=", 1)[-1].split(":")[-1]
    return mapping().get((concept, member), [])
