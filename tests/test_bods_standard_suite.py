"""The BODS standard's own test suite, run through ``inspect-kit collect bods``.

openownership/data-standard ships ``tests/data/valid-statements`` (every case
must load with no rejection) and ``tests/data/invalid-statements`` (every case
must be refused, naming the JSON path and the rule its ``expected_errors.csv``
gives). The suite is not committed here: it is read from
``../shared/reference/bods-standard/tests/data`` beside the repository, or
from the folder named by ``BODS_STANDARD_TESTS``.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from inspect_kit.cli import cli


def suite_folder() -> Path | None:
    given = os.environ.get("BODS_STANDARD_TESTS")
    if given:
        return Path(given)
    beside = Path(__file__).resolve().parents[1] / ".." / "shared" / "reference" / "bods-standard" / "tests" / "data"
    return beside if beside.is_dir() else None


SUITE = suite_folder()
SKIP = pytest.mark.skipif(
    SUITE is None or not (SUITE / "valid-statements").is_dir(),
    reason="the BODS standard's tests/data is not beside the repository "
    "(../shared/reference/bods-standard/tests/data); set BODS_STANDARD_TESTS to its folder",
)


def cases(kind: str) -> list[Path]:
    if SUITE is None or not (SUITE / kind).is_dir():
        return []
    return sorted((SUITE / kind).glob("*.json"))


def expected_errors() -> dict[str, tuple[str, str]]:
    """file name -> (rule, JSON path) from the suite's expected_errors.csv."""
    with open(SUITE / "invalid-statements" / "expected_errors.csv", newline="") as handle:
        return {row[0]: (row[1], row[2]) for row in csv.reader(handle) if row}


def collect(tmp_path: Path, case: Path) -> tuple[int, list[str], int]:
    """(exit code, rejection reasons, statements stored) for one case collected by the CLI."""
    db = tmp_path / "r.db"
    result = CliRunner().invoke(cli, ["collect", "bods", str(case), "--db", str(db), "--no-progress"])
    assert "Traceback" not in result.output, result.output
    connection = sqlite3.connect(db)
    try:
        errors = [row[0] for row in connection.execute("select error from rejected_records")]
        stored = connection.execute("select count(distinct record_id) from bods_statements").fetchone()[0]
    finally:
        connection.close()
    return result.exit_code, errors, stored


@SKIP
@pytest.mark.parametrize("case", cases("valid-statements"), ids=lambda p: p.name)
def test_every_valid_case_is_accepted(tmp_path, case):
    code, errors, stored = collect(tmp_path, case)
    assert code == 0 and errors == []
    record_ids = {s["recordId"] for s in json.loads(case.read_text())}
    assert stored == len(record_ids)


@SKIP
@pytest.mark.parametrize("case", cases("invalid-statements"), ids=lambda p: p.name)
def test_every_invalid_case_is_refused_naming_path_and_rule(tmp_path, case):
    rule, path = expected_errors()[case.name]
    code, errors, stored = collect(tmp_path, case)
    assert code == 0
    assert any(f"{path}: " in error and f"({rule})" in error for error in errors), errors
