"""Accounts Data Product file names, and the filings inside a zip or loose on disk.

Companies House names every filing ``Prod<product>_<run>_<company number>_<made-up
date>.html`` (or ``.xml``): ``Prod223`` is the daily product, ``Prod224`` the
monthly one. The name is all the collector needs to decide whether a filing
is wanted, so filings of companies off the graph are never decompressed.
"""

from __future__ import annotations

import datetime
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from inspect_kit import SourceError
from inspect_kit.matching import normalise_company_number

_NAME = re.compile(r"^(Prod\d+_\d+)_([A-Za-z0-9]+)_(\d{8})\.(html|xhtml|xml|pdf)$", re.IGNORECASE)
FORMATS = {"html": "ixbrl", "xhtml": "ixbrl", "xml": "xbrl", "pdf": "pdf"}


@dataclass(frozen=True)
class FilingName:
    filing_id: str  # the file name without its extension: unique across the product
    run_code: str | None  # Prod224_0078
    company_number: str
    made_up_date: datetime.date
    format: str  # ixbrl, xbrl or pdf


def parse_name(name: str) -> FilingName | None:
    """``Prod224_0078_00007464_20190930.html`` -> its parts; None for any other name."""
    match = _NAME.match(Path(name).name)
    if not match:
        return None
    run_code, number, date, extension = match.groups()
    try:
        made_up = datetime.date(int(date[:4]), int(date[4:6]), int(date[6:]))
    except ValueError:
        return None
    return FilingName(Path(name).stem, run_code, normalise_company_number(number), made_up,
                      FORMATS[extension.lower()])


def filings(path: Path, wanted: Callable[[str], bool]) -> Iterator[tuple[str, FilingName, Callable[[], bytes] | None]]:
    """Yield ``(label, name, read)`` for each filing in a product zip or a loose file.

    ``read`` is None when ``wanted(company_number)`` is false: the filing is
    skipped unread. A member whose name is not a filing's is ignored.
    """
    path = Path(path)
    if not zipfile.is_zipfile(path):
        if path.suffix.lower() == ".zip":
            raise SourceError(f"{path}: not a readable zip file (a broken or partial download?)")
        name = parse_name(path.name)
        if name is None:
            raise SourceError(
                f"{path}: not an accounts filing name (expected Prod<n>_<run>_<company number>_<YYYYMMDD>.html)"
            )
        yield str(path), name, (path.read_bytes if wanted(name.company_number) else None)
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise SourceError(f"{path}: not a readable zip file ({error})") from None
    with archive:
        for info in archive.infolist():
            name = parse_name(info.filename)
            if name is None or info.is_dir():
                continue
            label = f"{path}!{info.filename}"
            if not wanted(name.company_number):
                yield label, name, None
                continue

            def read(info=info, label=label):
                try:
                    return archive.read(info)
                except (zipfile.BadZipFile, OSError, EOFError) as error:
                    raise SourceError(f"{label}: cannot be read from the zip ({error})") from None

            yield label, name, read
