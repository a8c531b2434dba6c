"""The graph maths of inspect_kit.ownership, on small fictional graphs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspect_kit.ownership import TRACEABLE_ENDS, OwnershipGraph


def company(id, **kw):
    return {"id": id, "name": f"{id} Holdings Limited", "entity_type": "company", "jurisdiction": "GB",
            "status": "active", **kw}


def person(id):
    return {"id": id, "name": f"Person {id}", "entity_type": "person"}


_counter = iter(range(10**6))


def owns(subject, owner, low=75, high=100, interest="shareholding", **kw):
    return {"id": kw.pop("id", f"r{next(_counter)}"), "subject_id": subject, "interested_party_id": owner,
            "interest_type": interest, "share_min": low, "share_max": high, **kw}


def unknown(subject, statement):
    return {"id": f"s{next(_counter)}", "subject_id": subject, "interested_party_id": None,
            "unspecified_reason": statement, "interest_type": None}


def graph(entities, relationships, **kw):
    kw.setdefault("as_of", "2024-06-01")
    return OwnershipGraph.build(entities, relationships, **kw)


def test_deep_chain_multiplies_bands():
    ids = [f"C{i}" for i in range(12)]
    entities = [company(i) for i in ids] + [person("P")]
    rels = [owns(ids[i], ids[i + 1], 50, 75) for i in range(11)] + [owns(ids[-1], "P", 75, 100)]
    g = graph(entities, rels)
    (owner,) = g.ultimate_owners("C0")
    assert owner.owner_id == "P" and owner.owner_kind == "person"
    assert owner.min_depth == 12
    assert owner.share_min == pytest.approx(100 * 0.5**11 * 0.75, abs=1e-6)
    assert owner.share_max == pytest.approx(100 * 0.75**11, abs=1e-6)
    (path,) = g.paths("C0")
    assert path.entity_ids == tuple(ids) + ("P",)
    assert path.traceable and path.end_kind == "person"
    assert "natural person" in path.reason


def test_deep_chain_has_no_recursion_limit():
    n = 5000
    entities = [company(f"C{i}") for i in range(n)] + [person("P")]
    rels = [owns(f"C{i}", f"C{i + 1}", 100, 100) for i in range(n - 1)] + [owns(f"C{n - 1}", "P", 100, 100)]
    g = graph(entities, rels)
    assert g.ultimate_owners("C0")[0].min_depth == n


def test_parallel_paths_add_up_without_exceeding_100():
    entities = [company("S"), company("A"), company("B"), person("P")]
    rels = [owns("S", "A", 50, 75), owns("S", "B", 25, 50), owns("A", "P", 75, 100), owns("B", "P", 75, 100)]
    (owner,) = graph(entities, rels).ultimate_owners("S")
    assert owner.paths == 2
    assert owner.share_min == pytest.approx(0.5 * 0.75 * 100 + 0.25 * 0.75 * 100)  # 56.25
    assert owner.share_max == 100  # 75 + 50 capped


def test_several_natures_of_control_between_two_entities_are_one_step():
    # A PSC entry lists shares, votes and directors: one owner, not three paths.
    rels = [owns("S", "P", 50, 75), owns("S", "P", 50, 75, interest="votingRights"),
            owns("S", "P", None, None, interest="appointmentOfBoard")]
    g = graph([company("S"), person("P")], rels)
    (path,) = g.paths("S")
    assert len(path.relationship_ids[0]) == 3
    (owner,) = g.ultimate_owners("S")
    assert (owner.share_min, owner.share_max, owner.paths) == (50, 75, 1)


def test_control_without_shares_is_an_unknown_share():
    g = graph([company("S"), person("P")], [owns("S", "P", None, None, interest="otherInfluenceOrControl")])
    (owner,) = g.ultimate_owners("S")
    assert (owner.share_min, owner.share_max) == (0, 100)


def test_cycle_reaching_no_person_is_untraceable():
    entities = [company("S"), company("A"), company("B")]
    rels = [owns("S", "A"), owns("A", "B"), owns("B", "A")]
    g = graph(entities, rels)
    (path,) = g.paths("S")
    assert path.end_kind == "cycle" and path.end_id == "A"
    assert path.entity_ids == ("S", "A", "B", "A")
    assert not path.traceable
    assert "cycle that reaches no identified owner" in path.reason
    assert g.ultimate_owners("S") == []
    assert not g.traceable("S")


def test_cycle_with_a_way_out_reaches_the_person_once():
    # A and B own each other and P owns B: P is counted through B only, never around the loop.
    entities = [company("S"), company("A"), company("B"), person("P")]
    rels = [owns("S", "A", 100, 100), owns("A", "B", 50, 50), owns("B", "A", 50, 50), owns("B", "P", 50, 50)]
    g = graph(entities, rels)
    (owner,) = g.ultimate_owners("S")
    assert owner.share_min == pytest.approx(25) and owner.paths == 1
    cycle = [p for p in g.paths("S") if p.end_kind == "cycle"]
    assert len(cycle) == 1 and cycle[0].traceable
    assert g.traceable("S")


def test_self_ownership_is_a_cycle():
    g = graph([company("S")], [owns("S", "S")])
    (path,) = g.paths("S")
    assert path.end_kind == "cycle" and not path.traceable


def test_ended_relationship_is_left_out():
    entities = [company("S"), person("OLD"), person("NEW")]
    rels = [owns("S", "OLD", start_date="2016-04-06", end_date="2020-01-31"),
            owns("S", "NEW", start_date="2020-01-31")]
    assert [o.owner_id for o in graph(entities, rels).ultimate_owners("S")] == ["NEW"]
    assert [o.owner_id for o in graph(entities, rels, as_of="2019-01-01").ultimate_owners("S")] == ["OLD"]


def test_company_whose_owners_all_ceased_files_no_psc():
    g = graph([company("S")], [owns("S", "OLD", end_date="2020-01-31")])
    (path,) = g.paths("S")
    assert path.end_kind == "no_psc_filed" and not path.traceable
    assert "ceased by 2020-01-31" in path.reason


def test_unknown_owner_statement():
    g = graph([company("S"), person("P")], [owns("S", "P", 25, 50), unknown("S", "psc-exists-but-not-identified")])
    ends = {p.end_kind: p for p in g.paths("S")}
    assert ends["unknown_owner"].end_id is None
    assert "psc-exists-but-not-identified" in ends["unknown_owner"].reason
    assert not g.traceable("S")
    assert [o.owner_id for o in g.ultimate_owners("S")] == ["P"]


def test_informational_roe_statement_ends_no_path():
    g = graph([company("OE1", entity_type="overseas_entity"), person("P")],
              [owns("OE1", "P"), unknown("OE1", "all-beneficial-owners-identified")])
    assert g.traceable("OE1")


def test_overseas_owner_with_no_record():
    psc = {"id": "GB-COH-00000001/psc/x", "name": "Far Away Holdings Ltd", "entity_type": "company",
           "jurisdiction": "KY"}
    g = graph([company("S"), psc], [owns("S", psc["id"])], reference_only={psc["id"]})
    (path,) = g.paths("S")
    assert path.end_kind == "foreign_not_found" and not path.traceable
    assert "KY" in path.reason


def test_uk_corporate_owner_not_in_any_register():
    psc = {"id": "GB-COH-00000001/psc/y", "name": "Nowhere Ltd", "entity_type": "company", "jurisdiction": "GB"}
    g = graph([company("S"), psc], [owns("S", psc["id"]), owns("S", "GB-COH-99999999")],
              reference_only={psc["id"]})
    assert {p.end_kind for p in g.paths("S")} == {"not_in_register"}


def test_alias_links_a_corporate_owner_to_its_company():
    psc_id = "GB-COH-00000001/psc/z"
    entities = [company("S"), {"id": psc_id, "entity_type": "company"}, company("GB-COH-05498655"), person("P")]
    rels = [owns("S", psc_id), owns("GB-COH-05498655", "P")]
    g = graph(entities, rels, aliases={psc_id: "GB-COH-05498655"})
    (path,) = g.paths("S")
    assert path.entity_ids == ("S", "GB-COH-05498655", "P")


@pytest.mark.parametrize(
    "entity,kind,traceable",
    [
        (person("X"), "person", True),
        (company("X", listed=True), "listed_company", True),
        ({"id": "X", "entity_type": "public_body"}, "public_body", True),
        ({"id": "X", "entity_type": "charity"}, "charity", True),
        ({"id": "X", "entity_type": "legal_person", "name": "Secretary of State for Health"}, "public_body", True),
        ({"id": "X", "entity_type": "legal_person", "name": "Blue Foundation"}, "not_in_register", False),
        ({"id": "X", "entity_type": "super_secure"}, "super_secure", False),
        (company("X"), "no_psc_filed", False),
        ({"id": "X", "entity_type": "overseas_entity", "jurisdiction": "JE"}, "no_psc_filed", False),
        (company("X", jurisdiction="VG"), "foreign_not_found", False),
    ],
)
def test_end_classification(entity, kind, traceable):
    g = graph([company("S"), entity], [owns("S", "X")])
    (path,) = g.paths("S")
    assert (path.end_kind, path.traceable) == (kind, traceable)
    assert path.reason


# -- the summary agrees with the paths, on any graph -----------------------

graphs = st.integers(2, 7).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(-1, n + 1), st.sampled_from([(25, 50), (50, 75), (75, 100), (100, 100)])),
                 max_size=14),
    )
)


@settings(max_examples=300, deadline=None)
@given(graphs)
def test_summary_equals_the_sum_over_paths(case):
    n, edges = case
    entities = [company(f"N{i}") for i in range(n - 1)] + [person(f"N{n - 1}")]
    rels = []
    for k, (subject, owner, (low, high)) in enumerate(edges):
        if owner == -1:
            rels.append({"id": f"e{k}", "subject_id": f"N{subject}", "interested_party_id": None,
                         "unspecified_reason": "psc-details-not-confirmed"})
        else:
            rels.append(owns(f"N{subject}", f"N{owner}", low, high, id=f"e{k}"))
    g = graph(entities, rels)
    everything = graph(entities, rels).analyse()
    for i in reversed(range(n)):
        subject = f"N{i}"
        paths = list(g.paths(subject))
        expected: dict = {}
        for p in paths:
            key = (p.end_kind, p.end_id)
            low, high, count = expected.get(key, (0.0, 0.0, 0))
            expected[key] = (min(100, low + p.share_min), min(100, high + p.share_max), count + 1)
        got = {}
        for end in g.ends(subject):
            key = (end.kind, end.end_id)
            low, high, count = got.get(key, (0.0, 0.0, 0))
            got[key] = (min(100, low + end.share_min), min(100, high + end.share_max), count + end.paths)
        assert set(got) == set(expected)
        # Shares are capped at 100% at every entity, so the summary is never wider
        # than the sum over paths, and equal to it when no entity's owners exceed 100%.
        uncapped = all(sum(e.high for e in edges) <= 1 for edges in g.edges.values())
        for key in got:
            assert got[key][2] == expected[key][2]
            for bound in (0, 1):
                # each path is rounded to 6 places, so sums of several may differ by millionths
                assert got[key][bound] <= expected[key][bound] + 1e-4
                if uncapped:
                    assert got[key][bound] == pytest.approx(expected[key][bound], abs=1e-4)
        assert all(0 <= e.share_min <= e.share_max <= 100 for e in g.ends(subject))
        # Asked one entity at a time or all analysed at once, the answer is the same.
        assert everything.ends(subject) == g.ends(subject)
        assert g.traceable(subject) == all(p.traceable for p in paths)
        assert {o.owner_id for o in g.ultimate_owners(subject)} == {
            p.end_id for p in paths if p.end_kind in TRACEABLE_ENDS
        }


def test_many_owners_of_one_company_each_count_once():
    # Past a few dozen owners the build indexes them: the merging must not change.
    owners = [person(f"P{i}") for i in range(40)]
    rels = [owns("S", f"P{i}", 25, 50) for i in range(40)]
    rels += [owns("S", f"P{i}", 50, 75, interest="votingRights") for i in range(40)]
    rels += [owns("S", "P7", 25, 50, id="again")]  # a second holding of shares by one owner
    g = graph([company("S")] + owners, rels)
    (edges,) = g.edges.values()
    assert len(edges) == 40 and all(len(e.relationship_ids) == 2 for e in edges if e.parent != "P7")
    shares = {o.owner_id: (o.share_min, o.share_max, o.paths) for o in g.ultimate_owners("S")}
    assert len(shares) == 40
    assert shares["P1"] == (25, 50, 1)  # the shares, not the votes
    assert shares["P7"] == (25, 100, 1)  # at least the larger holding, at most both


def test_building_and_analysing_leave_the_garbage_collector_as_they_found_it():
    import gc

    rels = [owns("S", "A"), owns("A", "P")]
    entities = [company("S"), company("A"), person("P")]
    assert gc.isenabled()
    graph(entities, rels).analyse()
    assert gc.isenabled()
    gc.disable()
    try:
        graph(entities, rels).analyse()
        assert not gc.isenabled()
    finally:
        gc.enable()


@settings(max_examples=100, deadline=None)
@given(graphs, st.lists(st.integers(0, 8), max_size=4))
def test_above_many_is_the_union_of_each_ones_ancestors(case, starts):
    n, edges = case
    rels = [owns(f"N{s}", f"N{o}" if o >= 0 else None) for s, o, _ in edges]
    g = graph([company(f"N{i}") for i in range(n)], rels)
    ids = [f"N{i}" for i in starts]
    assert g.above(ids) == set().union(*(g.ancestors(i) for i in ids))
