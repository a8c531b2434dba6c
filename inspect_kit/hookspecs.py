"""The plugin API: every hook inspect-kit calls.

Each hook that adds something takes a ``register`` callback, as llm's
``register_models(register)`` does, so a plugin can register several things, or
none, without building lists. ``docs/plugins.md`` documents each hook with an
example, and a test fails when a hook here is missing from it.
"""

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("inspect_kit")
hookimpl = HookimplMarker("inspect_kit")


@hookspec
def register_collectors(register):
    """Register collectors: ``register(collector)`` with an ``inspect_kit.Collector``.

    A collector reads one source (files or an HTTP API) and yields records. It
    never writes SQL: the core validates, upserts and records provenance.
    """


@hookspec
def register_resolvers(register):
    """Register resolvers: ``register(resolver)`` with an ``inspect_kit.Resolver``.

    A resolver reads the registry and yields derived records (matches, links,
    ownership paths). ``inspect-kit build`` runs resolvers first, in the order
    their ``after`` names require.
    """


@hookspec
def register_scorers(register):
    """Register scorers: ``register(scorer)`` with an ``inspect_kit.Scorer``.

    A scorer reads the registry and yields ``Flag`` objects with evidence; the
    core stores them in ``risk_flags``, replacing that scorer's previous flags.
    """


@hookspec
def register_schedulers(register):
    """Register schedulers: ``register(scheduler)`` with an ``inspect_kit.Scheduler``.

    A scheduler reads the registry and flags and yields ``Visit`` objects; the
    core stores them in ``inspection_schedule``, replacing its previous plan.
    """


@hookspec
def register_exporters(register):
    """Register exporters: ``register(exporter)`` with an ``inspect_kit.Exporter``.

    An exporter writes the registry out in another format (BODS, FollowTheMoney,
    GEXF...) for ``inspect-kit export FORMAT``.
    """


@hookspec
def register_commands(cli):
    """Add commands to the ``inspect-kit`` click group, e.g. with ``@cli.command()``."""


@hookspec
def prepare_connection(conn):
    """Configure every SQLite connection, in the CLI and in Datasette alike.

    Use it to add SQL functions with ``conn.create_function(...)``.
    """


@hookspec
def register_queries(register):
    """Register named SQL: ``register(query)`` with an ``inspect_kit.Query``.

    Each query is published as a Datasette canned query with its title and
    description, so users can run it from the web.
    """


@hookspec
def register_tables(register):
    """Declare extra tables: ``register(record_class)`` with an ``inspect_kit.Record`` subclass.

    The registry creates (and adds missing columns to) a table for each record
    class at start-up, so Datasette shows it even before any rows arrive.
    """
