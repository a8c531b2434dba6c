"""Plain ``datasette registry.db private.db`` leaks nothing private to anyone signed out.

Twice: through Datasette's own client (the plugin registered as its entry point
would register it), and as a real ``datasette`` process on a free loopback port,
which loads inspect-kit's Datasette side through the ``datasette`` entry point.
Every route a hostile user would try is asked for the private database's
markers: a visit's reason, a plan's seed, who decided a match, a private
query's SQL.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from datasette.app import Datasette
from datasette.utils import tilde_encode

import inspect_kit
from inspect_kit import plugins as ik_plugins
from inspect_kit_datasette.site import ensure_registered
from helpers import serving
from publish_registry import DECIDER, HOME, SECRET, SEED, build_registry
from test_publish import TOKEN, run_async

PRIVATE_QUERY_SQL = "select location_id, reason from inspection_schedule where reason like '%plain-marker%'"
MARKERS = (SECRET, SEED, DECIDER, "plain-marker", "checked by phone")


class _PrivateQuery:
    @staticmethod
    @inspect_kit.hookimpl
    def register_queries(register):
        register(inspect_kit.Query(name="plain_visits", title="Visits", description="Planned visits.",
                                   sql=PRIVATE_QUERY_SQL, private=True))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plain")
    registry = Path(build_registry(folder / "registry.db"))
    private = folder / "private.db"
    assert private.exists()
    return registry, private


def hostile_paths(registry: Path, private: Path) -> list[str]:
    row = ",".join(tilde_encode(v) for v in ("fixture-resolver", HOME, "2027-01-15"))
    attach = f"attach database '{private}' as p"
    paths = [
        "/", "/.json", "/private", "/private.json", "/private.db", "/registry.db",
        "/private/inspection_schedule", "/private/inspection_schedule.json", "/private/inspection_schedule.csv",
        "/private/inspection_schedule.json?_shape=array&_facet=reason&_facet=scheduler",
        "/private/inspection_schedule.bods", "/private/inspection_schedule.atom",
        f"/private/inspection_schedule/{row}", f"/private/inspection_schedule/{row}.json",
        "/private/schedule_runs.json", "/private/match_decisions.json", "/private/match_decisions.csv",
        "/private/plain_visits", "/private/plain_visits.json", "/private/plain_visits.csv",
        "/registry/plain_visits.json",
        "/-/metadata.json", "/-/databases.json", "/-/plugins.json", "/-/settings.json", "/-/actor.json",
        "/-/threads.json", "/-/versions.json", "/-/config.json",
        f"/-/ownership/home/{HOME}", f"/-/ownership/home/{HOME}.json",
        "/registry/care_homes.bods", "/registry/care_homes.json?_facet=rating",
        "/registry/care_homes.json?_where=location_id+in+(select+location_id+from+inspection_schedule)",
    ]
    for sql in (
        "select * from inspection_schedule", "select * from match_decisions", "select seed from schedule_runs",
        attach, f"{attach}; select * from p.inspection_schedule",
        "select * from pragma_table_info('inspection_schedule')", "select sql from sqlite_stmt",
        "select * from dbstat", "select * from sqlite_master",
    ):
        for database in ("private", "registry", "_memory"):
            for suffix in (".json", "", ".csv"):
                paths.append(f"/{database}{suffix}?sql={urllib.parse.quote(sql)}")
    return paths


def assert_nothing_private(path, status, body):
    text = body if isinstance(body, str) else body.decode("utf-8", "replace")
    for marker in MARKERS:
        assert marker not in text, (path, status, marker)
    if path.startswith("/private") or path.endswith(".db") or path.startswith("/-/databases"):
        assert status in (403, 404), (path, status)


@pytest.fixture
def private_query():
    manager = ik_plugins.get_plugin_manager()
    manager.register(_PrivateQuery, name="test-plain-private-query")
    yield
    manager.unregister(name="test-plain-private-query")


@run_async
async def test_through_datasettes_client(files, private_query, monkeypatch):
    monkeypatch.setenv("INSPECT_KIT_REGULATOR_TOKEN", TOKEN)
    registry, private = files
    ensure_registered()  # what the datasette entry point does outside the test run
    ds = Datasette([str(registry), str(private)], settings={"allow_download": True})
    for path in hostile_paths(registry, private):
        response = await ds.client.get(path)
        assert_nothing_private(path, response.status_code, response.text)
    # The same site opens the private database to a regulator.
    regulator = {"Authorization": f"Bearer {TOKEN}"}
    for path in ("/private/inspection_schedule.json", "/private/schedule_runs.json",
                 "/private/match_decisions.json", "/private/plain_visits.json?"):
        response = await ds.client.get(path, headers=regulator)
        assert response.status_code == 200, path
    assert SECRET in (await ds.client.get("/private/inspection_schedule.json", headers=regulator)).text
    joined = await ds.client.get(
        "/private.json?sql=" + urllib.parse.quote(
            "select h.name, s.reason from inspection_schedule s join care_homes h using (location_id)"),
        headers=regulator)
    assert joined.status_code == 200 and "Meadow View" in joined.text  # the registry is attached read-only


def _fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_a_plain_datasette_process(files, tmp_path):
    registry, private = files
    command = [Path(sys.executable).parent / "datasette", registry, private, "--port", "{port}",
               "--setting", "allow_download", "1"]
    env = {k: v for k, v in os.environ.items() if k != "DATASETTE_LOAD_PLUGINS"}
    env["INSPECT_KIT_REGULATOR_TOKEN"] = TOKEN
    with serving(command, env, tmp_path / "datasette.log") as url:
        plugins = _fetch(url + "/-/plugins.json")[1].decode()
        assert '"name": "inspect-kit"' in plugins  # loaded through the datasette entry point
        for path in hostile_paths(registry, private):
            status, body = _fetch(url + path)
            assert_nothing_private(path, status, body)
        status, body = _fetch(url + "/private/inspection_schedule.json")
        assert status == 403
        request = urllib.request.Request(url + "/private/inspection_schedule.json",
                                         headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert SECRET in response.read().decode()
