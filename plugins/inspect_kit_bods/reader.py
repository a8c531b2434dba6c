"""Stream BODS statements out of a JSON array or JSON lines file, one at a time.

BODS bulk files run to gigabytes, so neither form is loaded whole: a JSON
array is decoded element by element from a sliding buffer, JSON lines line by
line. Every statement comes with the line it starts on, so that a rejected one
can be found in the file.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from inspect_kit import SourceError

CHUNK = 1 << 20  # characters read at a time from a JSON array
RAW_LIMIT = 2000  # characters of a bad statement kept in rejected_records
_WHITESPACE = " \t\r\n"


@dataclass
class Item:
    """One element of the file: a statement, or why it could not be read."""

    line: int
    statement: Any = None
    raw: str = ""
    error: str | None = None


def open_text(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8-sig")
    return open(path, encoding="utf-8-sig")


def read_items(path: str | Path) -> Iterator[Item]:
    """Every element of a BODS file, as ``Item``s, in file order.

    A JSON array that is cut short or broken inside raises ``SourceError``
    (nothing after the break can be trusted); a bad line of JSON lines is one
    ``Item`` with an error, and reading goes on.
    """
    path = Path(path)
    try:
        with open_text(path) as text:
            first = _first_character(text)
            text.seek(0)
            if first == "[":
                yield from _array_items(path, text)
            elif first in ("{", None):
                yield from _line_items(text)
            else:
                raise SourceError(f"{path}: not BODS JSON (expected '[' or '{{', found {first!r})")
    except (UnicodeDecodeError, EOFError, gzip.BadGzipFile) as error:
        raise SourceError(f"{path}: cannot be read as UTF-8 JSON ({error})") from None


def _first_character(text) -> str | None:
    while True:
        chunk = text.read(4096)
        if not chunk:
            return None
        stripped = chunk.lstrip(_WHITESPACE)
        if stripped:
            return stripped[0]


def _line_items(text) -> Iterator[Item]:
    for number, line in enumerate(text, start=1):
        if not line.strip():
            continue
        try:
            yield Item(number, json.loads(line), line.rstrip("\r\n"))
        except json.JSONDecodeError as error:
            yield Item(number, None, line.rstrip("\r\n")[:RAW_LIMIT], f"invalid JSON: {error.msg} (column {error.colno})")


def _array_items(path: Path, text) -> Iterator[Item]:
    decoder = json.JSONDecoder()
    buffer = ""
    position = 0
    line = 1  # line number at ``position``
    eof = False

    def fill() -> bool:
        nonlocal buffer, position, eof
        if eof:
            return False
        chunk = text.read(CHUNK)
        if not chunk:
            eof = True
            return False
        buffer = buffer[position:] + chunk
        position = 0
        return True

    def skip_whitespace():
        nonlocal position, line
        while True:
            while position < len(buffer) and buffer[position] in _WHITESPACE:
                if buffer[position] == "\n":
                    line += 1
                position += 1
            if position < len(buffer) or not fill():
                return

    skip_whitespace()
    position += 1  # the opening "["
    expect_value = True
    first = True
    while True:
        skip_whitespace()
        if position >= len(buffer):
            raise SourceError(f"{path}: the JSON array is not closed: the file is cut short after line {line}")
        char = buffer[position]
        if char == "]":
            if expect_value and not first:
                raise SourceError(f"{path}, line {line}: a comma before ']'")
            position += 1
            skip_whitespace()
            if position < len(buffer):
                raise SourceError(f"{path}, line {line}: text after the end of the JSON array")
            return
        if char == ",":
            if expect_value:
                raise SourceError(f"{path}, line {line}: a comma where a statement should be")
            position += 1
            expect_value = True
            continue
        if not expect_value:
            raise SourceError(f"{path}, line {line}: expected ',' or ']' between statements, found {char!r}")
        while True:
            try:
                value, end = decoder.raw_decode(buffer, position)
            except json.JSONDecodeError as error:
                if fill():
                    continue
                if error.pos >= len(buffer.rstrip(_WHITESPACE)):
                    raise SourceError(
                        f"{path}: the file is cut short inside the statement that starts on line {line}"
                    ) from None
                where = line + buffer.count("\n", position, error.pos)
                raise SourceError(f"{path}, line {where}: invalid JSON ({error.msg})") from None
            # A value that ends exactly at the buffer's end may go on in the next chunk.
            if end < len(buffer) or not fill():
                break
            continue
        raw = buffer[position:end]
        yield Item(line, value, raw[:RAW_LIMIT])
        line += raw.count("\n")
        position = end
        expect_value = False
        first = False
