import json
import os
import subprocess
import sys
from importlib import metadata

import pytest

from inspect_kit import Collector, Option, PluginError, Query, Scorer
from inspect_kit import plugins as plugin_module
from inspect_kit.plugins import get_plugins, ordered

BUILT_IN = {
    ep.name for ep in metadata.entry_points(group="inspect_kit") if ep.dist and ep.dist.name == "inspect-kit"
}


# The same isolation as in this process: built-in plugins only.
ISOLATED_CLI = "import sys; sys._called_from_test = True; from inspect_kit.cli import cli; cli()"


def run_cli(*args, env=None):
    """Run the real console entry point in a fresh process (plugin loading is per process)."""
    return subprocess.run(
        [sys.executable, "-c", ISOLATED_CLI, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def test_built_in_plugins_are_registered_through_entry_points():
    assert "sql" in BUILT_IN
    loaded = {p["name"]: p for p in get_plugins()}
    for name in BUILT_IN:
        assert loaded[name]["distribution"] == "inspect-kit"
    assert "prepare_connection" in loaded["sql"]["hooks"]


def test_plugins_command_prints_json():
    result = run_cli("plugins")
    assert result.returncode == 0, result.stderr
    listed = {p["name"]: p for p in json.loads(result.stdout)}
    assert BUILT_IN <= set(listed)
    assert listed["sql"]["hooks"] == ["prepare_connection", "register_queries"]


def test_load_plugins_env_restricts_loading():
    result = run_cli("plugins", env={"INSPECT_KIT_LOAD_PLUGINS": "sql"})
    assert [p["name"] for p in json.loads(result.stdout)] == ["sql"]
    result = run_cli("plugins", env={"INSPECT_KIT_LOAD_PLUGINS": ""})
    assert json.loads(result.stdout) == []


def test_trace_env_prints_hook_calls():
    result = run_cli("plugins", env={"INSPECT_KIT_LOAD_PLUGINS": "sql", "INSPECT_KIT_TRACE_PLUGINS": "1"})
    assert result.returncode == 0
    result = run_cli("collect", "--help", env={"INSPECT_KIT_TRACE_PLUGINS": "1"})
    assert "calling register_collectors" in result.stderr


class FakeDist:
    def __init__(self, name):
        self.name = name


class FakeEntryPoint:
    def __init__(self, name, dist):
        self.name = name
        self.dist = FakeDist(dist)


def test_tests_never_load_third_party_plugins(monkeypatch):
    monkeypatch.delenv("INSPECT_KIT_LOAD_PLUGINS", raising=False)
    assert getattr(sys, "_called_from_test", False)
    assert plugin_module._wanted(FakeEntryPoint("cqc", "inspect-kit"))
    assert not plugin_module._wanted(FakeEntryPoint("stranger", "inspect-kit-stranger"))
    monkeypatch.delattr(sys, "_called_from_test")
    assert plugin_module._wanted(FakeEntryPoint("stranger", "inspect-kit-stranger"))
    monkeypatch.setenv("INSPECT_KIT_LOAD_PLUGINS", "inspect-kit-stranger")
    assert plugin_module._wanted(FakeEntryPoint("stranger", "inspect-kit-stranger"))
    assert not plugin_module._wanted(FakeEntryPoint("cqc", "inspect-kit"))
    monkeypatch.setattr(sys, "_called_from_test", True, raising=False)


def test_loading_is_idempotent():
    first = plugin_module.get_plugin_manager()
    count = len(first.get_plugins())
    assert plugin_module.get_plugin_manager() is first
    assert len(first.get_plugins()) == count


def test_plugins_dir_loads_loose_files(plugin_dir):
    directory = plugin_dir(
        "shout",
        """
        from inspect_kit import hookimpl

        @hookimpl
        def prepare_connection(conn):
            conn.create_function("shout", 1, lambda s: s.upper() + "!")
        """,
    )
    names = plugin_module.load_plugins_dir(directory)
    try:
        assert names == ["plugins_dir.shout"]
        assert plugin_module.load_plugins_dir(directory) == []  # idempotent
        from inspect_kit.registry import Registry

        registry = Registry(":memory:")
        assert registry.conn.execute("select shout('hi')").fetchone()[0] == "HI!"
    finally:
        plugin_module.pm.unregister(name="plugins_dir.shout")


class Good(Collector):
    name = "good"
    description = "Collects nothing, correctly."

    def collect(self, run):
        return iter(())


@pytest.mark.parametrize(
    "broken, message",
    [
        (type("NoName", (Good,), {"name": ""})(), "has no name"),
        (type("NoDescription", (Good,), {"description": ""})(), "has no description"),
        (type("NoMethod", (Collector,), {"name": "x", "description": "d"})(), "does not implement collect"),
        (type("BadOptions", (Good,), {"options": ("--x",)})(), "inspect_kit.Option"),
        (object(), "expected an inspect_kit.Collector"),
    ],
)
def test_malformed_collectors_fail_at_registration(broken, message):
    class Plugin:
        @staticmethod
        @plugin_module.hookspecs.hookimpl
        def register_collectors(register):
            register(broken)

    plugin_module.pm.register(Plugin, name="broken")
    try:
        with pytest.raises(PluginError, match=message):
            plugin_module.get_collectors()
    finally:
        plugin_module.pm.unregister(name="broken")


def test_two_collectors_with_one_name_are_refused():
    class Plugin:
        @staticmethod
        @plugin_module.hookspecs.hookimpl
        def register_collectors(register):
            register(Good())
            register(Good())

    plugin_module.pm.register(Plugin, name="twice")
    try:
        with pytest.raises(PluginError, match="two collectors are named 'good'"):
            plugin_module.get_collectors()
    finally:
        plugin_module.pm.unregister(name="twice")


def test_queries_need_titles():
    with pytest.raises(PluginError):
        Query(name="q", title="", description="d", sql="select 1").check()


def test_after_orders_steps_and_refuses_cycles():
    def scorer(name, after=()):
        return type(name, (Scorer,), {"name": name, "description": "d", "after": after,
                                      "score": lambda self, c: iter(())})()

    steps = {s.name: s for s in [scorer("c", ("b",)), scorer("a"), scorer("b", ("a",))]}
    assert [s.name for s in ordered(steps)] == ["a", "b", "c"]
    loop = {s.name: s for s in [scorer("x", ("y",)), scorer("y", ("x",))]}
    with pytest.raises(PluginError, match="cycle"):
        ordered(loop)


def test_option_flags_become_cli_options():
    assert Option("all_social_care", is_flag=True).flag == "--all-social-care"
