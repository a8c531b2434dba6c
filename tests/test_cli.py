import asyncio
import sqlite3

import pytest
from click.testing import CliRunner

from inspect_kit import plugins as plugin_module
from inspect_kit.cli import cli
from inspect_kit_datasette.publish import make_datasette

HELLO_PLUGIN = """
from inspect_kit import CareHome, Collector, hookimpl

class Hello(Collector):
    name = "hello"
    description = "Two fictional care homes, to show a collector end to end."
    takes_files = False

    def collect(self, run):
        yield CareHome(location_id="1-100", name="Hello House", beds=12)
        yield CareHome(location_id="1-101", name="World Lodge", beds=30)

@hookimpl
def register_collectors(register):
    register(Hello())
"""


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def hello_dir(plugin_dir):
    directory = plugin_dir("hello", HELLO_PLUGIN)
    yield directory
    if plugin_module.pm.get_plugin("plugins_dir.hello"):
        plugin_module.pm.unregister(name="plugins_dir.hello")


def test_plugins_dir_collector_end_to_end(runner, hello_dir, tmp_path):
    db = tmp_path / "registry.db"
    result = runner.invoke(cli, ["--plugins-dir", str(hello_dir), "collect", "hello", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "hello: 2 records read, 2 rows changed" in result.output
    conn = sqlite3.connect(db)
    rows = conn.execute("select location_id, name, source, run_id from care_homes order by 1").fetchall()
    assert rows == [("1-100", "Hello House", "hello", 1), ("1-101", "World Lodge", "hello", 1)]
    assert conn.execute("select collector, records from collection_runs").fetchall() == [("hello", 2)]

    # ... and visible in Datasette as inspect-kit serve publishes it.
    async def fetch():
        datasette = make_datasette(db)
        response = await datasette.client.get("/registry/care_homes.json?_shape=array&name=Hello+House")
        metadata = await datasette.client.get("/-/metadata.json")
        return response, metadata.json()

    response, metadata = asyncio.run(fetch())
    assert response.status_code == 200
    assert response.json()[0]["location_id"] == "1-100"
    assert metadata["license"] == "Open Government Licence v3.0"
    assert "care_homes" in metadata["databases"]["registry"]["tables"]


def test_unknown_source_is_one_clear_line(runner, tmp_path):
    result = runner.invoke(cli, ["collect", "nosuch", "--db", str(tmp_path / "r.db")])
    assert result.exit_code == 2
    assert "unknown source 'nosuch'; choose one of:" in result.output
    assert "Traceback" not in result.output


def test_unknown_export_format_is_one_clear_line(runner):
    result = runner.invoke(cli, ["export", "nosuch", "-o", "x"])
    assert result.exit_code == 2 and "unknown format 'nosuch'" in result.output


def test_bad_option_is_refused(runner, hello_dir, tmp_path):
    result = runner.invoke(cli, ["--plugins-dir", str(hello_dir), "collect", "hello", "--frobnicate"])
    assert result.exit_code == 2 and "No such option '--frobnicate'" in result.output


def test_source_error_prints_one_line_and_changes_nothing(runner, plugin_dir, tmp_path):
    directory = plugin_dir(
        "truncated",
        """
        from inspect_kit import CareHome, Collector, SourceError, hookimpl

        class Truncated(Collector):
            name = "truncated"
            description = "Reads half a file, then finds it was cut short."

            def collect(self, run):
                yield CareHome(location_id="1-1", name="Half")
                raise SourceError(f"{run.files[0].name}: declares 10 rows but has 1: a truncated download?")

        @hookimpl
        def register_collectors(register):
            register(Truncated())
        """,
    )
    data = tmp_path / "part.csv"
    data.write_text("x\n")
    db = tmp_path / "registry.db"
    try:
        result = runner.invoke(cli, ["--plugins-dir", str(directory), "collect", "truncated", str(data),
                                     "--db", str(db)])
        missing = runner.invoke(cli, ["--plugins-dir", str(directory), "collect", "truncated",
                                      str(tmp_path / "absent.csv"), "--db", str(db)])
    finally:
        plugin_module.pm.unregister(name="plugins_dir.truncated")
    assert result.exit_code == 1
    assert result.output.strip() == "Error: part.csv: declares 10 rows but has 1: a truncated download?"
    assert sqlite3.connect(db).execute("select count(*) from care_homes").fetchone()[0] == 0
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_build_without_a_registry_says_what_to_do(runner, tmp_path):
    result = runner.invoke(cli, ["build", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert "no registry here yet" in result.output and "Traceback" not in result.output


def test_build_runs_and_reports_each_step(runner, hello_dir, tmp_path):
    db = str(tmp_path / "registry.db")
    runner.invoke(cli, ["--plugins-dir", str(hello_dir), "collect", "hello", "--db", db])
    result = runner.invoke(cli, ["build", "--db", db])
    assert result.exit_code == 0, result.output


def test_build_only_runs_the_named_steps(runner, hello_dir, tmp_path):
    db = str(tmp_path / "registry.db")
    runner.invoke(cli, ["--plugins-dir", str(hello_dir), "collect", "hello", "--db", db])
    result = runner.invoke(cli, ["build", "--db", db, "--only", "scorers"])
    assert result.exit_code == 0, result.output
    assert "scorer " in result.output and "resolver " not in result.output
    refused = runner.invoke(cli, ["build", "--db", db, "--only", "nonsense"])
    assert refused.exit_code == 2 and "no build step 'nonsense'" in refused.output
