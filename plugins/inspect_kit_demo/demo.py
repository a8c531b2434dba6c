"""Build a registry from a generated dataset: every installed collector, then the build.

The dataset's ``manifest.json`` lists the files of each collector in the order
to read them (full land-registry files before change-only files). The CQC data
comes through the ``cqc-api`` collector, pointed at a local stand-in for the
API, because only the API carries what the story needs: the Companies House
number that links a provider to its company, beds, ratings and coordinates.
The directory CSV has none of those; it is read only when ``cqc-api`` is not
installed.
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from inspect_kit.plugins import get_collectors
from inspect_kit.registry import Registry, private_path_for

from .cqc_server import serve_cqc_api

DATA_DIR = Path(__file__).resolve().parents[2] / "datasets" / "demo"
# Local-only stand-ins for keys the API collectors read from the environment.
DEMO_KEYS = {"CQC_SUBSCRIPTION_KEY": "demo-key-local-server"}
# Option values for a collector reading the local API, where politeness limits
# only slow the demo down (applied to collectors that have these options).
LOCAL_API_OPTIONS = {"rate": 0}


@dataclass
class Step:
    """One ``Registry.collect`` call: a collector and the file (or local API) it reads."""

    collector: str
    files: list[Path] = field(default_factory=list)
    serve: Path | None = None  # directory to serve as the collector's API

    @property
    def label(self) -> str:
        return f"{self.collector} {', '.join(f.name for f in self.files) or 'local API'}"


def load_manifest(data_dir: Path) -> list[dict]:
    path = Path(data_dir) / "manifest.json"
    if not path.exists():
        raise FileNotFoundError(path)
    return json.loads(path.read_text())["collect"]


def scenario(data_dir: Path) -> dict:
    return json.loads((Path(data_dir) / "scenario.json").read_text())


def plan(data_dir: Path, installed: set[str] | None = None) -> tuple[list[Step], list[str]]:
    """The collection steps for the installed collectors, and a note for each one skipped."""
    data_dir = Path(data_dir)
    installed = set(get_collectors()) if installed is None else installed
    steps, notes = [], []
    entries = load_manifest(data_dir)
    for entry in entries:
        name = entry["collector"]
        if name == "cqc-directory" and "cqc-api" in installed:
            notes.append("cqc-directory: not needed, cqc-api reads the same homes with more detail")
            continue
        if name not in installed:
            notes.append(f"{name}: skipped, the collector is not installed")
            continue
        if "serve" in entry:
            steps.append(Step(name, serve=data_dir / Path(entry["serve"][0]).parent))
        else:
            # One run per file, so a change-only file is applied on top of its full file.
            steps += [Step(name, files=[data_dir / f]) for f in entry["files"]]
    return steps, notes


def collector_options(collector) -> dict:
    """The options the CLI would pass: defaults, or their environment variables."""
    return {
        option.name: os.environ.get(option.envvar, option.default) if option.envvar else option.default
        for option in collector.options
    }


def collect_step(registry: Registry, step: Step, *, show_progress: bool = False, cache_dir: Path | None = None):
    """Run one step through ``Registry.collect``, serving the local API when it needs one."""
    collector = get_collectors()[step.collector]
    with ExitStack() as stack:
        base_url = stack.enter_context(serve_cqc_api(step.serve)) if step.serve else None
        for key, value in DEMO_KEYS.items():
            if key not in os.environ:
                os.environ[key] = value
                stack.callback(os.environ.pop, key, None)
        if cache_dir is None:
            cache_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="inspect-kit-demo-")))
        options = collector_options(collector)
        if step.serve:
            options.update({k: v for k, v in LOCAL_API_OPTIONS.items() if k in options})
        return registry.collect(collector, files=step.files, options=options, base_url=base_url,
                                cache_dir=cache_dir, show_progress=show_progress)


def build_registry(db_path: Path, data_dir: Path = DATA_DIR, *, show_progress: bool = False,
                   echo: Callable[[str], None] = print, today: datetime.date | None = None) -> dict:
    """Collect every installed source from ``data_dir`` into ``db_path``, then build.

    It builds into ``DB.partial`` and renames at the end, so an interrupted demo
    never leaves a half-built registry that a second run would reuse.
    """
    from inspect_kit.cli import run_build

    db_path = Path(db_path)
    private = private_path_for(db_path)
    partial = db_path.with_name(db_path.name + ".partial")
    private_partial = private.with_name(private.name + ".partial")
    for leftover in (partial, private_partial):
        for path in (leftover, Path(f"{leftover}-wal"), Path(f"{leftover}-shm")):
            path.unlink(missing_ok=True)
    steps, notes = plan(data_dir)
    for note in notes:
        echo(f"demo: {note}")
    facts = scenario(data_dir)
    today = today or datetime.date.fromisoformat(facts["dates"]["as_of"])
    registry = Registry.open(partial, private_path=private_partial)
    reports = []
    try:
        for step in steps:
            report = collect_step(registry, step, show_progress=show_progress)
            reports.append(report)
            echo(f"demo: {step.label}: {report.records:,} records, {report.rejected:,} rejected "
                 f"({report.seconds:.1f}s)")
        results = run_build(registry, today=today)
    finally:
        registry.close()
    private_partial.replace(private)
    partial.replace(db_path)
    return {"collected": reports, "built": results, "notes": notes}


def headline(db_path: Path) -> list[tuple[str, int]]:
    """A few counts to show after the build; tables a missing plugin would fill are left out."""
    import sqlite3

    queries = [
        ("care homes", "select count(*) from care_homes where care_home is not 0 and valid_to is null"),
        ("providers", "select count(*) from providers where valid_to is null"),
        ("companies and people", "select count(*) from entities where valid_to is null"),
        ("ownership links", "select count(*) from relationships where valid_to is null"),
        ("land titles", "select count(*) from titles where valid_to is null"),
        ("homes matched to titles", "select count(distinct location_id) from care_home_titles"),
        ("risk flags", "select count(*) from risk_flags"),
        ("untraceable landlord flags", "select count(*) from risk_flags where flag = 'untraceable_landlord'"),
        ("common-control flags", "select count(*) from risk_flags where flag = 'common_control'"),
    ]
    conn = sqlite3.connect(str(db_path))
    out = []
    try:
        for label, sql in queries:
            try:
                count = conn.execute(sql).fetchone()[0]
            except sqlite3.Error:
                continue
            if count:
                out.append((label, count))
    finally:
        conn.close()
    return out
