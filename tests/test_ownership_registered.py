"""The bitmap that says which companies are registered answers as a set of ids would."""

import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from inspect_kit.matching import company_entity_id
from inspect_kit_ownership.registered import RegisteredCompanies

numbers = st.one_of(
    st.integers(0, 99_999_999).map(str),
    st.tuples(st.sampled_from(["SC", "OC", "NI", "OE", "R", "FC"]), st.integers(0, 999_999)).map(
        lambda p: f"{p[0]} {p[1]}"),
    st.text(alphabet="AZ09 -/", min_size=1, max_size=10),
)


@given(registered=st.sets(numbers, max_size=30), asked=st.lists(numbers, max_size=30))
def test_answers_as_a_set_of_entity_ids_would(registered, asked):
    ids = {company_entity_id(n) for n in registered} - {None}
    bitmap = RegisteredCompanies(ids)
    for number in [*registered, *asked]:
        entity_id = company_entity_id(number)
        assert (entity_id in bitmap) == (entity_id in ids), entity_id
    assert None not in bitmap and "" not in bitmap


def test_neighbouring_numbers_and_prefixes_do_not_meet():
    bitmap = RegisteredCompanies(["GB-COH-00000008", "GB-COH-SC000008", "GB-COH-R0000008"])
    assert "GB-COH-00000008" in bitmap and "GB-COH-SC000008" in bitmap and "GB-COH-R0000008" in bitmap
    for other in ("GB-COH-00000009", "GB-COH-00000000", "GB-COH-NI000008", "GB-COH-OC000008",
                  "GB-COH-S0000008", "GB-COH-SC00008", "GB-COH-000000080", "XX-COH-00000008"):
        assert other not in bitmap, other


def test_reads_current_companies_not_ended_ones_or_their_pscs():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE entities (id TEXT PRIMARY KEY, valid_to TEXT)")
    db.executemany("INSERT INTO entities VALUES (?, ?)", [
        ("GB-COH-01234567", None),
        ("GB-COH-07654321", "2026-10-01"),  # dissolved, ended
        ("GB-COH-01234567/psc/abc", None),
        ("GB-COH-SC123456", None),
        ("XI-LEI-5493001KJTIIGC8Y1R12", None),
    ])
    bitmap = RegisteredCompanies.current(db)
    assert "GB-COH-01234567" in bitmap and "GB-COH-SC123456" in bitmap
    assert "GB-COH-07654321" not in bitmap
    assert "GB-COH-01234567/psc/abc" not in bitmap
