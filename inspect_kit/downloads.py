"""Fetching the monthly bulk files: find the newest on the publisher's page, download it resumably.

Publishers put a new file under a new name each month (``CCOD_FULL_2024_05.zip``,
``BasicCompanyData-2024-05-01.zip``, ``01_May_2024_CQC_directory.csv``).
``fetch_latest`` reads the download page, picks the link with the newest date in
its name and downloads it. Downloads are made for multi-gigabyte files on
unreliable connections: bytes go to ``NAME.part`` and a later call continues
from where it stopped with an HTTP ``Range`` request; the finished file appears
under its own name only once its size matches what the server announced, so a
file that exists is complete and is never fetched again.

Retries, timeouts and the User-Agent come from :class:`inspect_kit.http.HttpClient`.
"""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import requests

from .api import SourceError
from .http import HttpClient, _reason

# Small enough that a dropped connection loses little of what arrived.
CHUNK_SIZE = 64 * 1024
# How often one call resumes a download that broke off before giving up.
RESUME_ATTEMPTS = 5

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"), ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_SEP = r"[-_ .]?"
_DATE_PATTERNS = [
    # 2024-05-01, 2024_05_01, 20240501
    (re.compile(rf"(?<!\d)(?P<year>(?:19|20)\d\d){_SEP}(?P<month>[01]\d){_SEP}(?P<day>[0-3]\d)(?!\d)"), False),
    # 01-05-2024
    (re.compile(rf"(?<!\d)(?P<day>[0-3]\d){_SEP}(?P<month>[01]\d){_SEP}(?P<year>(?:19|20)\d\d)(?!\d)"), False),
    # 01_May_2024, May_2024, 1 September 2024
    (re.compile(rf"(?:(?<!\d)(?P<day>[0-3]?\d){_SEP})?(?P<month>[A-Za-z]{{3,9}}){_SEP}(?P<year>(?:19|20)\d\d)(?!\d)"), True),
    # 2024_05, 2024-05
    (re.compile(rf"(?<!\d)(?P<year>(?:19|20)\d\d)[-_.](?P<month>[01]\d)(?!\d)"), False),
]


def date_in_name(name: str, pattern: re.Pattern | None = None) -> datetime.date | None:
    """The date a publisher wrote into a file name, or None.

    A ``pattern`` with named groups ``year``, ``month`` (and ``day``) is trusted
    first; otherwise the usual spellings are tried. A month without a day is the
    first of that month.
    """
    name = unquote(name)
    if pattern is not None:
        match = pattern.search(name)
        if match and "year" in match.re.groupindex and "month" in match.re.groupindex:
            found = _make_date(match.group("year"), match.group("month"),
                               match.groupdict().get("day"), named=not match.group("month").isdigit())
            if found:
                return found
    for regex, named in _DATE_PATTERNS:
        for match in regex.finditer(name):
            found = _make_date(match.group("year"), match.group("month"), match.groupdict().get("day"), named)
            if found:
                return found
    return None


def _make_date(year, month, day, named) -> datetime.date | None:
    try:
        month_number = _MONTHS.get(month.lower()) if named else int(month)
        if not month_number:
            return None
        return datetime.date(int(year), month_number, int(day) if day else 1)
    except (TypeError, ValueError):
        return None


def find_latest_link(html: str, page_url: str, pattern: str) -> tuple[str, str]:
    """``(url, file_name)`` of the newest link on a page whose file name matches ``pattern``."""
    from bs4 import BeautifulSoup

    regex = re.compile(pattern)
    candidates = []
    seen = set()
    for order, anchor in enumerate(BeautifulSoup(html, "html.parser").find_all("a", href=True)):
        url = urljoin(page_url, anchor["href"].strip())
        name = file_name_of(url)
        if url in seen or not regex.search(name):
            continue
        seen.add(url)
        candidates.append((date_in_name(name, regex), order, url, name))
    if not candidates:
        raise SourceError(f"{page_url}: no link matches {pattern!r}")
    dated = [c for c in candidates if c[0] is not None]
    if not dated:
        if len(candidates) == 1:
            return candidates[0][2], candidates[0][3]
        names = ", ".join(c[3] for c in candidates[:5])
        raise SourceError(f"{page_url}: {len(candidates)} links match {pattern!r} but none has a date ({names})")
    # Newest date first; on a tie, the first link on the page.
    newest = min(dated, key=lambda c: (-c[0].toordinal(), c[1]))
    return newest[2], newest[3]


def file_name_of(url: str) -> str:
    """The last path segment of a URL, decoded and made safe: the name a downloaded file is saved under.

    ``download`` when the URL has none that can be used.
    """
    try:
        return safe_file_name(unquote(urlparse(url).path.rstrip("/").rsplit("/", 1)[-1]))
    except SourceError:
        return "download"


_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()+,=@-]")


def safe_file_name(name: str) -> str:
    """A name a server gave for a file, reduced to a plain base name that stays in its folder.

    Folders (``../../x.zip``, ``C:\\x.zip``), control characters and leading
    dots are dropped, other unusual characters become ``_``. Raises
    ``SourceError`` when nothing usable is left.
    """
    base = re.split(r"[/\\]", str(name))[-1]
    base = _UNSAFE.sub("_", "".join(c for c in base if c.isprintable())).strip(" .")[:200]
    if not base or set(base) <= {"_", "."}:
        raise SourceError(f"the server named the file {name!r}: no usable file name in it")
    return base


def _client(client: HttpClient | None, url: str, timeout: float) -> HttpClient:
    return client or HttpClient(url, timeout=timeout)


def fetch_latest(
    page_url: str,
    pattern: str,
    dest_dir: str | Path,
    *,
    show_progress: bool = False,
    client: HttpClient | None = None,
    timeout: float = 60.0,
) -> Path:
    """Download the newest file linked from ``page_url`` whose name matches ``pattern``.

    Returns the local path in ``dest_dir``. A file downloaded before is not
    fetched again; a partial one is continued.
    """
    client = _client(client, page_url, timeout)
    try:
        response = client.session.get(page_url, timeout=client.timeout, headers={"Accept": "text/html,*/*"})
    except requests.RequestException as error:
        raise SourceError(f"{page_url}: {_reason(error)}") from None
    if response.status_code >= 400:
        raise SourceError(f"{page_url}: HTTP {response.status_code}")
    url, name = find_latest_link(response.text, response.url or page_url, pattern)
    return download(url, Path(dest_dir) / name, show_progress=show_progress, client=client)


def download(
    url: str,
    dest: str | Path,
    *,
    show_progress: bool = False,
    client: HttpClient | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> Path:
    """Download ``url`` to ``dest``, resuming ``dest.part`` and checking the size.

    Returns ``dest``. When ``dest`` already exists it is returned at once: it
    was only ever renamed there once complete. Raises ``SourceError`` naming the
    URL when the server refuses or the size never comes out right; the partial
    file is kept so that the next call resumes.
    """
    dest = Path(dest)
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    client = _client(client, url, timeout)
    label = file_name_of(url) or dest.name
    last_problem = "no response"
    for _ in range(RESUME_ATTEMPTS):
        have = part.stat().st_size if part.exists() else 0
        request_headers = {"Accept": "*/*", "Accept-Encoding": "identity", **(headers or {})}
        if have:
            request_headers["Range"] = f"bytes={have}-"
        try:
            response = client.session.get(url, headers=request_headers, stream=True, timeout=client.timeout)
        except requests.RequestException as error:
            raise SourceError(f"{label}: {_reason(error)}") from None
        with response:
            if response.status_code == 416 and have:
                # Nothing left to send: the part may already be whole.
                total = _total_from_content_range(response.headers.get("Content-Range"))
                if total == have:
                    part.replace(dest)
                    return dest
                part.unlink()
                last_problem = "the partial download did not match the file on the server"
                continue
            if response.status_code >= 400:
                raise SourceError(f"{label}: HTTP {response.status_code}")
            if response.status_code == 206:
                start = _start_from_content_range(response.headers.get("Content-Range"))
                if start != have:
                    part.unlink(missing_ok=True)
                    last_problem = f"the server resumed at byte {start}, not {have}"
                    continue
                total = _total_from_content_range(response.headers.get("Content-Range"))
                mode = "ab"
            else:  # 200: the server sent the whole file, ignoring any Range
                have = 0
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                mode = "wb"
            try:
                have = _write_body(response, part, mode, have, total, label, show_progress)
            except requests.RequestException as error:
                # Keep what arrived; the next attempt asks for the rest.
                last_problem = f"the connection broke off ({_reason(error)})"
                continue
        if total is None or have == total:
            os.replace(part, dest)
            return dest
        last_problem = f"got {have:,} of {total:,} bytes"
    raise SourceError(
        f"{label}: download incomplete after {RESUME_ATTEMPTS} attempts ({last_problem}); "
        f"the partial file {part} is kept: run again to resume"
    )


def _write_body(response, part: Path, mode: str, have: int, total, label: str, show_progress: bool) -> int:
    from tqdm import tqdm

    with open(part, mode) as out, tqdm(
        total=total, initial=have, unit="B", unit_scale=True, unit_divisor=1024,
        desc=label, disable=not show_progress, leave=False, dynamic_ncols=True,
    ) as bar:
        try:
            for chunk in response.iter_content(CHUNK_SIZE):
                out.write(chunk)
                have += len(chunk)
                bar.update(len(chunk))
        finally:
            out.flush()
    return have


_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)")


def _start_from_content_range(value: str | None) -> int | None:
    match = _CONTENT_RANGE.match(value or "")
    return int(match.group(1)) if match and match.group(1) else None


def _total_from_content_range(value: str | None) -> int | None:
    match = _CONTENT_RANGE.match(value or "")
    return int(match.group(2)) if match and match.group(2) != "*" else None
