"""The ``ccod`` and ``ocod`` collectors.

A full file (``CCOD_FULL_2024_05``) is a snapshot: every title it does not list
any more is ended on the file's month, kept in the history, never deleted. A
change-only file (``CCOD_COU_2024_05``) is applied as dated events: ``D`` rows
end the title and its proprietors on their ``Change Date``, ``A`` rows add them.
HMLR publishes a replaced proprietor as a ``D`` row for the old registration and
an ``A`` row for the new one, so a change of landlord becomes a dated event.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import re
from pathlib import Path
from typing import Iterator

from inspect_kit import Collector, Ended, Option, Rejected, SourceError, Title, TitleProprietor
from inspect_kit.downloads import date_in_name, download, file_name_of, safe_file_name
from inspect_kit.http import HttpClient

from .files import LandRegistryFile, file_month, kind_from_name
from .rows import PROPRIETOR_POSITIONS, Layout, RowError

API_BASE = "https://use-land-property-data.service.gov.uk/api/v1"
API_KEY_ENV = "HMLR_API_KEY"


class LandRegistryCollector(Collector):
    """What CCOD and OCOD share: the layout differs by four columns."""

    dataset = ""
    latest_page = API_BASE
    reads_registry = False  # only its file and run.get_state: the core may parse it on a second core
    options = (
        Option("encoding", help="Text encoding of the CSV.", default="utf-8-sig"),
        Option("no_trailer", help="Accept a file without the 'Row Count' trailer (a hand-made extract).",
               is_flag=True, default=False),
        Option("allow_older", help="Apply a file older than the last one applied (history goes back in time).",
               is_flag=True, default=False),
    )

    def collect(self, run) -> Iterator:
        if len(run.files) != 1:
            raise SourceError(
                f"{self.name}: give one file per run, oldest month first "
                f"(got {len(run.files)}): each file is a month of history"
            )
        source = LandRegistryFile(
            run.files[0],
            encoding=run.options.get("encoding") or "utf-8-sig",
            require_trailer=not run.options.get("no_trailer"),
        )
        rows = source.rows()
        _, header = next(rows)
        rows.close()
        layout = Layout(header, dataset=self.dataset, label=source.label)
        named = kind_from_name(source.name) or kind_from_name(source.path.name)
        if named == "change" and not layout.change_only:
            raise SourceError(f"{source.label}: named as a change-only file but has no 'Change Indicator' column")
        if named == "full" and layout.change_only:
            raise SourceError(f"{source.label}: named as a full file but has a 'Change Indicator' column")
        run.source = str(source.path)
        if layout.change_only:
            yield from self._apply_changes(run, source, layout)
        else:
            yield from self._load_full(run, source, layout)

    # -- full files --------------------------------------------------------

    def _load_full(self, run, source: LandRegistryFile, layout: Layout) -> Iterator:
        month = file_month(source.name) or file_month(source.path.name)
        if month:
            self._set_as_of(run, month, source)
        run.full_snapshot(Title, TitleProprietor)
        rows = source.rows()
        next(rows)
        parse = layout.parse
        for line, fields in run.progress(rows, desc=source.label, unit=" rows", mininterval=0.5):
            try:
                title, proprietors, problems = parse(fields, line)
            except RowError as error:
                yield Rejected(str(error), raw=_raw(fields), line=line)
                continue
            if problems:
                yield _partly_rejected(problems, fields, line)
            yield title
            yield from proprietors

    # -- change-only files -------------------------------------------------

    def _apply_changes(self, run, source: LandRegistryFile, layout: Layout) -> Iterator:
        """Two passes: first every deletion (and the dates), then every addition.

        Deletions go first so that a title's ``D`` (old proprietors) never ends
        the ``A`` row that replaces it, whatever their order in the file.
        """
        deleted_on: dict[str, datetime.date] = {}
        latest = None
        rows = source.rows()
        next(rows)
        for line, fields in run.progress(rows, desc=f"{source.label} (deletions)", unit=" rows"):
            try:
                indicator, changed = layout.change(fields) if len(fields) == layout.width else (None, None)
                title, proprietors, problems = layout.parse(fields, line)
            except RowError as error:
                yield Rejected(str(error), raw=_raw(fields), line=line)
                continue
            if problems:
                yield _partly_rejected(problems, fields, line)
            if changed and (latest is None or changed > latest):
                latest = changed
            if indicator == "D":
                on = changed or file_month(source.name)
                number = title.title_number
                if number not in deleted_on or (on and on > deleted_on[number]):
                    deleted_on[number] = on
                yield from _end_title(number, on, line)
        self._set_as_of(run, latest or file_month(source.name) or datetime.date.today(), source)
        rows = source.rows()
        next(rows)
        for line, fields in run.progress(rows, desc=f"{source.label} (additions)", unit=" rows"):
            try:
                indicator, changed = layout.change(fields) if len(fields) == layout.width else (None, None)
            except RowError:
                continue  # rejected in the first pass
            if indicator != "A":
                continue
            try:
                title, proprietors, _ = layout.parse(fields, line)
            except RowError:
                continue  # rejected in the first pass, as were its unreadable values
            yield title
            yield from proprietors
            removed = deleted_on.get(title.title_number)
            if removed and changed and removed > changed:
                # Added, then deleted later in the same month.
                yield from _end_title(title.title_number, removed, line)

    # -- as-of dates -------------------------------------------------------

    def _set_as_of(self, run, as_of: datetime.date, source: LandRegistryFile) -> None:
        """Date the run, refusing to apply a month older than one already applied."""
        applied = run.get_state("as_of")
        if applied and as_of.isoformat() < applied and not run.options.get("allow_older"):
            raise SourceError(
                f"{source.label}: describes {as_of.isoformat()}, older than {applied} already applied; "
                "collect files oldest first (or use --allow-older)"
            )
        run.as_of = as_of.isoformat()
        if not applied or run.as_of > applied:
            run.set_state("as_of", run.as_of)

    # -- downloads through the HMLR API ------------------------------------

    def latest_files(self, download_dir: Path, *, page: str | None = None, show_progress: bool = False) -> list[Path]:
        """Download this month's full file through the HMLR API with the user's key.

        ``page`` (``--latest-from``) replaces the API base URL, for mirrors and tests.
        """
        key = os.environ.get(API_KEY_ENV, "").strip()
        if not key:
            raise SourceError(
                f"{self.name}: set {API_KEY_ENV} to your HM Land Registry API key "
                "(free: https://use-land-property-data.service.gov.uk/)"
            )
        api = HttpClient(page or API_BASE, headers={"Authorization": key}, timeout=60)
        result = _result(api, f"datasets/{self.dataset}")
        url = result.get("download_url")
        name = result.get("file_name")
        if not url:
            name = self._newest_resource(result, api)
            url = _result(api, f"datasets/{self.dataset}/{name}").get("download_url")
            if not url:
                raise SourceError(f"{api.url(f'datasets/{self.dataset}/{name}')}: no download_url in the response")
        # The name comes from the server: only its base name is used, inside the download folder.
        name = safe_file_name(name) if name else file_name_of(url)
        # The download URL is signed: it must not carry the API key.
        return [download(url, Path(download_dir) / name, show_progress=show_progress)]

    def _newest_resource(self, result: dict, api: HttpClient) -> str:
        pattern = re.compile(self.latest_pattern)
        names = [
            r.get("file_name") for r in result.get("resources") or []
            if isinstance(r, dict) and r.get("file_name") and pattern.search(r["file_name"])
        ]
        if not names:
            raise SourceError(f"{api.url(f'datasets/{self.dataset}')}: no full {self.dataset.upper()} file listed")
        return max(names, key=lambda n: date_in_name(n) or datetime.date.min)


def _result(api: HttpClient, path: str) -> dict:
    body = api.get_json(path, allow_404=False)
    if not isinstance(body, dict) or body.get("success") is False or not isinstance(body.get("result"), dict):
        message = body.get("error") if isinstance(body, dict) else None
        raise SourceError(f"{api.url(path)}: unexpected response{f' ({message})' if message else ''}")
    return body["result"]


def _end_title(title_number: str, on: datetime.date | None, line: int) -> Iterator[Ended]:
    on = on.isoformat() if on else None
    yield Ended(Title, {"title_number": title_number}, on=on, line=line)
    for position in PROPRIETOR_POSITIONS:
        yield Ended(TitleProprietor, {"title_number": title_number, "position": position}, on=on, line=line)


def _partly_rejected(problems: list[str], fields: list[str], line: int) -> Rejected:
    """A row stored without its unreadable values: listed in rejected_records all the same."""
    return Rejected("; ".join(problems) + " (the row is kept without these values)", raw=_raw(fields), line=line)


def _raw(fields: list[str]) -> str:
    """The row as CSV text again, for rejected_records."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue()


class CcodCollector(LandRegistryCollector):
    name = "ccod"
    dataset = "ccod"
    description = (
        "HM Land Registry CCOD: UK companies that own land in England and Wales (CSV or zip, "
        "full or change-only). --latest downloads this month's file with HMLR_API_KEY."
    )
    latest_pattern = r"CCOD_FULL_(?P<year>\d{4})_(?P<month>\d{2})\.(?:zip|csv)$"


class OcodCollector(LandRegistryCollector):
    name = "ocod"
    dataset = "ocod"
    description = (
        "HM Land Registry OCOD: overseas companies that own land in England and Wales (CSV or zip, "
        "full or change-only). --latest downloads this month's file with HMLR_API_KEY."
    )
    latest_pattern = r"OCOD_FULL_(?P<year>\d{4})_(?P<month>\d{2})\.(?:zip|csv)$"
