"""Benchmark: ultimate owners for a graph of N entities and N relationships.

Run by hand:  .venv/bin/python benchmarks/bench_ownership.py [N] [--db PATH]

It builds a registry of fictional companies and persons (chains up to a few
dozen deep, parallel owners, cycles, statements, ended relationships) through
``Registry.collect``, then times in the same run:

- baseline: one plain pass over the relationships table (SELECT and iterate);
- load: reading entities and relationships into an ``OwnershipGraph``;
- analyse: every entity's path ends and ultimate owners;
- chain query: the ``home_ownership_chain`` canned query for 200 random homes,
  95th percentile, in SQLite directly and through Datasette's own client (the
  JSON a user's browser or script receives).

and reports each against the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import inspect_kit
from inspect_kit import CareHome, CareHomeTitle, Entity, Provider, Relationship, TitleProprietor, Title
from inspect_kit.ownership import OwnershipGraph
from inspect_kit.registry import Registry

BANDS = [(25, 50), (50, 75), (75, 100), (25, 100)]


class SyntheticGraph(inspect_kit.Collector):
    name = "synthetic"
    description = "Fictional companies, persons and holdings for the benchmark"
    takes_files = False

    def __init__(self, n: int, seed: int = 1):
        self.n = n
        self.seed = seed

    def collect(self, run):
        rng = random.Random(self.seed)
        n = self.n
        persons = n // 4
        companies = n - persons
        # Companies 0..companies-1; persons after. A company is owned by companies
        # with a higher number (so chains go up) or by persons.
        for i in range(companies):
            yield Entity(id=f"C{i}", name=f"Company {i} Limited", entity_type="company", jurisdiction="GB",
                         status="active", listed=(i % 5000 == 0) or None)
        for j in range(persons):
            yield Entity(id=f"P{j}", name=f"Person {j}", entity_type="person")
        made = 0
        i = 0
        while made < n:
            subject = i % companies
            i += 1
            r = rng.random()
            low, high = rng.choice(BANDS)
            if r < 0.03:
                yield Relationship(id=f"R{made}", subject_id=f"C{subject}", interested_party_id=None,
                                   unspecified_reason="psc-exists-but-not-identified")
            elif r < 0.5 and subject + 1 < companies:
                parent = min(companies - 1, subject + 1 + int(rng.expovariate(1 / 50)))
                yield Relationship(id=f"R{made}", subject_id=f"C{subject}", interested_party_id=f"C{parent}",
                                   interest_type="shareholding", share_min=low, share_max=high,
                                   end_date="2020-01-01" if r < 0.05 else None)
            elif r < 0.5005:
                # A company owned by one below it: a cycle.
                parent = max(0, subject - 1 - rng.randrange(5))
                yield Relationship(id=f"R{made}", subject_id=f"C{subject}", interested_party_id=f"C{parent}",
                                   interest_type="votingRights", share_min=low, share_max=high)
            else:
                yield Relationship(id=f"R{made}", subject_id=f"C{subject}",
                                   interested_party_id=f"P{rng.randrange(persons)}",
                                   interest_type="shareholding", share_min=low, share_max=high)
            made += 1
        homes = max(10, n // 100)
        for h in range(homes):
            yield Provider(provider_id=f"1-{h}", name=f"Operator {h}", company_number=None)
            yield CareHome(location_id=f"1-L{h}", name=f"Home {h}", provider_id=f"1-{h}", postcode="ZZ1 1ZZ")
            yield Title(title_number=f"T{h}", postcode="ZZ1 1ZZ")
            yield TitleProprietor(title_number=f"T{h}", position=1, name=f"Company {h} Limited")


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--db", help="reuse or create this database")
    args = parser.parse_args(argv)
    os.environ.setdefault("INSPECT_KIT_LOAD_PLUGINS", "sql,ownership")
    from inspect_kit.plugins import get_queries, get_tables

    db_path = Path(args.db) if args.db else Path(tempfile.mkdtemp()) / "bench.db"
    fresh = not db_path.exists()
    registry = Registry(db_path, extra_records=get_tables())
    if fresh:
        t = time.perf_counter()
        registry.collect(SyntheticGraph(args.n))
        print(f"setup: {args.n:,} entities and relationships collected in {time.perf_counter() - t:.1f} s")
        # Link operators and landlords the way the resolvers would.
        with registry.transaction():
            registry.conn.execute("UPDATE providers SET entity_id = 'C' || substr(provider_id, 3)")
            registry.conn.execute("UPDATE title_proprietors SET entity_id = 'C' || substr(title_number, 2)")
            registry.conn.execute(
                "INSERT INTO care_home_titles (location_id, title_number, method, confidence, resolver) "
                "SELECT 'L' || substr(title_number, 2), title_number, 'bench', 1, 'bench' FROM titles"
            )
            registry.conn.execute("UPDATE care_home_titles SET location_id = '1-' || location_id")
    conn = registry.conn

    t = time.perf_counter()
    rows = 0
    for _ in conn.execute("SELECT id, subject_id, interested_party_id, interest_type, share_min, share_max, "
                          "start_date, end_date, unspecified_reason FROM relationships"):
        rows += 1
    baseline = time.perf_counter() - t
    print(f"baseline: plain pass over {rows:,} relationships: {baseline:.2f} s")

    from inspect_kit_ownership.chains import load_graph

    t = time.perf_counter()
    graph = load_graph(registry, as_of="2024-06-01")
    load = time.perf_counter() - t
    t = time.perf_counter()
    graph.analyse()
    analyse = time.perf_counter() - t
    owners = sum(1 for node in graph.entities if graph.ultimate_owners(node))
    total = load + analyse
    print(f"load graph: {load:.2f} s ({load / baseline:.1f}x baseline)")
    print(f"analyse every entity: {analyse:.2f} s ({analyse / baseline:.1f}x baseline)")
    print(f"ultimate owners, load + analyse: {total:.2f} s ({total / baseline:.1f}x baseline); "
          f"{owners:,} entities have an identified ultimate owner; target < 60 s")

    query = get_queries()["home_ownership_chain"].sql
    homes = [r[0] for r in conn.execute("SELECT location_id FROM care_homes")]
    rng = random.Random(2)
    timings = []
    sample = rng.sample(homes, min(200, len(homes)))
    for location in sample:
        t = time.perf_counter()
        conn.execute(query, {"location_id": location}).fetchall()
        timings.append((time.perf_counter() - t) * 1000)
    p95 = statistics.quantiles(timings, n=20)[-1]
    print(f"home_ownership_chain query in SQLite: median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms "
          f"over {len(timings)} homes")
    registry.close()

    timings = asyncio.run(time_through_datasette(db_path, sample))
    p95 = statistics.quantiles(timings, n=20)[-1]
    print(f"home_ownership_chain through Datasette: median {statistics.median(timings):.1f} ms, "
          f"p95 {p95:.1f} ms over {len(timings)} homes; target p95 < 50 ms")
    return 0


async def time_through_datasette(db_path: Path, locations: list[str]) -> list[float]:
    """Milliseconds per request for the canned query, as a Datasette user would ask it."""
    from inspect_kit_datasette.publish import make_datasette

    datasette = make_datasette(db_path, search=False)  # full-text indexes play no part in this query
    await datasette.invoke_startup()
    url = f"/{db_path.stem}/home_ownership_chain.json"
    await datasette.client.get(url, params={"location_id": locations[0]})  # open the database
    timings = []
    for location in locations:
        t = time.perf_counter()
        response = await datasette.client.get(url, params={"location_id": location, "_shape": "array"})
        timings.append((time.perf_counter() - t) * 1000)
        if response.status_code != 200 or not response.json():
            raise SystemExit(f"home_ownership_chain for {location}: HTTP {response.status_code} {response.text[:200]}")
    return timings


if __name__ == "__main__":
    sys.exit(main())
