import json

import pytest
from click.testing import CliRunner
from risk_graphs import by_flag, flags, operator_graph, run_scorer, table

from inspect_kit.cli import cli
from inspect_kit.plugins import get_queries, get_scorers, ordered
from inspect_kit_risk.combine import RiskScoresScorer
from inspect_kit_risk.ownership import SecrecyScorer, UntraceableScorer
from inspect_kit_risk.report import LANDLORDS_SQL


@pytest.fixture
def registry(tmp_path):
    reg = operator_graph(tmp_path)
    yield reg
    reg.close()


def test_risk_scores_list_each_contribution(registry):
    run_scorer(registry, UntraceableScorer())
    run_scorer(registry, SecrecyScorer())
    run_scorer(registry, RiskScoresScorer())
    scores = {r["location_id"]: r for r in table(registry, "risk_scores")}
    rose = scores["1-001"]
    contributions = json.loads(rose["contributions"])
    assert [c["flag"] for c in contributions] == ["untraceable_landlord", "offshore_landlord"]
    assert rose["score"] == pytest.approx(sum(c["score"] * c["weight"] for c in contributions))
    assert rose["top_flag"] == "untraceable_landlord" and rose["flags"] == 2 and rose["scorer_version"] == "1"
    assert "1-005" not in scores and "1-002" not in scores
    run_scorer(registry, RiskScoresScorer(), {"weights": {"offshore_landlord": 10}})
    rose = {r["location_id"]: r for r in table(registry, "risk_scores")}["1-001"]
    assert rose["top_flag"] == "offshore_landlord"


def test_risk_scores_run_after_every_other_scorer():
    names = [s.name for s in ordered(get_scorers())]
    assert names[-1] == "risk_scores" and len(names) == 14


def test_build_reads_thresholds_from_the_config_file(registry, tmp_path):
    db = str(registry.path)
    registry.close()
    config = tmp_path / "risk.toml"
    config.write_text('[scorers.untraceable.end_kind_scores]\nsuper_secure = 0.1\n\n'
                      '[scorers.risk_scores.weights]\nuntraceable_landlord = 0\n')
    result = CliRunner().invoke(
        cli, ["build", "--db", db, "--config", str(config), "--today", "2024-06-01", "--only", "scorers"]
    )
    assert result.exit_code == 0, result.output
    from inspect_kit.registry import Registry

    reg = Registry.open(db)
    found = flags(reg)
    assert by_flag(found, "untraceable_owner")["GB-COH-OE000013"]["score"] == 0.1
    oak = {r["location_id"]: r for r in table(reg, "risk_scores")}["1-003"]
    assert [c["contribution"] for c in json.loads(oak["contributions"]) if c["flag"] == "untraceable_landlord"] == [0]
    assert {f["scorer"] for f in found} >= {"untraceable", "secrecy", "opco_propco_split", "landlord_status"}
    reg.close()


def test_landlords_report_reads_like_the_unions_table(registry):
    run_scorer(registry, SecrecyScorer())
    db = str(registry.path)
    result = CliRunner().invoke(cli, ["report", "landlords", "--provider", "P1", "--db", db, "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {r["landlord"]: r for r in json.loads(result.output)}
    rose = rows["ROSE PROPCO LTD"]
    assert (rose["homes"], rose["traceable"], rose["secrecy_jurisdictions_on_chain"]) == (1, "no", "KY")
    assert "psc-exists-but-not-identified" in rose["why_untraceable"]
    assert rows["OAK (JERSEY) LIMITED"]["jurisdiction"] == "JE"
    assert rows["OAK (JERSEY) LIMITED"]["why_untraceable"].startswith("super_secure")
    assert rows["ELM HOLDINGS LTD"]["why_untraceable"].startswith("cycle")
    assert rows["ASH OFFSHORE INC"]["traceable"] == "no" and rows["ASH OFFSHORE INC"]["jurisdiction"] == "VG"
    assert rows["IVY PROPERTIES LTD"]["traceable"] == "yes"
    assert rows["IVY PROPERTIES LTD"]["ultimate_owners"] == "BIG LISTED PLC"
    assert rows["SUNSET CARE LTD"]["is_operator"] == 1
    assert rows["(no title matched)"]["home_names"] == "Birch Cottage"
    assert rows["(no title matched)"]["traceable"] == "n/a"
    assert "Hazel House" not in json.dumps(rows)  # run by another operator

    table_out = CliRunner().invoke(cli, ["report", "landlords", "--provider", "P1", "--db", db])
    assert table_out.exit_code == 0
    first = table_out.output.splitlines()[0]
    # Each home counted once; the operator's own title is not a landlord's.
    assert first.startswith("SUNSET CARE LTD (P1): 7 homes stand on land owned by 7 landlords other than the operator")
    assert "4 landlords, owning land under 4 homes, cannot be traced" in first
    assert "The operator itself holds titles (its own or its leases) at 1 home; 1 home with no title matched" in first
    assert table_out.output.splitlines()[-1].startswith("(no title matched)")


def test_landlords_report_unknown_provider(registry):
    result = CliRunner().invoke(cli, ["report", "landlords", "--provider", "NOPE", "--db", str(registry.path)])
    assert result.exit_code == 1 and "no provider 'NOPE'" in result.output


def test_landlords_query_is_published_for_datasette(registry):
    query = get_queries()["operator_landlords"]
    assert query.sql == LANDLORDS_SQL
    rows = registry.conn.execute(query.sql, {"provider_id": "P2"}).fetchall()
    assert [r[1] for r in rows] == ["IVY PROPERTIES LTD"]


def test_landlords_query_runs_in_datasette(registry):
    import asyncio

    from inspect_kit_datasette.publish import make_datasette

    run_scorer(registry, SecrecyScorer())
    datasette = make_datasette(registry.path)

    async def fetch():
        return await datasette.client.get(
            f"/{registry.path.stem}/operator_landlords.json?provider_id=P1&_shape=array")

    response = asyncio.run(fetch())
    assert response.status_code == 200, response.text
    rows = {r["landlord"]: r for r in response.json()}
    assert rows["ROSE PROPCO LTD"]["secrecy_jurisdictions_on_chain"] == "KY"
    assert len(rows) == 9  # eight landlords and the homes with no title


def test_the_documented_config_is_accepted(registry, tmp_path):
    """Every section and key in docs/risk.md's example config is a real setting."""
    import re
    from pathlib import Path

    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    text = Path(__file__).parent.parent.joinpath("docs", "risk.md").read_text()
    block = re.search(r"```toml\n(.*?)```", text, re.S).group(1)
    config = tomllib.loads(block)["scorers"]
    scorers = get_scorers()
    for name, section in config.items():
        assert name in scorers, name
        assert set(section) <= set(scorers[name].defaults), (name, set(section) - set(scorers[name].defaults))
    fsi = tmp_path / "fsi_2022_main_results.csv"
    fsi.write_text("ISO2,Secrecy Score\nKY,72.6\nGB,47.2\n")
    config["secrecy"]["list_file"] = str(fsi)
    found = run_scorer(registry, scorers["secrecy"], config["secrecy"])
    lists = {l["name"] for f in found for h in f["evidence"].get("offshore", []) for l in h["lists"]}
    assert lists == {"Financial Secrecy Index", "UK Crown Dependencies and Overseas Territories"}
