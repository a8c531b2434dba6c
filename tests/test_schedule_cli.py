"""Through the command line: build stores the plan; report backtest replays history."""

import datetime
import json

from click.testing import CliRunner
from schedule_registry import TODAY, load, make_homes

from inspect_kit import CareHome
from inspect_kit.cli import cli
from inspect_kit.registry import Registry

CONFIG = """
[schedulers.risk-based]
horizon_weeks = 4
seed = 42
closed_days = ["2026-12-25"]

[[schedulers.risk-based.team]]
id = "INS-A"
latitude = 51.45
longitude = -2.59
visits_per_day = 2
leave = ["2026-11-30..2026-12-04"]

[[schedulers.risk-based.team]]
id = "INS-B"
latitude = 52.48
longitude = -1.90
"""


def test_build_stores_the_plan_and_its_seed(tmp_path):
    db = tmp_path / "registry.db"
    registry = Registry.open(db)
    load(registry, *make_homes(120, seed=5))
    registry.close()
    config = tmp_path / "team.toml"
    config.write_text(CONFIG)
    result = CliRunner().invoke(cli, ["build", "--db", str(db), "--config", str(config),
                                      "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "scheduler risk-based:" in result.output
    registry = Registry.open(db)
    visits = registry.conn.execute(
        "select inspector, planned_date, reason from inspection_schedule where scheduler = 'risk-based'").fetchall()
    assert {v[0] for v in visits} == {"INS-A", "INS-B"}
    assert len(visits) <= 4 * 5 * 3
    assert not any(v[0] == "INS-A" and "2026-11-30" <= v[1] <= "2026-12-04" for v in visits)
    assert registry.conn.execute("select seed from schedule_runs where scheduler = 'risk-based'").fetchone() == ("42",)
    assert registry.conn.execute(
        "select count(*) from inspection_schedule where scheduler = 'cqc-intervals'").fetchone()[0] == 120
    registry.close()


def _history(tmp_path):
    """2024: 60 homes. 2025: a few with risk flags were rated Inadequate."""
    db = tmp_path / "registry.db"
    registry = Registry.open(db)
    homes, risk = make_homes(60, seed=9, today=datetime.date(2024, 1, 1))
    load(registry, homes, as_of="2024-01-01")
    flagged = sorted({r.location_id for r in risk if hasattr(r, "top_flag")})[:5]
    later = [CareHome(location_id=lid, rating="Inadequate", rating_date="2024-06-03",
                      last_inspection_date="2024-06-03") for lid in flagged]
    load(registry, later, risk, as_of="2024-06-10")
    registry.close()
    return db, flagged


def test_backtest_reports_both_orders_and_leakage(tmp_path):
    db, flagged = _history(tmp_path)
    result = CliRunner().invoke(cli, ["report", "backtest", "--db", str(db), "--from", "2024-01-01",
                                      "--to", "2024-12-31", "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found["later_inadequate"] == len(flagged) == 5
    assert found["homes"] == 60
    assert "Leakage" in found["leakage"]
    assert found["risk"]["mean_days_to_reach"] is not None and found["interval"]["mean_days_to_reach"] is not None
    # The homes that failed carry flags, so the risk order reaches them no later on average.
    assert found["mean_days_earlier"] >= 0
    text = CliRunner().invoke(cli, ["report", "backtest", "--db", str(db), "--from", "2024-01-01",
                                    "--to", "2024-12-31"]).output
    assert "Risk-based order" in text and "Leakage" in text


def test_backtest_before_any_history_is_a_clear_error(tmp_path):
    db, _ = _history(tmp_path)
    result = CliRunner().invoke(cli, ["report", "backtest", "--db", str(db), "--from", "2020-01-01",
                                      "--to", "2020-12-31"])
    assert result.exit_code == 1
    assert "nothing to replay: 0 homes registered on 2020-01-01" in result.output
    assert "Traceback" not in result.output
