"""Reading what a scheduler needs about each home: its deadline, its risk and its flags.

Risk comes from the risk plugin's ``risk_scores`` (one weighted score per home)
and the flag names from ``risk_flags``; both are optional, so a registry with
ratings alone still gets an interval plan.
"""

from __future__ import annotations

import datetime
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field

from inspect_kit.intervals import Due, due_date

CURRENT_HOMES_SQL = """
SELECT location_id, name, provider_id, local_authority, latitude, longitude, rating, rating_date,
       last_inspection_date, registration_date
FROM care_homes
WHERE valid_to IS NULL AND coalesce(status, 'Registered') != 'Deregistered'
  AND coalesce(care_home, 1) = 1
ORDER BY location_id
"""


@dataclass
class Home:
    location_id: str
    name: str | None
    latitude: float | None
    longitude: float | None
    rating: str | None
    due: Due
    risk: float = 0.0
    flags: list[str] = field(default_factory=list)

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def flag_text(self) -> str:
        if not self.flags:
            return "no risk flags"
        shown = ", ".join(self.flags[:4]) + (f" and {len(self.flags) - 4} more" if len(self.flags) > 4 else "")
        return f"risk {self.risk:g} ({shown})"


def _table_exists(conn: sqlite3.Connection, table: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone() is not None


def read_risk(conn: sqlite3.Connection) -> tuple[dict[str, float], dict[str, list[str]]]:
    """Each home's combined risk score and its flag names (highest scoring first)."""
    scores: dict[str, float] = {}
    flags: dict[str, list[str]] = defaultdict(list)
    if _table_exists(conn, "risk_scores"):
        scores = {lid: float(score or 0) for lid, score in conn.execute("SELECT location_id, score FROM risk_scores")}
    if _table_exists(conn, "risk_flags"):
        for lid, flag in conn.execute(
            "SELECT subject_id, flag FROM risk_flags WHERE subject_type = 'care_home' "
            "GROUP BY subject_id, flag ORDER BY subject_id, max(coalesce(score, 0)) DESC, flag"
        ):
            flags[lid].append(flag)
    return scores, flags


def read_homes(conn: sqlite3.Connection, intervals, today: datetime.date, first_months: int,
               rows: list[dict] | None = None) -> list[Home]:
    """Current registered care homes with their deadlines; ``rows`` replays another date's homes."""
    if rows is None:
        cursor = conn.execute(CURRENT_HOMES_SQL)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, r)) for r in cursor]
    scores, flags = read_risk(conn)
    homes = []
    for row in rows:
        lid = row["location_id"]
        homes.append(Home(
            lid, row.get("name"), row.get("latitude"), row.get("longitude"), row.get("rating"),
            due_date(row, intervals, today, first_months), scores.get(lid, 0.0), flags.get(lid, []),
        ))
    return homes
