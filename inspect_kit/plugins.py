"""The plugin manager: lazy, idempotent loading of every plugin.

Plugins, the built-in ones included, arrive through the ``inspect_kit``
entry-point group. Environment switches:

- ``INSPECT_KIT_LOAD_PLUGINS=a,b`` loads only the named plugins (entry-point or
  distribution names); an empty value loads none.
- ``INSPECT_KIT_TRACE_PLUGINS=1`` prints every hook call to stderr.

Under pytest (``sys._called_from_test``) only plugins shipped in the
``inspect-kit`` distribution load, so a third-party plugin that happens to be
installed cannot change test results.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pluggy

from . import hookspecs
from .api import (
    Collector,
    Component,
    Exporter,
    PluginError,
    Query,
    Resolver,
    Scheduler,
    Scorer,
)
from .records import Record

ENTRY_POINT_GROUP = "inspect_kit"
DISTRIBUTION = "inspect-kit"

pm = pluggy.PluginManager("inspect_kit")
pm.add_hookspecs(hookspecs)
_loaded = False


def _wanted(entry_point) -> bool:
    dist = entry_point.dist.name if entry_point.dist else None
    if getattr(sys, "_called_from_test", False) and dist != DISTRIBUTION:
        return False
    only = os.environ.get("INSPECT_KIT_LOAD_PLUGINS")
    if only is None:
        return True
    names = {n.strip() for n in only.split(",") if n.strip()}
    return entry_point.name in names or dist in names


def _trace(hook_name, hook_impls, kwargs):
    shown = {k: v for k, v in kwargs.items() if k != "register"}
    names = ", ".join(impl.plugin_name for impl in hook_impls)
    print(f"inspect-kit: calling {hook_name}({shown or ''}) on {names}", file=sys.stderr)


def get_plugin_manager() -> pluggy.PluginManager:
    """Load plugins on first use; later calls return the same manager."""
    global _loaded
    if not _loaded:
        _loaded = True
        for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if _wanted(entry_point) and pm.get_plugin(entry_point.name) is None:
                pm.register(entry_point.load(), name=entry_point.name)
        if os.environ.get("INSPECT_KIT_TRACE_PLUGINS"):
            pm.add_hookcall_monitoring(_trace, lambda *args: None)
    return pm


def load_plugins_dir(directory: str | Path) -> list[str]:
    """Register every ``*.py`` file in a directory as a plugin (no packaging needed)."""
    manager = get_plugin_manager()
    names = []
    for path in sorted(Path(directory).glob("*.py")):
        name = f"plugins_dir.{path.stem}"
        if manager.get_plugin(name) is not None:
            continue
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        manager.register(module, name=name)
        names.append(name)
    return names


def _collect(hook_name: str, base: type, label: str) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def register(item):
        if not isinstance(item, base):
            raise PluginError(f"{hook_name}: expected an inspect_kit.{base.__name__}, got {item!r}")
        item.check()
        if item.name in found:
            raise PluginError(f"two {label}s are named {item.name!r}")
        found[item.name] = item

    getattr(get_plugin_manager().hook, hook_name)(register=register)
    return found


def get_collectors() -> dict[str, Collector]:
    return _collect("register_collectors", Collector, "collector")


def get_resolvers() -> dict[str, Resolver]:
    return _collect("register_resolvers", Resolver, "resolver")


def get_scorers() -> dict[str, Scorer]:
    return _collect("register_scorers", Scorer, "scorer")


def get_schedulers() -> dict[str, Scheduler]:
    return _collect("register_schedulers", Scheduler, "scheduler")


def get_exporters() -> dict[str, Exporter]:
    return _collect("register_exporters", Exporter, "exporter")


def get_queries() -> dict[str, Query]:
    return _collect("register_queries", Query, "query")


def get_tables() -> list[type[Record]]:
    """Record classes that plugins declare, beyond the data contract."""
    tables: list[type[Record]] = []

    def register(record_class):
        if not (isinstance(record_class, type) and issubclass(record_class, Record)):
            raise PluginError(f"register_tables: expected a Record subclass, got {record_class!r}")
        if not record_class.__table__:
            raise PluginError(f"{record_class.__name__} has no __table__")
        tables.append(record_class)

    get_plugin_manager().hook.register_tables(register=register)
    return tables


def ordered(components: dict[str, Component]) -> list[Component]:
    """Components in an order that honours each one's ``after`` names."""
    done: list[Component] = []
    seen: set[str] = set()
    visiting: set[str] = set()

    def visit(name: str):
        if name in seen:
            return
        if name in visiting:
            raise PluginError(f"'after' names form a cycle through {name!r}")
        visiting.add(name)
        for before in getattr(components[name], "after", ()):
            if before in components:
                visit(before)
        visiting.discard(name)
        seen.add(name)
        done.append(components[name])

    for name in components:
        visit(name)
    return done


def get_plugins() -> list[dict[str, Any]]:
    """Installed plugins with their version and hooks, as ``inspect-kit plugins`` prints them."""
    manager = get_plugin_manager()
    versions = {
        ep.name: (ep.dist.name, ep.dist.version)
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)
        if ep.dist
    }
    plugins = []
    for plugin in manager.get_plugins():
        name = manager.get_name(plugin)
        info = {
            "name": name,
            "hooks": sorted(h.name for h in manager.get_hookcallers(plugin) or []),
        }
        if name in versions:
            info["distribution"], info["version"] = versions[name]
        plugins.append(info)
    return sorted(plugins, key=lambda p: p["name"])
