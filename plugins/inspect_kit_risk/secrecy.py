"""Secrecy-jurisdiction lists: data files, loaded with their name and edition.

The default file ships with the plugin. A user can add or replace lists with
their own file: a TOML file shaped like the default, or a CSV with one row per
jurisdiction (an ISO 3166-1 alpha-2 code and, optionally, a score), such as the
Financial Secrecy Index scores they are licensed to use.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspect_kit import SourceError

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

DEFAULT_FILE = Path(__file__).parent / "data" / "secrecy_jurisdictions.toml"
CODE_COLUMNS = ("code", "iso2", "iso_2", "iso2_code", "iso 2", "iso", "country_code")
SCORE_COLUMNS = ("score", "secrecy_score", "secrecy score", "ss", "fsi_score")


@dataclass(frozen=True)
class Entry:
    code: str
    name: str | None
    score: float
    category: str | None = None


@dataclass
class SecrecyList:
    name: str
    edition: str | None
    source: str | None
    entries: dict[str, Entry] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "edition": self.edition, "source": self.source}


def _fail(path, message):
    raise SourceError(f"{path}: {message}")


def load_toml(path: str | Path) -> list[SecrecyList]:
    try:
        data = tomllib.loads(Path(path).read_text())
    except tomllib.TOMLDecodeError as error:
        _fail(path, error)
    found = []
    for number, item in enumerate(data.get("lists", []), 1):
        if not item.get("name"):
            _fail(path, f"list {number} has no name")
        default = float(item.get("score", 1.0))
        entries = {}
        for j in item.get("jurisdictions", []):
            code = str(j.get("code", "")).strip().upper()
            if len(code) != 2:
                _fail(path, f"list {item['name']!r}: {code!r} is not an ISO 3166-1 alpha-2 code")
            entries[code] = Entry(code, j.get("name"), float(j.get("score", default)), j.get("category"))
        found.append(SecrecyList(item["name"], item.get("edition"), item.get("source"), entries))
    if not found:
        _fail(path, "no [[lists]] in this file")
    return found


def _column(header: list[str], wanted: str | None, candidates, path, what) -> str | None:
    lowered = {h.strip().lower(): h for h in header}
    if wanted:
        if wanted.strip().lower() not in lowered:
            _fail(path, f"no {what} column {wanted!r} (columns: {', '.join(header)})")
        return lowered[wanted.strip().lower()]
    for candidate in candidates:
        if candidate in lowered:
            return lowered[candidate]
    return None


def load_csv(
    path: str | Path,
    *,
    name: str | None = None,
    edition: str | None = None,
    code_column: str | None = None,
    score_column: str | None = None,
    name_column: str | None = None,
    min_score: float | None = None,
    default_score: float = 1.0,
) -> SecrecyList:
    """One list from a CSV; scores above 1 are read as 0-100 and scaled to 0-1.

    ``min_score`` (in the file's own scale) keeps only jurisdictions at or above it,
    e.g. an FSI secrecy score of 60.
    """
    path = Path(path)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        code_col = _column(header, code_column, CODE_COLUMNS, path, "code")
        if code_col is None:
            _fail(path, f"no ISO code column (set code_column; columns: {', '.join(header)})")
        score_col = _column(header, score_column, SCORE_COLUMNS, path, "score")
        name_col = _column(header, name_column, ("name", "jurisdiction", "country"), path, "name")
        raw: list[tuple[str, str | None, float | None]] = []
        for line, row in enumerate(reader, 2):
            code = (row.get(code_col) or "").strip().upper()
            if not code:
                continue  # FSI rows without an ISO2 (e.g. Alderney) cannot be matched
            if len(code) != 2 or not code.isalpha():
                _fail(path, f"line {line}: {code!r} is not an ISO 3166-1 alpha-2 code")
            score = None
            if score_col and (row.get(score_col) or "").strip():
                try:
                    score = float(row[score_col])
                except ValueError:
                    _fail(path, f"line {line}: score {row[score_col]!r} is not a number")
            raw.append((code, row.get(name_col) if name_col else None, score))
    scale = 100.0 if any(s is not None and s > 1 for _, _, s in raw) else 1.0
    entries = {}
    for code, label, score in raw:
        if min_score is not None and (score is None or score < min_score):
            continue
        entries[code] = Entry(code, label, default_score if score is None else score / scale)
    return SecrecyList(name or path.stem, edition, str(path), entries)


def load_lists(settings: dict[str, Any]) -> list[SecrecyList]:
    """The lists a scorer's settings ask for: the default file, and the user's ``list_file``."""
    lists: list[SecrecyList] = []
    if settings.get("include_default", True):
        lists += load_toml(settings.get("default_file") or DEFAULT_FILE)
    extra = settings.get("list_file")
    if extra:
        if not Path(extra).exists():
            _fail(extra, "no such secrecy list file")
        if str(extra).endswith(".toml"):
            lists += load_toml(extra)
        else:
            lists.append(
                load_csv(
                    extra,
                    name=settings.get("list_name"),
                    edition=settings.get("list_edition"),
                    code_column=settings.get("code_column"),
                    score_column=settings.get("score_column"),
                    name_column=settings.get("name_column"),
                    min_score=settings.get("min_score"),
                )
            )
    return lists


def lookup(lists: list[SecrecyList], code: str | None) -> list[tuple[SecrecyList, Entry]]:
    """Every list that names this jurisdiction."""
    if not code:
        return []
    return [(lst, lst.entries[code]) for lst in lists if code in lst.entries]
