"""The ``inspect-kit`` command line.

``collect`` and ``export`` are groups whose subcommands come from the plugins:
each collector is ``inspect-kit collect NAME``, each exporter
``inspect-kit export NAME``, with the component's own options. User errors
print one line and exit non-zero, with no traceback.
"""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path

import click

from . import __version__
from .api import BuildContext, PluginError, SourceError
from .plugins import (
    get_collectors,
    get_exporters,
    get_plugin_manager,
    get_plugins,
    get_resolvers,
    get_scorers,
    get_schedulers,
    load_plugins_dir,
    ordered,
)
from .registry import Registry, RegistryError

DEFAULT_DB = "registry.db"
USER_ERRORS = (SourceError, RegistryError, PluginError, OSError)

db_option = click.option(
    "--db",
    "db_path",
    default=DEFAULT_DB,
    show_default=True,
    envvar="INSPECT_KIT_DB",
    type=click.Path(dir_okay=False),
    help="The registry database (SQLite).",
)


def open_registry(path: str) -> Registry:
    try:
        return Registry.open(path)
    except RegistryError as error:
        raise click.ClickException(str(error)) from None


class FriendlyGroup(click.Group):
    """A group whose ``register_commands`` plugins are added on first use."""

    _plugin_commands_added = False

    def _add_plugin_commands(self):
        if not self._plugin_commands_added:
            self._plugin_commands_added = True
            get_plugin_manager().hook.register_commands(cli=self)

    def list_commands(self, ctx):
        self._add_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx, name):
        self._add_plugin_commands()
        return super().get_command(ctx, name)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except USER_ERRORS as error:
            raise click.ClickException(_one_line(error)) from None
        except KeyboardInterrupt:
            raise click.ClickException("interrupted: the registry is unchanged") from None


def _one_line(error: Exception) -> str:
    if isinstance(error, FileNotFoundError) and error.filename:
        return f"{error.filename}: no such file"
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _plugins_dir_callback(ctx, param, value):
    for directory in value or ():
        load_plugins_dir(directory)
    return value


@click.group(cls=FriendlyGroup)
@click.version_option(__version__, prog_name="inspect-kit")
@click.option(
    "--plugins-dir",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    envvar="INSPECT_KIT_PLUGINS_DIR",
    callback=_plugins_dir_callback,
    expose_value=False,
    is_eager=True,
    help="Load every *.py file in this directory as a plugin.",
)
def cli():
    """inspect-kit: who runs, owns and controls England's care homes.

    Collect the public registers into one SQLite registry, build the links and
    risk flags, and publish them with Datasette.
    """


# ---------------------------------------------------------------------------
# collect
# ---------------------------------------------------------------------------


class ComponentGroup(click.Group):
    """Subcommands made from registered components (collectors or exporters)."""

    def __init__(self, *args, components, make_command, noun, **kwargs):
        super().__init__(*args, **kwargs)
        self.components = components
        self.make_command = make_command
        self.noun = noun

    def list_commands(self, ctx):
        return sorted(self.components())

    def get_command(self, ctx, name):
        component = self.components().get(name)
        return self.make_command(component) if component else None

    def resolve_command(self, ctx, args):
        name = args[0] if args else None
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            known = ", ".join(self.list_commands(ctx)) or "none installed"
            raise click.UsageError(f"unknown {self.noun} {name!r}; choose one of: {known}")
        return super().resolve_command(ctx, args)


def _component_options(component):
    params = []
    for option in component.options:
        params.append(
            click.Option(
                [option.flag, option.name],
                default=bool(option.default) if option.is_flag else option.default,
                type=None if option.is_flag else option.type,
                is_flag=option.is_flag,
                envvar=option.envvar,
                show_envvar=bool(option.envvar),
                help=option.help,
            )
        )
    return params


def _collect_command(collector):
    def run(db_path, base_url, cache_dir, progress, files=(), latest=False, latest_from=None,
            download_dir=None, **options):
        if latest:
            files = collector.latest_files(
                Path(download_dir or Path(db_path).resolve().parent / "downloads"),
                page=latest_from,
                show_progress=progress,
            )
        elif collector.takes_files and not files:
            raise click.UsageError(f"give the {collector.name} file(s) to read, or --latest")
        registry = open_registry(db_path)
        try:
            report = registry.collect(
                collector,
                files=files,
                options=options,
                base_url=base_url,
                cache_dir=cache_dir or Path(db_path).resolve().parent / ".inspect-kit-cache" / collector.name,
                show_progress=progress,
            )
        finally:
            registry.close()
        click.echo(
            f"{collector.name}: {report.records:,} records read, {report.changed:,} rows changed, "
            f"{report.ended:,} ended, {report.rejected:,} rejected ({report.seconds:.1f}s, run {report.run_id})",
            err=True,
        )
        if report.rejected:
            click.echo(
                f"  see the rejected rows with: SELECT * FROM rejected_records WHERE run_id = {report.run_id}",
                err=True,
            )

    params = []
    if collector.takes_files:
        params.append(click.Argument(["files"], nargs=-1, type=click.Path(exists=True, dir_okay=False)))
    if collector.takes_files and collector.latest_pattern:
        params += [
            click.Option(["--latest"], is_flag=True, help="Download the newest published file and read it."),
            click.Option(["--latest-from"], default=None, help="Download page to read instead of the publisher's."),
            click.Option(["--download-dir"], default=None, type=click.Path(file_okay=False),
                         help="Where downloads go (default: downloads/ beside the db); kept for resume."),
        ]
    params += [
        click.Option(["--db", "db_path"], default=DEFAULT_DB, show_default=True, envvar="INSPECT_KIT_DB",
                     type=click.Path(dir_okay=False), help="The registry database (SQLite)."),
        click.Option(["--base-url"], default=None, help="API base URL (a mirror or a test server)."),
        click.Option(["--cache-dir"], default=None, type=click.Path(file_okay=False),
                     help="Where HTTP responses are cached (default: .inspect-kit-cache beside the db)."),
        click.Option(["--progress/--no-progress"], default=sys.stderr.isatty(), help="Show progress bars."),
        *_component_options(collector),
    ]
    return click.Command(collector.name, callback=run, params=params, help=collector.description)


cli.add_command(
    ComponentGroup(
        "collect",
        components=get_collectors,
        make_command=_collect_command,
        noun="source",
        help="Collect one source into the registry: inspect-kit collect SOURCE [FILES]...",
    )
)


# ---------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------


def load_config(path: str | None) -> dict:
    """Read the build config (TOML or JSON): thresholds and weights per component."""
    if not path:
        return {}
    text = Path(path).read_text()
    if path.endswith(".json"):
        return json.loads(text)
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise click.ClickException(f"{path}: {error}") from None


@cli.command()
@db_option
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="TOML or JSON file with thresholds and weights, e.g. [scorers.title_churn].")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Build as if today were this date (for back-tests and reproducible plans).")
@click.option("--only", multiple=True, metavar="NAME",
              help="Run only these steps: a kind (resolvers, scorers, schedulers) or a step's name. Repeatable.")
def build(db_path, config_path, today, only):
    """Run every resolver, then every scorer, then every scheduler."""
    if not Path(db_path).exists():
        raise click.ClickException(f"{db_path}: no registry here yet; run 'inspect-kit collect' first")
    registry = open_registry(db_path)
    steps = build_steps()
    if only:
        known = {s.name for s in steps} | {"resolvers", "scorers", "schedulers"}
        unknown = sorted(set(only) - known)
        if unknown:
            raise click.UsageError(f"no build step {', '.join(map(repr, unknown))}; see inspect-kit plugins")
        steps = [s for s in steps if s.name in only or s.kind + "s" in only]
    try:
        run_build(
            registry,
            config=load_config(config_path),
            today=today.date() if today else datetime.date.today(),
            steps=steps,
        )
    finally:
        registry.close()


def build_steps() -> list:
    """Every resolver, then every scorer, then every scheduler, each kind in dependency order."""
    return [*ordered(get_resolvers()), *ordered(get_scorers()), *ordered(get_schedulers())]


BUILD_CACHE_MIB = 256


def run_build(registry: Registry, *, config: dict | None = None, today: datetime.date | None = None,
              steps: list | None = None, on_step=None) -> dict[str, int]:
    """Run the build steps in one transaction and return the results each stored.

    ``inspect-kit build`` and ``inspect-kit demo`` share it. ``on_step(step, stored)``
    is called after each step (``stored`` is None before it starts), e.g. to time it.
    """
    context = BuildContext(registry, config=config or {}, today=today or datetime.date.today())
    results = {}
    # Linking reads the national registers in random order: a cache that holds their
    # key indexes saves most of the reads (pages are taken only as needed).
    with registry.transaction(), registry.large_cache(BUILD_CACHE_MIB):
        for step in build_steps() if steps is None else steps:
            click.echo(f"{step.kind} {step.name}: running", err=True)
            if on_step:
                on_step(step, None)
            items = getattr(step, step.method)(context)
            stored = registry.store_results(step, items)
            results[f"{step.kind} {step.name}"] = stored
            if on_step:
                on_step(step, stored)
            click.echo(f"{step.kind} {step.name}: {stored:,} results", err=True)
    return results


# ---------------------------------------------------------------------------
# plugins, export (``serve`` comes from the Datasette plugin)
# ---------------------------------------------------------------------------


@cli.group()
def report():
    """Reports for people: plugins add theirs here (e.g. landlords, backtest)."""


@cli.command()
def plugins():
    """List the installed plugins and their hooks, as JSON."""
    click.echo(json.dumps(get_plugins(), indent=2))


def _export_command(exporter):
    def run(db_path, output, **options):
        registry = open_registry(db_path)
        try:
            if output == "-":
                exporter.export(registry, sys.stdout.buffer, options)
            else:
                with open(output, "wb") as out:
                    exporter.export(registry, out, options)
        finally:
            registry.close()
        if output != "-":
            click.echo(f"{exporter.name}: wrote {output}", err=True)

    params = [
        click.Option(["--db", "db_path"], default=DEFAULT_DB, show_default=True, envvar="INSPECT_KIT_DB",
                     type=click.Path(exists=True, dir_okay=False), help="The registry database (SQLite)."),
        click.Option(["-o", "--output"], required=True, help="File to write, or - for stdout."),
        *_component_options(exporter),
    ]
    return click.Command(exporter.name, callback=run, params=params, help=exporter.description)


cli.add_command(
    ComponentGroup(
        "export",
        components=get_exporters,
        make_command=_export_command,
        noun="format",
        help="Export the registry: inspect-kit export FORMAT -o OUT",
    )
)
