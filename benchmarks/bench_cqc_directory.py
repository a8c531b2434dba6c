"""How cqc-directory compares with a plain CSV load, and what the ODS stream costs in memory.

Run by hand: ``python benchmarks/bench_cqc_directory.py [ROWS]`` (default 60,000, about
one HSCA Active Locations file). It writes an HSCA-shaped file of fictional rows as CSV
and as ODS, then times, in the same run:

- baseline: ``csv.reader`` + ``sqlite3.executemany`` into one flat table;
- ``inspect-kit collect cqc-directory`` on the CSV, and on the ODS;

and reports the ratios, with the peak Python memory of reading the ODS (tracemalloc).
"""

from __future__ import annotations

import csv
import sqlite3
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

from inspect_kit_cqc import ods
from inspect_kit_cqc.directory_collector import CqcDirectoryCollector

from inspect_kit.registry import Registry

HEADER = [
    "Location ID", "Location HSCA start date", "Dormant (Y/N)", "Care home?", "Location Name", "Care homes beds",
    "Location Type/Sector", "Location Inspection Directorate", "Location Latest Overall Rating", "Publication Date",
    "Location Region", "Location Local Authority", "Location Street Address", "Location Address Line 2",
    "Location City", "Location County", "Location Postal Code", "Location UPRN ID", "Location Latitude",
    "Location Longitude", "Provider Companies House Number", "Provider ID", "Provider Name",
    "Provider Ownership Type", "Provider Street Address", "Provider City", "Provider Postal Code",
    "Regulated activity - Accommodation for persons who require nursing or personal care",
    "Regulated activity - Personal care", "Service type - Care home service with nursing",
    "Service type - Care home service without nursing", "Service type - Domiciliary care service",
    "Service user band - Dementia", "Service user band - Older People",
]


def rows(count):
    for n in range(count):
        home = n % 3 != 0
        yield [
            f"1-{1000000 + n}", "01/04/2011", "N", "Y" if home else "N", f"Example Home {n}",
            str(n % 90 if home else 0),
            "Social Care Org", "Adult social care", "Good", "14/03/2025", "South West", "Exampleshire",
            f"{n} Example Road", "", "Exampleton", "", "EX1 1AA", str(100000000000 + n), "50.1", "-3.5",
            str(1000000 + n // 4), f"1-{9000000 + n // 4}", f"Operator {n // 4} Limited", "Organisation",
            "1 Office Park", "Exampleton", "EX9 9ZZ", "Y" if home else "", "" if home else "Y",
            "Y" if n % 2 else "", "Y" if home else "", "" if home else "Y", "Y", "Y",
        ]


def write_csv(path, count):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows(count))


def write_ods(path, count):
    def cell(value):
        return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'

    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        with archive.open("content.xml", "w") as out:
            out.write(f'<?xml version="1.0"?><office:document-content {ns}><office:body><office:spreadsheet>'
                      '<table:table table:name="HSCA_Active_Locations">'.encode())
            for row in [HEADER, *rows(count)]:
                out.write(("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>").encode())
            out.write(b"</table:table></office:spreadsheet></office:body></office:document-content>")


def baseline(csv_path, db_path):
    conn = sqlite3.connect(db_path)
    with open(csv_path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        columns = ", ".join(f'"c{i}"' for i in range(len(header)))
        conn.execute(f"create table flat ({columns})")
        conn.executemany(f"insert into flat values ({', '.join('?' for _ in header)})", reader)
    conn.commit()
    conn.close()


def timed(label, fn):
    started = time.perf_counter()
    fn()
    seconds = time.perf_counter() - started
    print(f"{label:45s} {seconds:7.2f}s", flush=True)
    return seconds


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 60_000
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv_path, ods_path = tmp / "HSCA_export.csv", tmp / "HSCA_Active_Locations.ods"
        write_csv(csv_path, count)
        write_ods(ods_path, count)
        print(f"{count:,} rows: CSV {csv_path.stat().st_size / 1e6:.1f} MB, ODS {ods_path.stat().st_size / 1e6:.1f} MB")
        base = timed("baseline: csv.reader + executemany", lambda: baseline(csv_path, tmp / "flat.db"))
        collector = CqcDirectoryCollector()

        def collect(path, name):
            registry = Registry.open(tmp / name)
            registry.collect(collector, files=[path], options={"all_social_care": True})
            registry.close()

        from_csv = timed("inspect-kit collect cqc-directory (CSV)", lambda: collect(csv_path, "csv.db"))
        from_ods = timed("inspect-kit collect cqc-directory (ODS)", lambda: collect(ods_path, "ods.db"))
        print(f"ratio CSV/baseline {from_csv / base:.1f}x, ODS/baseline {from_ods / base:.1f}x")
        tracemalloc.start()
        read = sum(1 for _ in ods.iter_rows(ods_path))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"ODS stream: {read:,} rows read, peak Python memory {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
