"""The BODS 0.4 JSON schema shipped in ``schema/`` (Apache-2.0, see its NOTICE.md).

``statement_errors(statement)`` checks one statement, so that an export can be
checked as it streams out, and a whole file need never be in memory.
"""

from __future__ import annotations

import functools
import json
from importlib.resources import files

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMA_FILES = (
    "statement.json",
    "entity-record.json",
    "person-record.json",
    "relationship-record.json",
    "components.json",
)


def schema_documents() -> dict[str, dict]:
    folder = files(__package__) / "schema"
    return {name: json.loads((folder / name).read_text(encoding="utf-8")) for name in SCHEMA_FILES}


@functools.lru_cache(maxsize=1)
def _validators() -> tuple[Draft202012Validator, Draft202012Validator]:
    documents = schema_documents()
    registry = Registry().with_resources(
        (document["$id"], Resource.from_contents(document)) for document in documents.values()
    )
    checker = Draft202012Validator.FORMAT_CHECKER
    statement = Draft202012Validator(
        {"$ref": "urn:statement#/$defs/Statement"}, registry=registry, format_checker=checker
    )
    package = Draft202012Validator(documents["statement.json"], registry=registry, format_checker=checker)
    return statement, package


def statement_errors(statement: dict) -> list[str]:
    """Everything wrong with one statement, as ``path: message`` lines (empty when valid)."""
    validator, _ = _validators()
    return [_describe(error) for error in validator.iter_errors(statement)]


def package_errors(statements: list) -> list[str]:
    """Everything wrong with a whole array of statements."""
    _, validator = _validators()
    return [_describe(error) for error in validator.iter_errors(statements)]


def _describe(error) -> str:
    path = "/".join(str(p) for p in error.absolute_path) or "(statement)"
    return f"{path}: {error.message}"
