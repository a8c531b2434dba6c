"""``psc-snapshot``: the Companies House PSC snapshot, JSON lines or its zip.

Each line is ``{"company_number": ..., "data": {...}}`` with a PSC, a statement
or an exemption. The whole snapshot (or the last of its chunks) ends with a
totals trailer without a ``company_number``; it is checked against what was
read, so a truncated download is refused rather than loaded as if PSCs had ceased.
"""

from __future__ import annotations

import sys

import orjson

from inspect_kit import Collector, Option, Relationship, SourceError

from .files import READ_ERRORS, chunk_of, covers_whole_publication, damaged, text_streams
from .personal import rejected_psc
from .psc import (
    EXEMPTIONS_KIND,
    PERSON_KINDS,
    TOTALS_KIND,
    PscError,
    is_statement,
    psc_records,
)

# Trailer field -> which lines it counts.
TOTALS = {
    "persons_of_significant_control_count": "persons",
    "statements_count": "statements",
    "exemptions_count": "exemptions",
}


class PscSnapshotCollector(Collector):
    name = "psc-snapshot"
    description = (
        "Companies House PSC snapshot (JSON lines or zip, whole or in chunks): persons with "
        "significant control, beneficial owners, statements and exemptions of every company."
    )
    latest_page = "http://download.companieshouse.gov.uk/en_pscdata.html"
    latest_pattern = r"persons-with-significant-control-snapshot-\d{4}-\d{2}-\d{2}\.zip"
    reads_registry = False  # only its files: the core may parse them on a second core
    options = (
        Option("partial", "The files are an extract, not the whole snapshot: end no relationships "
               "missing from them and expect no totals trailer.", default=False, is_flag=True),
    )

    def collect(self, run):
        whole = not run.options.get("partial") and covers_whole_publication(run.files)
        if whole:
            # Who controls a company is only known from the whole snapshot:
            # a relationship missing from it has gone.
            run.full_snapshot(Relationship)
        counts = {"persons": 0, "statements": 0, "exemptions": 0, "unclassified": 0}
        trailer = None
        for path in sorted(run.files, key=lambda p: chunk_of(p) or (0, 0)):
            for label, stream in text_streams(path, (".txt", ".json", ".jsonl", ".ndjson")):
                run.source = label
                found = yield from self._read(label, stream, run, counts)
                if found is not None:
                    trailer = (label, found)
                elif self._trailer_expected(path, run):
                    raise SourceError(
                        f"{label}: no totals trailer at the end; the file looks truncated "
                        "(use --partial for an extract of the snapshot)"
                    )
        if whole and trailer is not None:
            _check_totals(*trailer, counts)

    @staticmethod
    def _trailer_expected(path, run) -> bool:
        """The whole file and the last chunk end with the trailer; other chunks do not."""
        if run.options.get("partial"):
            return False
        chunk = chunk_of(path)
        return chunk is None or chunk[0] == chunk[1]

    def _read(self, label, stream, run, counts):
        """Yield the records of one stream; return its totals trailer, if it has one."""
        trailer = None
        line = 0
        lines = run.progress(stream, desc=label.rsplit("/", 1)[-1], unit=" lines", unit_scale=True)
        try:
            for line, text in enumerate(lines, 1):
                if not text.strip():
                    continue
                if trailer is not None:
                    raise SourceError(f"{label} line {line:,}: data after the totals trailer")
                try:
                    item = orjson.loads(text)  # a third of json.loads's time, and the same values
                except ValueError as error:
                    if not text.endswith("\n"):
                        raise SourceError(
                            f"{label} line {line:,}: the last line is cut short; the file is truncated"
                        ) from None
                    counts["unclassified"] += 1
                    yield rejected_psc(f"not JSON: {error}", text.rstrip("\n"), line=line, source=label)
                    continue
                data = item.get("data") if isinstance(item, dict) else None
                if not isinstance(data, dict):
                    counts["unclassified"] += 1
                    yield rejected_psc("no data object", text.rstrip("\n"), item=item, line=line, source=label)
                    continue
                kind = data.get("kind")
                if kind == TOTALS_KIND and "company_number" not in item:
                    trailer = data
                    continue
                _count(kind, counts)
                try:
                    records = psc_records(item.get("company_number"), data, line=line)
                except PscError as error:
                    yield rejected_psc(str(error), text.rstrip("\n"), item=item, line=line, source=label)
                    continue
                yield from records
        except READ_ERRORS as error:
            raise damaged(label, line, error) from None
        return trailer


def _count(kind, counts) -> None:
    if kind in PERSON_KINDS:
        counts["persons"] += 1
    elif isinstance(kind, str) and is_statement(kind):
        counts["statements"] += 1
    elif kind == EXEMPTIONS_KIND:
        counts["exemptions"] += 1
    else:
        counts["unclassified"] += 1


def _check_totals(label: str, trailer: dict, counts: dict) -> None:
    """Refuse a snapshot with fewer lines than its trailer declares; warn about more.

    Fewer means lines were lost (a truncated or damaged download): loading it
    would end the relationships of every company in the missing part. More is
    odd but loses nothing, so it is only reported. Lines that were rejected
    before their kind could be told (not JSON) may make up a shortfall: they are
    in ``rejected_records``, not lost.
    """
    for field, what in TOTALS.items():
        declared = trailer.get(field)
        if not isinstance(declared, int):
            continue
        read = counts[what]
        if read + counts["unclassified"] < declared:
            raise SourceError(
                f"{label}: the totals trailer declares {declared:,} {what} but {read:,} were read; "
                "the snapshot is incomplete"
            )
        if read > declared:
            print(
                f"psc-snapshot: warning: {label}: the totals trailer declares {declared:,} {what} "
                f"but {read:,} were read",
                file=sys.stderr,
            )
