"""Read an OpenDocument spreadsheet row by row, in constant memory.

The HSCA Active Locations file is a 24 MB ODS whose ``content.xml`` unpacks to
about 440 MB, too much for a DOM reader. This streams ``content.xml`` straight
out of the zip with ``iterparse`` and drops each row once it is read.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from typing import Iterator
from xml.etree.ElementTree import ParseError, iterparse

from inspect_kit import SourceError

TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"

_TABLE = f"{{{TABLE}}}table"
_ROW = f"{{{TABLE}}}table-row"
_CELLS = (f"{{{TABLE}}}table-cell", f"{{{TABLE}}}covered-table-cell")
_P = f"{{{TEXT}}}p"
_SPACE, _TAB, _BREAK = f"{{{TEXT}}}s", f"{{{TEXT}}}tab", f"{{{TEXT}}}line-break"
# Blank rows or cells repeated this often are padding (a sheet is 1,048,576 rows).
_MAX_REPEAT = 1000


def iter_rows(path: Path) -> Iterator[tuple[str, int, list[str]]]:
    """Yield ``(sheet name, row number, cell values)`` for every non-blank row.

    Values are strings: text as shown, numbers and dates from their
    ``office:value`` / ``office:date-value`` attributes. Trailing blank cells are
    dropped. A file that is not a readable ODS raises ``SourceError``.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise SourceError(f"{path}: not a readable ODS file ({error})") from None
    with archive:
        try:
            stream = archive.open("content.xml")
        except KeyError:
            raise SourceError(f"{path}: not an ODS file (no content.xml inside)") from None
        try:
            with stream:
                yield from _rows(stream)
        except ParseError as error:
            raise SourceError(f"{path}: the spreadsheet XML is broken or cut short ({error})") from None
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            raise SourceError(f"{path}: the zip is damaged or cut short ({error})") from None


def _rows(stream) -> Iterator[tuple[str, int, list[str]]]:
    sheet = ""
    row_number = 0
    parents = []  # open elements, so a finished row can be removed from its parent
    for event, element in iterparse(stream, events=("start", "end")):
        if event == "start":
            parents.append(element)
            if element.tag == _TABLE:
                sheet = element.get(f"{{{TABLE}}}name", "")
                row_number = 0
            continue
        parents.pop()
        if element.tag != _ROW:
            if element.tag == _TABLE and parents:
                parents[-1].remove(element)
            continue
        repeat = int(element.get(f"{{{TABLE}}}number-rows-repeated", "1"))
        values = _row_values(element)
        if parents:
            parents[-1].remove(element)
        if not any(values):
            row_number += repeat
            continue
        for _ in range(min(repeat, _MAX_REPEAT)):
            row_number += 1
            yield sheet, row_number, list(values)


def _row_values(row) -> list[str]:
    values: list[str] = []
    blanks = 0
    for cell in row:
        if cell.tag not in _CELLS:
            continue
        repeat = int(cell.get(f"{{{TABLE}}}number-columns-repeated", "1"))
        value = _cell_value(cell)
        if not value:
            blanks += repeat
            continue
        values.extend([""] * blanks)
        blanks = 0
        values.extend([value] * min(repeat, _MAX_REPEAT))
    return values


def _cell_value(cell) -> str:
    kind = cell.get(f"{{{OFFICE}}}value-type")
    if kind in ("float", "percentage", "currency"):
        value = cell.get(f"{{{OFFICE}}}value", "")
        return value[:-2] if value.endswith(".0") else value
    if kind == "date":
        return cell.get(f"{{{OFFICE}}}date-value", "")[:10]
    if kind == "boolean":
        return cell.get(f"{{{OFFICE}}}boolean-value", "")
    # Direct paragraphs only: an office:annotation (a comment) holds paragraphs too.
    return "\n".join(_text(p) for p in cell if p.tag == _P).strip()


def _text(element) -> str:
    parts = [element.text or ""]
    for child in element:
        if child.tag == _SPACE:
            parts.append(" " * int(child.get(f"{{{TEXT}}}c", "1")))
        elif child.tag == _TAB:
            parts.append("\t")
        elif child.tag == _BREAK:
            parts.append("\n")
        elif child.tag != _P:
            parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(parts)
