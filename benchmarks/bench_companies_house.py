"""Benchmark: ``inspect-kit collect companies-house-bulk`` and ``psc-snapshot`` against a plain load.

For each source it generates a file in the real shape (fictional values), then
times, each in a fresh process so peak memory is its own:

- ``inspect-kit collect ...`` into a new registry;
- the baseline: ``csv.reader`` (or ``json.loads`` per line for the snapshot) and
  ``sqlite3.executemany`` into one flat table of the same file.

It reports the ratio and each process's peak memory (target: ratio <= 2, peak
< 300 MB; when the collector parses in a child process, its peak is given too and
the two add up; see bench_ccod.py on when it parses in a child). Run by hand:

    python benchmarks/bench_companies_house.py --rows 1000000
    python benchmarks/bench_companies_house.py --rows 200000 --profile   # cProfile the collector
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

HEADER = (
    "CompanyName, CompanyNumber,RegAddress.CareOf,RegAddress.POBox,RegAddress.AddressLine1, RegAddress.AddressLine2,"
    "RegAddress.PostTown,RegAddress.County,RegAddress.Country,RegAddress.PostCode,CompanyCategory,CompanyStatus,"
    "CountryOfOrigin,DissolutionDate,IncorporationDate,Accounts.AccountRefDay,Accounts.AccountRefMonth,"
    "Accounts.NextDueDate,Accounts.LastMadeUpDate,Accounts.AccountCategory,Returns.NextDueDate,Returns.LastMadeUpDate,"
    "Mortgages.NumMortCharges,Mortgages.NumMortOutstanding,Mortgages.NumMortPartSatisfied,Mortgages.NumMortSatisfied,"
    "SICCode.SicText_1,SICCode.SicText_2,SICCode.SicText_3,SICCode.SicText_4,LimitedPartnerships.NumGenPartners,"
    "LimitedPartnerships.NumLimPartners,URI"
    + "".join(f",PreviousName_{i}.CONDATE, PreviousName_{i}.CompanyName" for i in range(1, 11))
    + ",ConfStmtNextDueDate, ConfStmtLastMadeUpDate"
)
STATUSES = ["Active", "Active", "Active", "Dissolved", "Liquidation", "Active - Proposal to Strike off"]
COUNTRIES = ["United Kingdom"] * 8 + ["Jersey", "British Virgin Islands"]


def generate_companies(path: Path, rows: int) -> None:
    rng = random.Random(1)
    width = len(HEADER.split(","))
    with open(path, "w", newline="") as f:
        f.write(HEADER + "\r\n")
        writer = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        for n in range(rows):
            number = f"{n:08d}"
            row = [""] * width
            row[0] = f"FICTIONAL COMPANY {n} LIMITED"
            row[1] = number
            row[4] = f"{rng.randint(1, 300)}  EXAMPLE   ROAD"
            row[6] = "EXAMPLETON"
            row[9] = f"ZZ{rng.randint(1, 99)} {rng.randint(1, 9)}ZZ"
            row[10] = "Private Limited Company"
            row[11] = rng.choice(STATUSES)
            row[12] = rng.choice(COUNTRIES)
            row[14] = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1950, 2023)}"
            row[15], row[16] = "31", "12"
            row[19] = "TOTAL EXEMPTION FULL"
            row[22], row[23], row[24], row[25] = "2", "1", "0", "1"
            row[26] = "87100 - Residential nursing care facilities"
            row[27] = "68209 - Other letting and operating of own or leased real estate"
            row[30], row[31] = "0", "0"
            row[32] = f"http://business.data.gov.uk/id/company/{number}"
            writer.writerow(row)


def generate_psc(path: Path, lines: int) -> None:
    rng = random.Random(2)
    persons = statements = 0
    with open(path, "w") as f:
        for n in range(lines):
            company = f"{n // 2:08d}"
            if n % 10 == 9:
                statements += 1
                data = {"kind": "persons-with-significant-control-statement",
                        "statement": "psc-exists-but-not-identified", "notified_on": "2017-01-14",
                        "etag": "x" * 40,
                        "links": {"self": f"/company/{company}/persons-with-significant-control-statements/S{n}"}}
            elif n % 10 == 8:
                persons += 1
                data = {"kind": "corporate-entity-person-with-significant-control", "name": f"PARENT {n} LIMITED",
                        "identification": {"country_registered": "England", "place_registered": "Companies House",
                                           "registration_number": str(n), "legal_form": "Limited"},
                        "address": {"address_line_1": "1 Example Road", "postal_code": "ZZ1 1ZZ"},
                        "natures_of_control": ["ownership-of-shares-75-to-100-percent"],
                        "notified_on": "2016-04-06", "etag": "x" * 40,
                        "links": {"self": f"/company/{company}/persons-with-significant-control/corporate-entity/C{n}"}}
            else:
                persons += 1
                data = {"address": {"address_line_1": "St. Example Road", "country": "England",
                                    "locality": "Exampleton", "postal_code": "ZZ9 1ZZ", "premises": "2"},
                        "country_of_residence": "England",
                        "date_of_birth": {"month": rng.randint(1, 12), "year": rng.randint(1930, 2000)},
                        "etag": "x" * 40, "kind": "individual-person-with-significant-control",
                        "links": {"self": f"/company/{company}/persons-with-significant-control/individual/P{n}"},
                        "name": f"Mx Fictional Person {n}",
                        "name_elements": {"forename": "Fictional", "surname": f"Person{n}", "title": "Mx"},
                        "nationality": "British",
                        "natures_of_control": ["ownership-of-shares-25-to-50-percent", "voting-rights-25-to-50-percent"],
                        "notified_on": "2016-04-06"}
                if n % 7 == 0:
                    data["ceased_on"] = "2019-05-14"
            f.write(json.dumps({"company_number": company, "data": data}, separators=(",", ":")) + "\n")
        f.write(json.dumps({"data": {"kind": "totals#persons-of-significant-control-snapshot",
                                     "persons_of_significant_control_count": persons,
                                     "statements_count": statements, "exemptions_count": 0,
                                     "generated_at": "2024-05-01T03:40:50+01:00"}}) + "\n")


BASELINE_CSV = """
import csv, sqlite3, sys
conn = sqlite3.connect(sys.argv[2])
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    reader = csv.reader(f)
    header = [h.strip() for h in next(reader)]
    cols = ", ".join(f'"{h}"' for h in header)
    conn.execute(f"CREATE TABLE companies ({cols})")
    sql = f"INSERT INTO companies VALUES ({', '.join('?' for _ in header)})"
    batch = []
    for row in reader:
        batch.append(row)
        if len(batch) >= 10000:
            conn.executemany(sql, batch); batch.clear()
    conn.executemany(sql, batch)
conn.commit()
"""

BASELINE_JSONL = """
import json, sqlite3, sys
conn = sqlite3.connect(sys.argv[2])
conn.execute("CREATE TABLE psc (company_number, kind, name, notified_on, ceased_on, data)")
sql = "INSERT INTO psc VALUES (?, ?, ?, ?, ?, ?)"
batch = []
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        item = json.loads(line)
        data = item["data"]
        batch.append((item.get("company_number"), data.get("kind"), data.get("name"),
                      data.get("notified_on"), data.get("ceased_on"), json.dumps(data.get("natures_of_control"))))
        if len(batch) >= 10000:
            conn.executemany(sql, batch); batch.clear()
    conn.executemany(sql, batch)
conn.commit()
"""

# Runs a command and prints its wall time and peak RSS, measured from inside the child.
TIMED = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.call(sys.argv[1:])
seconds = time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"{seconds} {peak_kb} 0 {code}")
"""

# inspect-kit in this process: wall time, its peak, and the peak of the process that parses
# (a forked child, when the collector runs in one; 0 when not).
INSPECT_KIT = """
import resource, sys, time
from inspect_kit.cli import cli
start = time.perf_counter()
code = 0
try:
    cli.main(["collect", *sys.argv[1:]], standalone_mode=False)
except Exception as error:
    print(error, file=sys.stderr)
    code = 1
seconds = time.perf_counter() - start
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"{seconds} {own} {child} {code}")
"""


def timed(command: list[str], script: str = TIMED, env: dict | None = None) -> tuple[float, float, float]:
    """(seconds, peak MB, peak MB of a child process that parses)."""
    out = subprocess.run([sys.executable, "-c", script, *command], capture_output=True, text=True, check=True,
                         env={**os.environ, **(env or {})})
    seconds, peak_kb, child_kb, code = out.stdout.split()[-4:]
    if code != "0":
        raise SystemExit(f"{command} failed ({code}): {out.stderr}")
    return float(seconds), int(peak_kb) / 1024, int(child_kb) / 1024


def bench(label, source, path, baseline_code, workdir, one_process=False):
    db = workdir / f"{source}.db"
    flat = workdir / f"{source}-flat.db"
    flat.unlink(missing_ok=True)
    base_s, base_mb, _ = timed([sys.executable, "-c", baseline_code, str(path), str(flat)])
    modes = [("", {})] + ([(" (one process)", {"INSPECT_KIT_CHILD_LOAD": "0"})] if one_process else [])
    for mode, env in modes:
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        kit_s, kit_mb, child_mb = timed([source, str(path), "--db", str(db), "--no-progress"], INSPECT_KIT, env)
        peak = f"peak {kit_mb:.0f} MB" + (f" + parsing child {child_mb:.0f} MB" if child_mb else "")
        print(f"{label}{mode}: inspect-kit {kit_s:.1f}s, {peak} | baseline {base_s:.1f}s, peak {base_mb:.0f} MB "
              f"| ratio {kit_s / base_s:.2f}x", flush=True)


def profile(source, path, workdir):
    import cProfile
    import pstats

    from inspect_kit.plugins import get_collectors
    from inspect_kit.registry import Registry

    registry = Registry.open(workdir / "profile.db")
    profiler = cProfile.Profile()
    profiler.enable()
    registry.collect(get_collectors()[source], files=[path])
    profiler.disable()
    registry.close()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dir", default=None, help="Working directory (default: a temporary one)")
    parser.add_argument("--profile", action="store_true", help="cProfile each collector instead of timing it")
    parser.add_argument("--one-process", action="store_true",
                        help="Also time each load kept in one process (INSPECT_KIT_CHILD_LOAD=0).")
    args = parser.parse_args()
    workdir = Path(args.dir or tempfile.mkdtemp(prefix="bench-ch-"))
    workdir.mkdir(parents=True, exist_ok=True)
    companies = workdir / f"BasicCompanyDataAsOneFile-{args.rows}.csv"
    psc = workdir / f"persons-with-significant-control-snapshot-{args.rows}.txt"
    if not companies.exists():
        generate_companies(companies, args.rows)
    if not psc.exists():
        generate_psc(psc, args.rows)
    print(f"{args.rows:,} rows: {companies.stat().st_size / 1e6:.0f} MB CSV, {psc.stat().st_size / 1e6:.0f} MB JSONL "
          f"(in {workdir})")
    if args.profile:
        profile("companies-house-bulk", companies, workdir)
        profile("psc-snapshot", psc, workdir)
        return
    bench("BasicCompanyData", "companies-house-bulk", companies, BASELINE_CSV, workdir, args.one_process)
    bench("PSC snapshot    ", "psc-snapshot", psc, BASELINE_JSONL, workdir, args.one_process)


if __name__ == "__main__":
    main()
