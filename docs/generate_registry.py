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

## Public and private data

`registry.db` holds only what public registers publish and what inspect-kit derives from
it, so it can be copied, published with `datasette publish` and served by any number of
read-only replicas with nothing to hide. Everything confidential lives in a second SQLite
file, the **private database**: `private.db` beside `registry.db` (`NAME-private.db` beside
any other `NAME.db`), or wherever
`INSPECT_KIT_PRIVATE_DB` (or `Registry(path, private_path=...)`, `serve --private-db`) puts
it. It holds:

- the inspection schedule (`inspection_schedule`) and its plans' seeds (`schedule_runs`);
- match decisions and who made them (`match_decisions` and its history);
- the whole text of every rejected row (`rejected_raw`, by `rejected_records.id`);
- any table a plugin declares private: a record class with `__private__ = True` (watchlists,
  a council's direct-payment records).

The registry attaches the private database to its connection as `private`, so collectors,
build steps and queries name private tables unqualified, exactly as public ones: a scheduler's
results go to the private file without the scheduler knowing. A run writes both files in one
transaction (in WAL mode SQLite commits each file atomically, one after the other). A
registry written before tables were private has them moved out when it is opened. The
private file says what it is in its header (SQLite `application_id` `0x494B5056`), which is
how the site recognises it; see [publishing.md](publishing.md#privacy-and-permissions).

Personal data that registers do not publish never enters `registry.db`: a person's
residential address and day of birth are dropped on import, `bods_statements.details` keeps
no residence or birth address, and a rejected row that may hold them (a PSC line, a BODS
statement) is shown in `rejected_records.raw` without them, or not at all when it cannot be
read; its whole text is in the private `rejected_raw`.

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
`rejected_records` (run, source file or URL, line, the reason, and the row's text without
personal data; its whole text is in the private database's `rejected_raw`).
'''


def registry_doc() -> str:
    parts = [INTRO]
    for cls in CONTRACT_RECORDS:
        kind = f"derived, by `{cls.__producer__}`" if cls.__derived__ else "collected"
        if cls.__private__:
            kind += "; private database"
        keys = ", ".join(f"`{k}`" for k in cls.__key__)
        lines = [f"## `{cls.__table__}` ({kind})", "", f"{cls.__description__} Key: {keys}.", "",
                 "| column | type | meaning |", "|---|---|---|"]
        lines += [f"| `{c.name}` | {c.type.__name__} | {c.description} |" for c in cls.columns()]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


if __name__ == "__main__":
    (Path(__file__).parent / "registry.md").write_text(registry_doc())
