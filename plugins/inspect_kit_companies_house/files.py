"""Reading Companies House bulk files as text streams: plain, or straight out of a zip.

The monthly files are gigabytes, so nothing is unpacked and nothing is held in
memory: each member of a zip is decoded as it is read. A damaged zip or an
undecodable byte becomes a ``SourceError`` that names the file, so the run is
rolled back instead of half-loading a broken download.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from inspect_kit import SourceError

# Errors a damaged zip or file raises part-way through a read.
READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError)


def text_streams(path: Path, suffixes: tuple[str, ...]) -> Iterator[tuple[str, io.TextIOBase]]:
    """Yield ``(label, text stream)`` for a file, or for each data member of a zip.

    ``label`` names the file (``archive.zip!member.csv`` for a member) for
    error messages and ``rejected_records``.
    """
    path = Path(path)
    if not zipfile.is_zipfile(path):
        if path.suffix.lower() == ".zip":
            raise SourceError(f"{path}: not a readable zip file (a broken or partial download?)")
        with _opened(path, open(path, "rb")) as stream:
            yield str(path), stream
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise SourceError(f"{path}: not a readable zip file ({error})") from None
    with archive:
        members = [
            info for info in archive.infolist()
            if not info.is_dir() and info.filename.lower().endswith(suffixes)
        ]
        if not members:
            raise SourceError(f"{path}: the zip holds no {'/'.join(suffixes)} file")
        for info in members:
            label = f"{path}!{info.filename}"
            try:
                raw = archive.open(info)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as error:
                raise SourceError(f"{label}: cannot be read from the zip ({error})") from None
            with _opened(label, raw) as stream:
                yield label, stream


@contextmanager
def _opened(label, raw):
    """A UTF-8 text stream (a BOM is dropped) over a binary stream."""
    stream = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    try:
        yield stream
    finally:
        stream.close()


def damaged(label: str, line: int | None, error: Exception) -> SourceError:
    """The ``SourceError`` for a file that breaks part-way through."""
    where = f" near line {line:,}" if line else ""
    if isinstance(error, UnicodeDecodeError):
        what = f"bytes that are not UTF-8 ({error.reason})"
    else:
        what = f"the file is damaged or truncated ({error or type(error).__name__})"
    return SourceError(f"{label}{where}: {what}")


_CHUNK = re.compile(r"(?:_(\d+)of(\d+)|-part(\d+)_(\d+))\.\w+$", re.IGNORECASE)


def chunk_of(path: Path) -> tuple[int, int] | None:
    """``(part, parts)`` for a file published in parts, from its name; None for a whole file.

    Companies House names parts ``psc-snapshot-2024-05-01_3of26.zip`` and
    ``BasicCompanyData-2024-05-01-part3_7.zip``.
    """
    match = _CHUNK.search(Path(path).name)
    if not match:
        return None
    numbers = [int(n) for n in match.groups() if n is not None]
    return numbers[0], numbers[1]


def covers_whole_publication(paths: list[Path]) -> bool:
    """Whether these files are a whole publication: whole files, or every part of a split one."""
    chunks = [chunk_of(p) for p in paths]
    if all(c is None for c in chunks):
        return True
    if any(c is None for c in chunks):
        return False
    totals = {parts for _, parts in chunks}
    if len(totals) != 1:
        return False
    (total,) = totals
    return {part for part, _ in chunks} == set(range(1, total + 1))
