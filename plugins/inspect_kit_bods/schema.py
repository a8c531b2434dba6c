"""The BODS 0.4 JSON schema shipped in ``schema/`` (Apache-2.0, see its NOTICE.md).

``statement_errors(statement)`` checks one statement, so that an export can be
checked as it streams out, and a whole file need never be in memory.
``statement_problems(statement, index)`` is the importer's view of the same
check: each broken rule with its JSON path in the file (``$[3].recordDetails…``,
counted from 0), worded without the offending value, which may be personal.

A statement is first checked by ``jsonschema-rs`` (compiled, about two
hundred times faster), and only one it finds invalid is described by
``jsonschema``, whose paths and rule names are those the standard's own test
suite expects. The ``date-time`` and ``uri`` formats are checked only when
``rfc3339-validator`` and ``rfc3986-validator`` are installed (jsonschema skips
a format it has no checker for): both are dependencies for that reason.
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


@functools.lru_cache(maxsize=1)
def _fast_validator():
    import jsonschema_rs

    registry = jsonschema_rs.Registry([(d["$id"], d) for d in schema_documents().values()])
    return jsonschema_rs.Draft202012Validator(
        {"$ref": "urn:statement#/$defs/Statement"}, registry=registry, validate_formats=True
    )


def _surely_valid(statement) -> bool:
    try:
        return _fast_validator().is_valid(statement)
    except Exception:  # anything it cannot take is left to jsonschema to describe
        return False


def statement_errors(statement: dict) -> list[str]:
    """Everything wrong with one statement, as ``path: message`` lines (empty when valid)."""
    if _surely_valid(statement):
        return []
    validator, _ = _validators()
    return [_describe(error) for error in validator.iter_errors(statement)]


def package_errors(statements: list) -> list[str]:
    """Everything wrong with a whole array of statements."""
    _, validator = _validators()
    return [_describe(error) for error in validator.iter_errors(statements)]


def statement_problems(statement, index: int) -> list[str]:
    """Each rule ``statement`` breaks, as ``$[index].path: what is wrong (rule)``, in path order."""
    if _surely_valid(statement):
        return []
    validator, _ = _validators()
    try:
        errors = sorted(validator.iter_errors(statement), key=lambda e: [str(p) for p in e.absolute_path])
    except RecursionError:
        return [f"$[{index}]: nested too deeply to check (maxDepth)"]
    return [f"$[{index}]{error.json_path[1:]}: {_rule(error)} ({error.validator})" for error in errors]


def _rule(error) -> str:
    """What the schema asks for at the error's place, never the value found there."""
    kind, wanted = error.validator, error.validator_value
    if kind in ("required", "additionalProperties", "dependentRequired", "unevaluatedProperties"):
        return error.message[:300]  # names properties, not values
    if kind == "type":
        return f"must be of type {wanted if isinstance(wanted, str) else ' or '.join(wanted)}"
    if kind == "enum":
        codes = ", ".join(map(str, wanted))
        return f"must be one of {codes}" if len(codes) < 300 else "must be a code of its codelist"
    if kind == "const":
        return f"must be {wanted!r}"
    if kind == "format":
        return f"must be a {wanted}"
    if kind in ("anyOf", "oneOf"):
        return "matches none of the allowed forms"
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
                "minItems", "maxItems", "pattern", "multipleOf"):
        return f"breaks {kind} {wanted}"
    return f"breaks {kind}"


def _describe(error) -> str:
    path = "/".join(str(p) for p in error.absolute_path) or "(statement)"
    return f"{path}: {error.message}"
