"""Regenerate docs/registry.md from the record classes: python docs/generate_registry.py

The tests fail when docs/registry.md differs from what this prints, so the
documentation of the tables cannot drift from the code.
"""

from pathlib import Path

from inspect_kit.records import CONTRACT_RECORDS

INTRO = '''# The registry

One SQLite file (`registry.db` by default). The tables below are a public contract:
Datasette users, canned queries and exports depend on their names and columns, so they are
only ever extended, never renamed.

**Collected tables** keep history. Each row carries `source` (the collector that delivered
it), `run_id` (its `collection_runs` row), `valid_from` and `valid_to` (NULL while the
source still says it). A changed row's earlier version is copied to `<table>_history`; a
row missing from a full snapshot gets a `valid_to`, and stays. To see a table as it stood
on a date, take the rows of the table and its history where
`valid_from <= :date and (valid_to is null or valid_to > :date)` (the canned query
`titles_as_of` does this for title proprietors).

**Derived tables** are recomputed by `inspect-kit build`: each resolver, scorer or
scheduler replaces its own rows (named in the column shown).

**Run tables**: `collection_runs` (one row per collection run: collector, source, as-of
date, counts of records read, rows changed, rows ended and rows rejected) and
`rejected_records` (run, source file or URL, line, raw text and the reason).
'''


def registry_doc() -> str:
    parts = [INTRO]
    for cls in CONTRACT_RECORDS:
        kind = f"derived, by `{cls.__producer__}`" if cls.__derived__ else "collected"
        keys = ", ".join(f"`{k}`" for k in cls.__key__)
        lines = [f"## `{cls.__table__}` ({kind})", "", f"{cls.__description__} Key: {keys}.", "",
                 "| column | type | meaning |", "|---|---|---|"]
        lines += [f"| `{c.name}` | {c.type.__name__} | {c.description} |" for c in cls.columns()]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


if __name__ == "__main__":
    (Path(__file__).parent / "registry.md").write_text(registry_doc())
