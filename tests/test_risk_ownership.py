import csv

import pytest
from risk_graphs import by_flag, operator_graph, run_scorer

from inspect_kit import BuildContext, SourceError
from inspect_kit_risk.ownership import CommonControlScorer, SecrecyScorer, UntraceableScorer


@pytest.fixture
def registry(tmp_path):
    reg = operator_graph(tmp_path)
    yield reg
    reg.close()


def test_untraceable_owner_follows_the_resolvers_paths(registry):
    found = run_scorer(registry, UntraceableScorer())
    owners = by_flag(found, "untraceable_owner")
    # unknown owner, super-secure owner, cycle, no PSC filed: untraceable
    assert set(owners) == {"GB-COH-00000011", "GB-COH-OE000013", "GB-COH-00000014", "GB-COH-00000002"}
    # a listed parent and a dissolved company traced to a person are not
    assert "GB-COH-00000012" not in owners and "GB-COH-00000017" not in owners
    cycle = owners["GB-COH-00000014"]
    assert cycle["evidence"]["paths"][0]["end_kind"] == "cycle"
    assert cycle["evidence"]["paths"][0]["path"] == ["GB-COH-00000014", "GB-COH-00000015", "GB-COH-00000014"]
    assert "cycle" in cycle["explanation"] and cycle["explanation"].endswith(".")
    assert owners["GB-COH-00000011"]["score"] > owners["GB-COH-OE000013"]["score"]  # super-secure weighs less
    assert all(f["scorer_version"] == "1" and f["severity"] in {"low", "medium", "high"} for f in found)


def test_untraceable_landlord_and_operator_on_homes(registry):
    found = run_scorer(registry, UntraceableScorer())
    landlords = by_flag(found, "untraceable_landlord")
    assert set(landlords) == {"1-001", "1-003", "1-004", "1-006"}
    # the independent home with no title in CCOD is not untraceable
    assert "1-005" not in landlords
    unlinked = landlords["1-006"]["evidence"]
    assert unlinked["landlords"][0]["name"] == "ASH OFFSHORE INC"
    assert unlinked["landlords"][0]["paths"][0]["end_kind"] == "not_linked"
    rose = landlords["1-001"]
    proprietor = [s for s in rose["evidence"]["sources"] if s["table"] == "title_proprietors"][0]
    assert proprietor["title_number"] == "TT0001" and proprietor["run_id"] == 1
    assert "ROSE PROPCO LTD" in rose["explanation"]
    assert set(by_flag(found, "untraceable_operator")) == {"1-008"}


def test_unlinked_proprietors_can_be_left_alone(registry):
    found = run_scorer(registry, UntraceableScorer(), {"unlinked_proprietor_is_untraceable": False})
    assert "1-006" not in by_flag(found, "untraceable_landlord")


def test_secrecy_default_lists_name_their_edition(registry):
    found = run_scorer(registry, SecrecyScorer())
    entities = by_flag(found, "secrecy_jurisdiction")
    assert {"GB-COH-00000011", "KY-LP-1", "GB-COH-OE000013"} <= set(entities)
    assert "GB-COH-00000012" not in entities
    hit = entities["GB-COH-00000011"]["evidence"]["offshore"][0]
    assert hit["entity_id"] == "KY-LP-1" and hit["jurisdiction"] == "KY"
    assert hit["path"]["path"] == ["GB-COH-00000011", "KY-LP-1"]
    assert hit["lists"][0]["name"] == "UK Crown Dependencies and Overseas Territories"
    assert hit["lists"][0]["edition"] == "2026-02"
    homes = by_flag(found, "offshore_landlord")
    assert set(homes) == {"1-001", "1-003", "1-006"}  # Cayman chain, Jersey, BVI (OCOD country)
    assert "VG" in homes["1-006"]["explanation"]
    assert not by_flag(found, "offshore_operator")


def test_secrecy_list_from_a_users_scores_file(registry, tmp_path):
    path = tmp_path / "fsi.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Jurisdiction", "ISO2", "Secrecy Score"])
        w.writerows([["Cayman Islands", "KY", "72.6"], ["United Kingdom", "GB", "47.2"], ["Alderney", "", "60"]])
    config = {"include_default": False, "list_file": str(path), "list_name": "Financial Secrecy Index",
              "list_edition": "2022", "code_column": "ISO2", "score_column": "Secrecy Score", "min_score": 60}
    found = run_scorer(registry, SecrecyScorer(), config)
    entities = by_flag(found, "secrecy_jurisdiction")
    assert set(entities) == {"GB-COH-00000011", "KY-LP-1"}  # GB is under the threshold; JE not listed
    lst = entities["KY-LP-1"]["evidence"]["offshore"][0]["lists"][0]
    assert lst == {"name": "Financial Secrecy Index", "edition": "2022", "source": str(path), "score": 0.726}
    assert entities["KY-LP-1"]["score"] == pytest.approx(0.726)
    assert "Financial Secrecy Index (2022)" in entities["KY-LP-1"]["explanation"]


def test_a_broken_list_file_names_file_and_line(registry, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("code,score\nKY,72\nJE,very\n")
    with pytest.raises(SourceError, match=r"bad.csv: line 3: score 'very' is not a number"):
        run_scorer(registry, SecrecyScorer(), {"list_file": str(path)})


def find_common_control(registry):
    """Run the ownership plugin's resolver, as inspect-kit build does before the scorers."""
    from inspect_kit_ownership.common_control import CommonControlFinder

    resolver = CommonControlFinder()
    with registry.transaction():
        registry.store_results(resolver, resolver.resolve(BuildContext(registry)))


def test_common_control_between_landlord_and_operator(registry):
    find_common_control(registry)
    found = run_scorer(registry, CommonControlScorer())
    homes = by_flag(found, "common_control")
    assert set(homes) == {"1-009"}  # sister company; the operator's own title (1-010) is not a pair
    shared = homes["1-009"]["evidence"]["shared"]
    assert {s["owner_id"] for s in shared} == {"GB-COH-00000099"}
    assert shared[0]["landlord_path"][-1] == shared[0]["operator_path"][-1] == "GB-COH-00000099"
    assert "SUNSET GROUP HOLDINGS LTD" in homes["1-009"]["explanation"]


def test_no_common_control_without_the_resolvers_table(registry):
    assert run_scorer(registry, CommonControlScorer()) == []
