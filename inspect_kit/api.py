"""The small typed objects that plugins register.

Each kind has a name, a description, options and one method. Subclass the base,
fill in the method, and pass an instance to the hook's ``register`` callback;
``check()`` runs at registration so a mistake fails when the plugin loads, not
an hour into a run.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, Iterator

if TYPE_CHECKING:
    from .registry import Registry, Run


class PluginError(Exception):
    """A plugin registered something malformed."""


class SourceError(Exception):
    """The input cannot be used at all (a truncated file, a broken zip, a refused key).

    Raise it from a collector with a message naming the file: the CLI prints that
    one line, the run is rolled back and the registry stays as it was.
    """


@dataclass(frozen=True)
class Option:
    """A command-line option of a collector or exporter, e.g. ``--all-social-care``."""

    name: str  # python name: all_social_care -> --all-social-care
    help: str = ""
    default: Any = None
    type: Any = str  # a click type or Python type
    is_flag: bool = False
    envvar: str | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


class Component:
    """Shared behaviour of collectors, resolvers, scorers, schedulers, exporters."""

    kind: ClassVar[str] = "component"
    method: ClassVar[str] = ""
    name: str = ""
    description: str = ""
    options: tuple[Option, ...] = ()
    # Configurable thresholds and weights; overridden by the build config file.
    defaults: dict[str, Any] = {}
    # Build steps: whether this step reads what other steps stored (or updated) in the
    # build. One that reads only collected registers may make its results in a child
    # process, reading the registry as committed, while the core writes them.
    reads_results: bool = True

    def check(self) -> None:
        label = f"{self.kind} {type(self).__name__}"
        if not isinstance(self.name, str) or not self.name:
            raise PluginError(f"{label} has no name")
        if not self.description:
            raise PluginError(f"{label} {self.name!r} has no description")
        impl = getattr(type(self), self.method, None)
        base = getattr(Component._base_for(type(self)), self.method, None)
        if impl is None or impl is base:
            raise PluginError(f"{label} {self.name!r} does not implement {self.method}()")
        for option in self.options:
            if not isinstance(option, Option):
                raise PluginError(f"{label} {self.name!r}: options must be inspect_kit.Option")

    @staticmethod
    def _base_for(cls):
        for base in cls.__mro__:
            if base in _BASES:
                return base
        return Component

    def __repr__(self):
        return f"<{self.kind} {self.name}>"


class Collector(Component):
    """Reads one source and yields records: never SQL.

    ``collect(run)`` yields ``Record`` instances, ``Rejected`` for rows it cannot
    parse, and ``Ended`` for rows a change file removes. ``run.files``,
    ``run.options``, ``run.base_url`` and ``run.state`` tell it what to read.
    """

    kind = "collector"
    method = "collect"
    # Whether the command takes FILES (bulk files) or none (an API).
    takes_files: bool = True
    # Whether collect() reads the registry (run.registry) while it runs. A bulk-file
    # collector that does not (run.get_state is fine) may run in a child process
    # while the core writes what it yields, on a second core.
    reads_registry: bool = True
    # For monthly files: the publisher's download page and a regex for the file
    # links on it. With both set, ``collect NAME --latest`` fetches the newest file.
    latest_page: str | None = None
    latest_pattern: str | None = None

    def collect(self, run: Run) -> Iterator[Any]:
        raise NotImplementedError

    def latest_files(self, download_dir: Path, *, page: str | None = None, show_progress: bool = False) -> list[Path]:
        """Download the newest published file(s) into ``download_dir`` and return their paths.

        The default reads ``latest_page`` (or ``page``) and takes the newest link
        matching ``latest_pattern``; override it for sources with an API.
        """
        from .downloads import fetch_latest

        if not (page or self.latest_page) or not self.latest_pattern:
            raise SourceError(f"{self.name} has no download page: give the files instead")
        return [fetch_latest(page or self.latest_page, self.latest_pattern, download_dir, show_progress=show_progress)]


@dataclass
class BuildContext:
    """What resolvers, scorers and schedulers get: the registry and their config."""

    registry: Registry
    config: dict[str, Any] = field(default_factory=dict)
    today: datetime.date = field(default_factory=datetime.date.today)
    progress: Callable[..., Iterable] = lambda it, **kw: it

    @property
    def db(self):
        """A ``sqlite_utils.Database`` on the registry, for reading."""
        return self.registry.db

    def settings(self, component: Component) -> dict[str, Any]:
        """The component's defaults, overridden by its section of the config file."""
        section = self.config.get(component.kind + "s", {}).get(component.name, {})
        return {**component.defaults, **section}


class Resolver(Component):
    """Turns collected records into links: yields derived records and ``Update``s.

    ``after`` names resolvers that must run first.
    """

    kind = "resolver"
    method = "resolve"
    after: tuple[str, ...] = ()

    def resolve(self, context: BuildContext) -> Iterator[Any]:
        raise NotImplementedError


class Scorer(Component):
    """Reads the registry and yields ``RiskFlag`` records (and other derived records)."""

    kind = "scorer"
    method = "score"
    version: str = "1"
    after: tuple[str, ...] = ()

    def score(self, context: BuildContext) -> Iterator[Any]:
        raise NotImplementedError


class Scheduler(Component):
    """Reads registry and flags and yields ``InspectionVisit`` records."""

    kind = "scheduler"
    method = "schedule"
    version: str = "1"
    after: tuple[str, ...] = ()

    def schedule(self, context: BuildContext) -> Iterator[Any]:
        raise NotImplementedError


class Exporter(Component):
    """Writes the registry out in another format: ``export(registry, out, options)``.

    ``out`` is a binary file object; ``extension`` is the usual file suffix.
    """

    kind = "exporter"
    method = "export"
    extension: str = ""

    def export(self, registry: Registry, out, options: dict[str, Any]) -> None:
        raise NotImplementedError

    def export_entities(self, conn, out, entity_ids: set[str], options: dict[str, Any]) -> None:
        """Write only these entities and what relates them, reading ``conn``: a plain
        read-only connection on the registry file (the site's ``.FORMAT`` renderer for a
        page of rows uses it). Optional: an exporter that cannot select leaves it."""
        raise NotImplementedError


@dataclass
class Query:
    """Named, parameterised SQL, published as a Datasette canned query.

    ``private`` queries are shown only to signed-in regulators.
    """

    name: str
    title: str
    description: str
    sql: str
    private: bool = False

    def check(self) -> None:
        if not self.name or not self.title or not self.description or not self.sql.strip():
            raise PluginError(f"query {self.name!r} needs a name, title, description and sql")


_BASES = (Collector, Resolver, Scorer, Scheduler, Exporter)
