"""Reading one CCOD/OCOD file, CSV or zip, as a stream of rows, and checking its trailer.

Every HMLR file ends with a line ``Row Count: N``. It is the only way to tell a
complete file from a download that stopped at a line boundary, so the reader
counts the rows it hands out and raises ``SourceError`` when the count and the
trailer disagree, or when there is no trailer at all (unless the caller says
the file is a hand-made extract without one).
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from inspect_kit import SourceError

_TRAILER = re.compile(r"^\s*Row Count:\s*([\d,]+)\s*$", re.IGNORECASE)
_FILE_MONTH = re.compile(r"(?:^|[_-])((?:19|20)\d\d)[_-]([01]\d)(?!\d)")
_BROKEN = (zipfile.BadZipFile, zlib.error, EOFError)


def file_month(name: str) -> datetime.date | None:
    """``CCOD_FULL_2024_05.zip`` -> 2024-05-01: the month a file describes."""
    match = _FILE_MONTH.search(Path(name).name)
    if not match:
        return None
    try:
        return datetime.date(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        return None


def kind_from_name(name: str) -> str | None:
    """``full`` or ``change`` from the publisher's file name, or None when it does not say."""
    upper = Path(name).name.upper()
    if "_COU_" in upper:
        return "change"
    if "_FULL_" in upper:
        return "full"
    return None


class LandRegistryFile:
    """One CCOD or OCOD file. ``rows()`` can be read more than once (change files need two passes)."""

    def __init__(self, path: str | Path, *, encoding: str = "utf-8-sig", require_trailer: bool = True):
        self.path = Path(path)
        self.encoding = encoding
        self.require_trailer = require_trailer
        self.member: str | None = None  # the CSV inside a zip

    @property
    def label(self) -> str:
        return f"{self.path.name}:{self.member}" if self.member else self.path.name

    @property
    def name(self) -> str:
        """The name that says what the file is: the zip member's when there is one."""
        return self.member or self.path.name

    @contextmanager
    def _open_binary(self):
        if not zipfile.is_zipfile(self.path):
            if self.path.suffix.lower() == ".zip":
                raise SourceError(f"{self.path.name}: not a zip file, or a broken one")
            with open(self.path, "rb", buffering=1024 * 1024) as handle:
                yield handle
            return
        try:
            archive = zipfile.ZipFile(self.path)
        except _BROKEN as error:
            raise SourceError(f"{self.path.name}: broken zip ({error})") from None
        with archive:
            members = [
                info for info in archive.infolist()
                if not info.is_dir() and info.filename.lower().endswith(".csv")
                and not info.filename.startswith("__MACOSX")
            ]
            if len(members) != 1:
                found = ", ".join(i.filename for i in archive.infolist()) or "nothing"
                raise SourceError(f"{self.path.name}: expected one CSV file in the zip, found {found}")
            self.member = members[0].filename
            try:
                binary = archive.open(members[0])
            except _BROKEN as error:
                raise SourceError(f"{self.label}: broken zip ({error})") from None
            with io.BufferedReader(binary, buffer_size=1024 * 1024) as handle:
                yield handle

    def _bad_line(self) -> tuple[int, str]:
        """Where the text stops being ``encoding``: read again, a line at a time (only on the error path)."""
        with self._open_binary() as binary:
            for number, raw in enumerate(binary, 1):
                try:
                    raw.decode(self.encoding)
                except UnicodeDecodeError as error:
                    return number, error.reason
        return 0, "undecodable text"

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """The header as line 1, then ``(line, fields)`` for every data row.

        Raises ``SourceError`` for a broken zip, undecodable text, a malformed
        CSV, or a trailer that does not match the rows read.
        """
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise SourceError(f"{self.label}: unknown encoding {self.encoding!r}") from None
        line = 0
        declared = None
        read = 0
        with self._open_binary() as binary, io.TextIOWrapper(binary, encoding=self.encoding, newline="") as text:
            reader = csv.reader(text)
            try:
                header = next(reader, None)
                if header is None:
                    raise SourceError(f"{self.label}: the file is empty")
                yield 1, header
                width = len(header)
                previous_end = reader.line_num
                for fields in reader:
                    line = previous_end + 1
                    previous_end = reader.line_num
                    if not fields:
                        continue
                    if declared is not None:
                        if any(f.strip() for f in fields):
                            raise SourceError(f"{self.label}: line {line}: a row after the 'Row Count' trailer")
                        continue
                    if len(fields) != width:
                        match = _TRAILER.match(fields[0]) if fields[0] else None
                        if match and not any(f.strip() for f in fields[1:]):
                            declared = int(match.group(1).replace(",", ""))
                            continue
                    read += 1
                    yield line, fields
            except csv.Error as error:
                raise SourceError(f"{self.label}: line {reader.line_num}: {error}") from None
            except UnicodeDecodeError:
                number, reason = self._bad_line()
                raise SourceError(
                    f"{self.label}: line {number}: not {self.encoding} text ({reason}); try --encoding cp1252"
                ) from None
            except _BROKEN as error:
                raise SourceError(f"{self.label}: broken zip near line {line + 1} ({error})") from None
        if declared is None:
            if self.require_trailer:
                raise SourceError(
                    f"{self.label}: no 'Row Count' trailer after {read:,} rows: the download looks "
                    "truncated (use --no-trailer for an extract made by hand)"
                )
        elif read < declared:
            raise SourceError(
                f"{self.label}: truncated: the trailer declares {declared:,} rows but the file has {read:,}"
            )
        elif read > declared:
            raise SourceError(
                f"{self.label}: the trailer declares {declared:,} rows but the file has {read:,}"
            )
