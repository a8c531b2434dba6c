"""The plugin documentation: every hook documented, every example run."""

import inspect
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from inspect_kit import hookspecs

DOCS = Path(__file__).parent.parent / "docs" / "plugins.md"
ISOLATED_CLI = "import sys; sys._called_from_test = True; from inspect_kit.cli import cli; cli()"


def hook_names():
    return sorted(
        name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, "inspect_kit_spec")
    )


def documented_sections():
    """{hook name: the python example under its heading}"""
    sections = {}
    for match in re.finditer(r"^## (\w+)\((.*?)\)\n(.*?)(?=^## |\Z)", DOCS.read_text(), re.M | re.S):
        name, _, body = match.groups()
        blocks = re.findall(r"```python\n(.*?)```", body, re.S)
        sections[name] = blocks[0] if blocks else None
    return sections


@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_is_documented_with_signature_and_example(hook):
    sections = documented_sections()
    assert hook in sections, f"docs/plugins.md has no '## {hook}(...)' section"
    signature = str(inspect.signature(getattr(hookspecs, hook)))
    assert f"## {hook}{signature}" in DOCS.read_text()
    assert sections[hook], f"the {hook} section has no python example"
    assert f"def {hook}(" in sections[hook]
    assert getattr(hookspecs, hook).__doc__


def run(*args, cwd):
    result = subprocess.run([sys.executable, "-c", ISOLATED_CLI, *args], capture_output=True, text=True, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result


def test_the_examples_work_together(tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    for hook, source in documented_sections().items():
        (plugins / f"example_{hook}.py").write_text(source)
    (tmp_path / "homes.csv").write_text("1-1,Big House\n1-2,Small House\nbroken row\n")
    base = ["--plugins-dir", str(plugins)]

    collected = run(*base, "collect", "homes-csv", "homes.csv", "--beds", "120", cwd=tmp_path)
    assert "2 records read" in collected.stderr and "1 rejected" in collected.stderr
    helped = run(*base, "collect", "homes-csv", "--help", cwd=tmp_path).stdout
    assert "Beds to record for every home" in helped and "(beds)" not in helped
    conn = sqlite3.connect(tmp_path / "registry.db")
    conn.execute("insert into providers (provider_id, company_number) values ('1-P', '123')")
    conn.commit()

    run(*base, "build", cwd=tmp_path)
    flags = conn.execute("select subject_id, flag, evidence from risk_flags where scorer = 'big_homes' order by 1").fetchall()
    assert [(f[0], f[1]) for f in flags] == [("1-1", "big_home"), ("1-2", "big_home")]
    assert json.loads(flags[0][2])["threshold"] == 100
    assert conn.execute("select entity_id from providers").fetchone()[0] == "GB-COH-00000123"
    private = sqlite3.connect(tmp_path / "private.db")  # the schedule is never in registry.db
    assert private.execute("select count(*) from inspection_schedule where scheduler = 'never_inspected'").fetchone()[0] == 2
    assert conn.execute("select count(*) from example_charges").fetchone()[0] == 0

    run(*base, "export", "homes-json", "-o", "homes.jsonl", cwd=tmp_path)
    lines = (tmp_path / "homes.jsonl").read_text().splitlines()
    assert json.loads(lines[0]) == {"location_id": "1-1", "name": "Big House"}

    assert run(*base, "greet", "Ada", cwd=tmp_path).stdout == "Hello, Ada\n"
    listed = json.loads(run(*base, "plugins", cwd=tmp_path).stdout)
    assert {"name": "plugins_dir.example_register_queries", "hooks": ["register_queries"]} in listed

    from inspect_kit import plugins as plugin_module
    from inspect_kit.registry import Registry

    names = plugin_module.load_plugins_dir(plugins)
    try:
        assert "homes_in_postcode_area" in plugin_module.get_queries()
        registry = Registry(":memory:")
        assert registry.conn.execute("select postcode_area('M33 7XY')").fetchone()[0] == "M33"
    finally:
        for name in names:
            plugin_module.pm.unregister(name=name)


def test_registry_doc_is_generated_from_the_record_classes():
    sys.path.insert(0, str(DOCS.parent))
    from generate_registry import registry_doc

    text = (DOCS.parent / "registry.md").read_text()
    assert text == registry_doc(), "docs/registry.md is stale: run python docs/generate_registry.py"
