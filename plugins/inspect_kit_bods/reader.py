"""Stream BODS statements out of a JSON array, JSON lines or a bare object, one at a time.

BODS bulk files run to gigabytes, so no form is loaded whole: a JSON array (or
a file of one or more pretty-printed statement objects) is decoded value by
value from a sliding buffer, JSON lines line by line. Every statement comes
with the line it starts on, so that a rejected one can be found in the file,
and its position among the file's statements, counted from 0, so that a JSON
path (``$[3].recordDetails``) can name it.
"""

from __future__ import annotations

import gzip
import json
import zlib
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
    index: int = 0


def open_text(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8-sig")
    return open(path, encoding="utf-8-sig")


def read_items(path: str | Path) -> Iterator[Item]:
    """Every element of a BODS file, as ``Item``s, in file order.

    A JSON array (or pretty-printed object) that is cut short or broken inside
    raises ``SourceError`` (nothing after the break can be trusted); a bad line
    of JSON lines is one ``Item`` with an error, and reading goes on. A file
    whose first statement spans several lines is read as objects, else as JSON
    lines.
    """
    path = Path(path)
    try:
        with open_text(path) as text:
            first = _first_character(text)
            text.seek(0)
            if first == "[":
                yield from _array_items(path, _Stream(path, text))
            elif first == "{" and _spans_lines(path, text):
                text.seek(0)
                yield from _object_items(path, _Stream(path, text))
            elif first in ("{", None):
                text.seek(0)
                yield from _line_items(text)
            else:
                raise SourceError(f"{path}: not BODS JSON (expected '[' or '{{', found {first!r})")
    except (UnicodeDecodeError, EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise SourceError(f"{path}: cannot be read as UTF-8 JSON ({error})") from None


def _first_character(text) -> str | None:
    while True:
        chunk = text.read(4096)
        if not chunk:
            return None
        stripped = chunk.lstrip(_WHITESPACE)
        if stripped:
            return stripped[0]


def _spans_lines(path: Path, text) -> bool:
    """Whether the file's first value runs over more than one line (a pretty-printed object)."""
    stream = _Stream(path, text)
    stream.skip_whitespace()
    try:
        _, raw = stream.decode()
    except SourceError:
        return False  # a broken first line: JSON lines, where it is one rejected line
    return "\n" in raw


def _line_items(text) -> Iterator[Item]:
    index = 0
    for number, line in enumerate(text, start=1):
        if not line.strip():
            continue
        raw = line.rstrip("\r\n")
        try:
            yield Item(number, json.loads(line), raw, index=index)
        except json.JSONDecodeError as error:
            yield Item(number, None, raw[:RAW_LIMIT], f"invalid JSON: {error.msg} (column {error.colno})", index)
        except RecursionError:
            yield Item(number, None, raw[:RAW_LIMIT], "invalid JSON: nested too deeply", index)
        index += 1


class _Stream:
    """JSON values decoded one by one from a text file, through a sliding buffer."""

    def __init__(self, path: Path, text):
        self.path = path
        self.text = text
        self.decoder = json.JSONDecoder()
        self.buffer = ""
        self.position = 0
        self.line = 1  # line number at ``position``
        self.eof = False

    def fill(self) -> bool:
        if self.eof:
            return False
        chunk = self.text.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buffer = self.buffer[self.position:] + chunk
        self.position = 0
        return True

    def skip_whitespace(self) -> None:
        while True:
            buffer = self.buffer
            while self.position < len(buffer) and buffer[self.position] in _WHITESPACE:
                if buffer[self.position] == "\n":
                    self.line += 1
                self.position += 1
            if self.position < len(self.buffer) or not self.fill():
                return

    def peek(self) -> str | None:
        return self.buffer[self.position] if self.position < len(self.buffer) else None

    def decode(self) -> tuple[Any, str]:
        """The value at the current position and its text; moves past it."""
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.position)
            except json.JSONDecodeError as error:
                if self.fill():
                    continue
                if error.pos >= len(self.buffer.rstrip(_WHITESPACE)):
                    raise SourceError(
                        f"{self.path}: the file is cut short inside the statement that starts on line {self.line}"
                    ) from None
                where = self.line + self.buffer.count("\n", self.position, error.pos)
                raise SourceError(f"{self.path}, line {where}: invalid JSON ({error.msg})") from None
            except RecursionError:
                raise SourceError(f"{self.path}, line {self.line}: invalid JSON (nested too deeply)") from None
            # A value that ends exactly at the buffer's end may go on in the next chunk.
            if end < len(self.buffer) or not self.fill():
                break
        raw = self.buffer[self.position:end]
        self.line += raw.count("\n")
        self.position = end
        return value, raw


def _object_items(path: Path, stream: _Stream) -> Iterator[Item]:
    """One or more statement objects, one after another (a file holding one statement).

    The schema wants a JSON array, so the file's form is reported (as an item
    with an error and no statement), and its statements are read as if they
    were in one.
    """
    yield Item(1, None, "", "$: the file holds statement objects, not a JSON array of them (type); "
               "they are read as the array's elements $[0], $[1], ...")
    index = 0
    while True:
        stream.skip_whitespace()
        if stream.peek() is None:
            return
        line = stream.line
        value, raw = stream.decode()
        yield Item(line, value, raw[:RAW_LIMIT], index=index)
        index += 1


def _array_items(path: Path, stream: _Stream) -> Iterator[Item]:
    stream.skip_whitespace()
    stream.position += 1  # the opening "["
    expect_value = True
    index = 0
    while True:
        stream.skip_whitespace()
        char = stream.peek()
        if char is None:
            raise SourceError(f"{path}: the JSON array is not closed: the file is cut short after line {stream.line}")
        if char == "]":
            if expect_value and index:
                raise SourceError(f"{path}, line {stream.line}: a comma before ']'")
            stream.position += 1
            stream.skip_whitespace()
            if stream.peek() is not None:
                raise SourceError(f"{path}, line {stream.line}: text after the end of the JSON array")
            return
        if char == ",":
            if expect_value:
                raise SourceError(f"{path}, line {stream.line}: a comma where a statement should be")
            stream.position += 1
            expect_value = True
            continue
        if not expect_value:
            raise SourceError(f"{path}, line {stream.line}: expected ',' or ']' between statements, found {char!r}")
        line = stream.line
        value, raw = stream.decode()
        yield Item(line, value, raw[:RAW_LIMIT], index=index)
        index += 1
        expect_value = False
