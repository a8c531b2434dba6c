"""A build step that reads no other step's results makes them in a forked child process
while the parent writes: what it leaves in the registry, and its failures, must be those
of a step run in one process.

``INSPECT_KIT_CHILD_LOAD=1`` forks even on one core; ``0`` keeps the step in one process.
"""

import datetime
import os

import pytest
from helpers import ListCollector, data_dump

from inspect_kit import CareHomeTitle, PluginError, Resolver, Title, TitleProprietor, Update
from inspect_kit.registry import tuning
from inspect_kit.cli import run_build
from inspect_kit.registry import Registry

TITLES = 230  # more than a few batches of 50, so that the large-result path runs too


class Linker(Resolver):
    """Links every proprietor to its company and every title to a home; says which process did it."""

    name = "test-linker"
    description = "Links proprietors to companies, for tests."
    reads_results = False

    def __init__(self, fail_after=None):
        self.fail_after = fail_after

    def resolve(self, context):
        rows = context.registry.conn.execute(
            "SELECT title_number, position, company_number, entity_id FROM title_proprietors ORDER BY rowid"
        ).fetchall()
        for n, (title, position, number, current) in enumerate(rows):
            if n == self.fail_after:
                raise ValueError("the matcher broke")
            yield CareHomeTitle(location_id=f"1-{n}", title_number=title, method=f"pid {os.getpid()}",
                                confidence=1.0)
            if current != f"GB-COH-{number}":
                yield Update(TitleProprietor, {"title_number": title, "position": position},
                             {"entity_id": f"GB-COH-{number}"})


def registry_with_titles(path):
    registry = Registry(path)
    items = []
    for n in range(TITLES):
        items.append(Title(title_number=f"EX{n:05d}", tenure="Freehold"))
        items.append(TitleProprietor(title_number=f"EX{n:05d}", position=1, name=f"OWNER {n} LIMITED",
                                     company_number=f"{n:08d}"))
    registry.collect(ListCollector(items, name="ccod"))
    return registry


def build(registry, step):
    return run_build(registry, today=datetime.date(2026, 11, 1), steps=[step])


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    monkeypatch.setattr(tuning, "BATCH_SIZE", 50)


def built(path, mode, monkeypatch):
    monkeypatch.setenv("INSPECT_KIT_CHILD_LOAD", mode)
    registry = registry_with_titles(path)
    stored = [build(registry, Linker()), build(registry, Linker())]  # a rebuild replaces the results
    dump = data_dump(registry)
    pids = {row["method"] for row in dump["care_home_titles"]}
    for row in dump["care_home_titles"]:
        row.pop("method")
    registry.close()
    return stored, dump, pids


def test_a_step_made_in_a_child_leaves_what_a_step_in_one_process_leaves(tmp_path, monkeypatch):
    one = built(tmp_path / "one.db", "0", monkeypatch)
    two = built(tmp_path / "two.db", "1", monkeypatch)
    assert one[2] == {f"pid {os.getpid()}"}  # made in this process
    assert len(two[2]) == 1 and two[2] != one[2]  # made in another one
    assert one[0] == [{"resolver test-linker": 2 * TITLES}, {"resolver test-linker": TITLES}]
    assert two[0] == one[0]
    assert two[1] == one[1]
    assert len(two[1]["care_home_titles"]) == TITLES
    assert {r["entity_id"] for r in two[1]["title_proprietors"]} == {f"GB-COH-{n:08d}" for n in range(TITLES)}
    # The indexes dropped for the large result are back.
    for one_index, two_index in zip(*(sorted(r[0] for r in Registry(p).conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'")) for p in (tmp_path / "one.db", tmp_path / "two.db"))):
        assert one_index == two_index


def test_a_failure_in_the_child_rolls_the_build_back(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECT_KIT_CHILD_LOAD", "1")
    registry = registry_with_titles(tmp_path / "r.db")
    build(registry, Linker())
    before = data_dump(registry)
    with pytest.raises(ValueError, match="the matcher broke") as raised:
        build(registry, Linker(fail_after=120))  # after two batches were written
    assert "Traceback" in "".join(getattr(raised.value, "__notes__", []))  # the child's, as a note
    assert data_dump(registry) == before
    registry.close()


def test_a_step_that_reads_results_or_an_in_memory_registry_stays_in_this_process(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECT_KIT_CHILD_LOAD", "1")
    registry = registry_with_titles(tmp_path / "r.db")
    reader = Linker()
    reader.reads_results = True
    build(registry, reader)
    assert {r[0] for r in registry.conn.execute("SELECT method FROM care_home_titles")} == {f"pid {os.getpid()}"}
    registry.close()
    memory = registry_with_titles(":memory:")
    build(memory, Linker())
    assert {r[0] for r in memory.conn.execute("SELECT method FROM care_home_titles")} == {f"pid {os.getpid()}"}


def test_a_step_that_yields_something_else_fails_with_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECT_KIT_CHILD_LOAD", "1")
    registry = registry_with_titles(tmp_path / "r.db")

    class Wrong(Linker):
        def resolve(self, context):
            yield Title(title_number="EX1")

    with pytest.raises(PluginError, match="expected a derived record"):
        build(registry, Wrong())
    registry.close()
