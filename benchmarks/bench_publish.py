"""What the site plugin costs per page, against plain Datasette on the same registry.

Run by hand: ``.venv/bin/python benchmarks/bench_publish.py [HOMES]``. Builds a synthetic
registry (fictional homes, providers, entities), then times, in the same run:

- a care_homes table page (100 rows, with the plugin's links and labels) against the same
  page in Datasette without inspect-kit's plugin;
- a public ``?sql=`` query (checked by the authorizer guard) against the same query from a
  regulator (not checked);
- an ownership graph page.

Prints each as a ratio to its baseline.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

import sqlite_utils

from inspect_kit_datasette.publish import make_datasette
from inspect_kit.registry import Registry


def build(path: Path, homes: int) -> None:
    Registry.open(path).close()
    db = sqlite_utils.Database(path)
    providers = max(1, homes // 20)
    db["entities"].insert_all(
        {"id": f"GB-COH-{i:08d}", "name": f"Operator {i} Ltd", "entity_type": "company", "jurisdiction": "GB"}
        for i in range(providers)
    )
    db["providers"].insert_all(
        {"provider_id": f"1-{i}", "name": f"Operator {i} Ltd", "entity_id": f"GB-COH-{i:08d}"}
        for i in range(providers)
    )
    db["care_homes"].insert_all(
        {"location_id": f"1-9{i:08d}", "name": f"Home {i}", "provider_id": f"1-{i % providers}",
         "local_authority": f"Area {i % 150}", "beds": 20 + i % 60, "rating": "Good",
         "latitude": 52 + (i % 100) / 100, "longitude": -1 - (i % 100) / 100, "status": "Registered"}
        for i in range(homes)
    )
    db["relationships"].insert_all(
        {"id": f"r{i}", "subject_id": f"GB-COH-{i:08d}", "interested_party_id": f"GB-COH-{(i + 1) % providers:08d}",
         "interest_type": "shareholding"}
        for i in range(providers)
    )
    db.close()


async def timed(client, path, repeat, **kwargs) -> float:
    await client.get(path, **kwargs)  # warm up
    start = time.perf_counter()
    for _ in range(repeat):
        response = await client.get(path, **kwargs)
        assert response.status_code == 200, (path, response.status_code)
    return (time.perf_counter() - start) / repeat


async def main(homes: int) -> None:
    import os

    from datasette.app import Datasette

    os.environ["INSPECT_KIT_REGULATOR_TOKEN"] = "bench"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "registry.db"
        build(path, homes)
        site = make_datasette(path, secret="bench")
        page = "/registry/care_homes?_size=100"
        with_plugin = await timed(site.client, page, 20)
        # Baseline: Datasette without inspect-kit's site plugin, same file and settings.
        from datasette.plugins import pm

        plugin = pm.get_plugin("inspect_kit_datasette")
        pm.unregister(name="inspect_kit_datasette")
        plain = Datasette([str(path)], settings={"sql_time_limit_ms": 3000})
        without_plugin = await timed(plain.client, page, 20)
        pm.register(plugin, name="inspect_kit_datasette")

        sql = "/registry.json?sql=select+local_authority,+sum(beds)+from+care_homes+group+by+1"
        public = await timed(site.client, sql, 50)
        regulator = await timed(site.client, sql, 50, headers={"Authorization": "Bearer bench"})
        graph = await timed(site.client, "/-/ownership/entity/GB-COH-00000001", 20)

    print(f"registry: {homes:,} homes")
    print(f"care_homes page: {with_plugin * 1000:.1f} ms with plugin, {without_plugin * 1000:.1f} ms plain "
          f"(ratio {with_plugin / without_plugin:.2f})")
    print(f"public SQL with guard: {public * 1000:.1f} ms, regulator without: {regulator * 1000:.1f} ms "
          f"(ratio {public / regulator:.2f})")
    print(f"entity ownership graph page: {graph * 1000:.1f} ms (ratio to plain table page "
          f"{graph / without_plugin:.2f})")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000))
