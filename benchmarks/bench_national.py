"""The full build from national-scale files: time and peak memory per step.

    python benchmarks/bench_national.py                     # generate national files, then build
    python benchmarks/bench_national.py --divide 100        # a 1/100 trial
    python benchmarks/bench_national.py --data DIR          # reuse generated files

Every step runs in a child process, so its peak memory (max RSS) is its own.
Each collector's time is set against a baseline measured in the same run on
the same file: a plain ``csv.reader`` (or ``json.loads`` for JSON lines) and
``sqlite3.executemany`` into one untyped table, i.e. the cost of reading and
storing the rows with no validation, history or provenance. Targets (issue 8):
the whole build under 15 minutes on 2 cores, peak memory under 2 GB.
Results go to benchmarks/out/ as JSON.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
csv.field_size_limit(10_000_000)
BATCH = 10_000


# ---------------------------------------------------------------------------
# Child processes: one step each
# ---------------------------------------------------------------------------


def _lines(path: Path):
    """Text lines of a plain file or of the one member of a zip, streamed."""
    if path.suffix == ".zip":
        zf = zipfile.ZipFile(path)
        return io.TextIOWrapper(zf.open(zf.namelist()[0]), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def baseline(files: list[Path], db: Path) -> int:
    """Read every row and store it, as plainly as Python can: the yardstick."""
    conn = sqlite3.connect(db)
    rows = 0
    for path in files:
        name = path.name.lower()
        if name.endswith(".jsonl") or "persons-with-significant-control" in name:
            conn.execute("CREATE TABLE IF NOT EXISTS lines (key TEXT, kind TEXT, body TEXT)")
            with _lines(path) as lines:
                batch = []
                for line in lines:
                    record = json.loads(line)
                    data = record.get("data", record)
                    batch.append((record.get("company_number") or record.get("locationId") or record.get("providerId"),
                                  data.get("kind"), line))
                    if len(batch) >= BATCH:
                        conn.executemany("INSERT INTO lines VALUES (?, ?, ?)", batch)
                        rows += len(batch)
                        batch = []
                conn.executemany("INSERT INTO lines VALUES (?, ?, ?)", batch)
                rows += len(batch)
        elif name.endswith(".json"):
            statements = json.loads(path.read_text())
            conn.execute("CREATE TABLE IF NOT EXISTS statements (id TEXT, type TEXT, body TEXT)")
            conn.executemany("INSERT INTO statements VALUES (?, ?, ?)",
                             [(s.get("statementId"), s.get("recordType"), json.dumps(s)) for s in statements])
            rows += len(statements)
        else:
            with _lines(path) as lines:
                reader = csv.reader(lines)
                header = next(reader)
                while len(header) < 3:  # the CQC directory's title lines
                    header = next(reader)
                table = f"t{abs(hash(path.name))}"
                columns = ", ".join(f"c{i} TEXT" for i in range(len(header)))
                conn.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
                insert = f"INSERT INTO {table} VALUES ({', '.join('?' * len(header))})"
                batch = []
                for row in reader:
                    if len(row) != len(header):  # the Row Count trailer
                        continue
                    batch.append(row)
                    if len(batch) >= BATCH:
                        conn.executemany(insert, batch)
                        rows += len(batch)
                        batch = []
                conn.executemany(insert, batch)
                rows += len(batch)
    conn.commit()
    conn.close()
    return rows


def child(args) -> None:
    from inspect_kit.registry import Registry
    from inspect_kit_demo.demo import collect_step, plan, scenario

    data = Path(args.data)
    if args.child == "baseline":
        files = [Path(f) for f in args.files]
        print(json.dumps({"rows": baseline(files, Path(args.db))}))
        return
    registry = Registry.open(args.db)
    try:
        if args.child == "startup":
            from inspect_kit.plugins import get_collectors

            print(json.dumps({"collectors": len(get_collectors())}))
        elif args.child == "collect":
            steps, _ = plan(data)
            step = steps[args.index]
            report = collect_step(registry, step, show_progress=args.progress)
            print(json.dumps({"records": report.records, "rejected": report.rejected, "changed": report.changed}))
        elif args.child == "build":
            from inspect_kit.cli import run_build

            today = datetime.date.fromisoformat(scenario(data)["dates"]["as_of"])
            timings = {}
            marks = {}

            def on_step(step, stored):
                key = f"{step.kind} {step.name}"
                if stored is None:
                    _reset_peak()
                    marks[key] = (time.perf_counter(), _children_peak_mb())
                else:
                    started, children_before = marks[key]
                    timings[key] = {"seconds": round(time.perf_counter() - started, 2), "results": stored,
                                    "peak_mb": _peak_mb()}
                    if _children_peak_mb() > children_before:  # the step forked (reads_results = False)
                        timings[key]["child_peak_mb"] = _children_peak_mb()

            run_build(registry, today=today, on_step=on_step)
            print(json.dumps({"steps": timings}))
    finally:
        registry.close()


def _reset_peak() -> None:
    """Start measuring this process's peak memory afresh (Linux), so each build step has its own."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _children_peak_mb() -> float:
    """The largest peak of the child processes this one has waited for, in MB."""
    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


def _peak_mb() -> float | None:
    """This process's peak resident memory since the last reset, in MB (Linux)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), None)
    return round(kb / 1024, 1) if kb else None


# ---------------------------------------------------------------------------
# The parent: run the children, measure, report
# ---------------------------------------------------------------------------


def run_child(argv: list[str]) -> dict:
    """Run one child; return its JSON output with wall seconds and peak RSS (MB)."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, *argv], stdout=subprocess.PIPE, cwd=ROOT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"bench: step failed: {' '.join(argv)}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    result.update(seconds=round(seconds, 2), peak_mb=round(usage.ru_maxrss / 1024, 1))
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="a generated dataset (default: generate one)")
    parser.add_argument("--scale", default="national")
    parser.add_argument("--divide", type=int, default=1, help="divide the scale's counts (trial runs)")
    parser.add_argument("--work", help="where the data and databases go (default: a temporary directory)")
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--build-only", action="store_true",
                        help="run only the build, on the registry an earlier run left in --work")
    parser.add_argument("--out", help="the JSON report (default: benchmarks/out/national-SCALE-DATE.json)")
    parser.add_argument("--child", choices=["collect", "build", "baseline", "startup"], help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--files", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return 0

    from inspect_kit_demo.demo import plan

    work = Path(args.work or tempfile.mkdtemp(prefix="inspect-kit-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    report = {"started": datetime.datetime.now().isoformat(timespec="seconds"), "cpus": os.cpu_count(),
              "python": sys.version.split()[0], "steps": []}
    if args.data:
        data = Path(args.data)
    else:
        data = work / "data"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "datasets.generate", "--scale", args.scale, "--divide",
                        str(args.divide), "--out", str(data)], check=True, cwd=ROOT)
        report["generate_seconds"] = round(time.perf_counter() - started, 1)
    facts = json.loads((data / "scenario.json").read_text())
    report["scale"] = facts["scale"]
    report["counts"] = {k: facts["counts"].get(k) for k in ("companies", "psc_lines", "titles_full", "cqc_locations")}
    steps, notes = plan(data)
    for note in notes:
        print(f"bench: {note}", file=sys.stderr)
    db = work / "registry.db"
    if args.build_only:
        steps = []
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)

    startup = run_child(["--child", "startup", "--data", str(data), "--db", str(work / "startup.db")])
    report["startup_seconds"] = startup["seconds"]
    print(f"bench: a child process starts, loads the plugins and opens a registry in {startup['seconds']:.1f}s "
          "(included in every step's time)", file=sys.stderr)
    total = 0.0
    print(f"{'step':<52} {'seconds':>9} {'peak MB':>8} {'baseline s':>11} {'ratio':>6}", file=sys.stderr)
    for i, step in enumerate(steps):
        result = run_child(["--child", "collect", "--data", str(data), "--index", str(i), "--db", str(db)]
                           + (["--progress"] if args.progress else []))
        files = step.files or [step.serve / "locations.jsonl", step.serve / "providers.jsonl"]
        base_db = work / f"baseline-{i}.db"
        base_db.unlink(missing_ok=True)
        base = run_child(["--child", "baseline", "--data", str(data), "--db", str(base_db), "--files",
                          *map(str, files)])
        base_db.unlink(missing_ok=True)
        ratio = result["seconds"] / base["seconds"] if base["seconds"] else None
        total += result["seconds"]
        row = {"step": step.label, **result, "baseline_seconds": base["seconds"], "baseline_rows": base["rows"],
               "baseline_peak_mb": base["peak_mb"], "ratio": round(ratio, 1) if ratio else None}
        report["steps"].append(row)
        print(f"{step.label[:52]:<52} {result['seconds']:>9.1f} {result['peak_mb']:>8.0f} "
              f"{base['seconds']:>11.1f} {ratio or 0:>6.1f}", file=sys.stderr)
    build = run_child(["--child", "build", "--data", str(data), "--db", str(db)])
    total += build["seconds"]
    report["build"] = build
    print(f"{'build (resolvers, scorers, schedulers)':<52} {build['seconds']:>9.1f} {build['peak_mb']:>8.0f}",
          file=sys.stderr)
    for name, timing in build["steps"].items():
        forked = f", a child process {timing['child_peak_mb']:.0f} MB" if "child_peak_mb" in timing else ""
        print(f"  {name:<50} {timing['seconds']:>9.1f} {timing['peak_mb'] or 0:>8.0f}  "
              f"({timing['results']:,} results{forked})", file=sys.stderr)
    # A step made in a child process holds both processes' memory at once.
    together = [t["peak_mb"] + t["child_peak_mb"] for t in build["steps"].values() if "child_peak_mb" in t]
    peak = max([s["peak_mb"] for s in report["steps"]] + [build["peak_mb"]] + together)
    report.update(total_seconds=round(total, 1), peak_mb=peak, notes=notes,
                  registry_mb=round(db.stat().st_size / 1e6, 1) if db.exists() else None)
    print(f"total {total / 60:.1f} min (target < 15), peak {peak:.0f} MB (target < 2048)", file=sys.stderr)
    path = Path(args.out) if args.out else (
        ROOT / "benchmarks" / "out" / f"national-{facts['scale'].replace('/', '-')}-{datetime.date.today().isoformat()}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"bench: wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
