"""A person's same/different judgements on matches, kept and reused on every build.

Two ways to record them, both through the core's collection (never SQL):

- ``inspect-kit decide care_home_title 1-1000210669 AB12345 same --by "A. Name"``
- ``inspect-kit collect match-decisions decisions.csv`` with the columns
  ``kind,left_id,right_id,decision,decided_by,note`` (``decided_on`` optional).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from pathlib import Path

import click

from inspect_kit import Collector, Rejected, SourceError

from .tables import CARE_HOME_TITLE, CCOD_PROPRIETOR, CORPORATE_PSC, OCOD_PROPRIETOR, PROVIDER, MatchDecision

KINDS = (CARE_HOME_TITLE, OCOD_PROPRIETOR, PROVIDER, CCOD_PROPRIETOR, CORPORATE_PSC)
DECISIONS = ("same", "different")
COLUMNS = ("kind", "left_id", "right_id", "decision")


def decision_record(row: dict, line: int | None = None) -> MatchDecision:
    """A decision from a CSV row or the command line; ValueError says what is wrong."""
    missing = [c for c in COLUMNS if not (row.get(c) or "").strip()]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    kind = row["kind"].strip()
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    decision = row["decision"].strip().lower()
    if decision not in DECISIONS:
        raise ValueError(f"decision {row['decision']!r} is not 'same' or 'different'")
    return MatchDecision(
        kind=kind,
        left_id=row["left_id"].strip(),
        right_id=row["right_id"].strip(),
        decision=decision,
        decided_by=(row.get("decided_by") or "").strip() or None,
        decided_on=(row.get("decided_on") or "").strip() or datetime.date.today().isoformat(),
        note=(row.get("note") or "").strip() or None,
        line=line,
    )


class MatchDecisionsCollector(Collector):
    name = "match-decisions"
    description = "A person's same/different judgements on matches (CSV: kind,left_id,right_id,decision,decided_by,note)"

    def collect(self, run):
        for path in run.files:
            run.source = str(path)
            try:
                handle = open(path, newline="", encoding="utf-8-sig")
            except OSError as error:
                raise SourceError(f"{path}: {error.strerror}") from None
            with handle:
                reader = csv.DictReader(handle)
                if not reader.fieldnames or not set(COLUMNS) <= {f.strip() for f in reader.fieldnames}:
                    raise SourceError(f"{path}: the header must name {', '.join(COLUMNS)}")
                for line, row in enumerate(reader, start=2):
                    row = {(k or "").strip(): v for k, v in row.items()}
                    try:
                        yield decision_record(row, line)
                    except ValueError as error:
                        raw = io.StringIO()
                        csv.writer(raw).writerow([row.get(f.strip()) or "" for f in reader.fieldnames])
                        yield Rejected(str(error), raw=raw.getvalue().strip(), line=line, source=str(path))


class _OneDecision(Collector):
    name = "decide"
    description = "One decision given on the command line"
    takes_files = False

    def __init__(self, record: MatchDecision):
        self.record = record

    def collect(self, run):
        yield self.record


def load_decisions(db, kind: str) -> dict[tuple[str, str], str]:
    """Current decisions of one kind: (left_id, right_id) -> 'same' or 'different'."""
    rows = db.execute(
        "SELECT left_id, right_id, decision FROM match_decisions WHERE kind = ? AND valid_to IS NULL",
        (kind,),
    ).fetchall()
    return {(left, right): decision for left, right, decision in rows}


def register_decide_command(cli):
    @cli.command()
    @click.argument("kind", type=click.Choice(KINDS))
    @click.argument("left_id")
    @click.argument("right_id")
    @click.argument("decision", type=click.Choice(DECISIONS))
    @click.option("--by", "decided_by", help="Who decided (kept with the decision).")
    @click.option("--note", help="Why, for whoever reads it later.")
    @click.option("--db", "db_path", default="registry.db", show_default=True, type=click.Path(dir_okay=False))
    def decide(kind, left_id, right_id, decision, decided_by, note, db_path):
        """Record that LEFT_ID and RIGHT_ID are the same thing, or different.

        The next 'inspect-kit build' follows the decision instead of guessing,
        e.g. 'inspect-kit decide care_home_title 1-1000210669 AB12345 same'.
        Candidates to decide are in the match_candidates table.
        """
        from inspect_kit.registry import Registry

        if not Path(db_path).exists():
            raise click.ClickException(f"{db_path}: no registry here yet")
        record = decision_record(
            {"kind": kind, "left_id": left_id, "right_id": right_id, "decision": decision,
             "decided_by": decided_by, "note": note}
        )
        registry = Registry.open(db_path)
        try:
            registry.collect(_OneDecision(record), options={"decision": json.dumps(record.values(), default=str)})
        finally:
            registry.close()
        click.echo(f"{kind} {left_id} {right_id}: {decision}", err=True)
