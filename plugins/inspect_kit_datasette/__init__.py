"""Publishing the registry through Datasette: the inspect-kit side.

This plugin gives inspect-kit the area queries (``register_queries``) and the
``inspect-kit enable-search`` command. Its Datasette side, in ``.site``, is
registered into Datasette by ``inspect_kit.publish`` when ``inspect-kit serve``
starts: links between tables, ownership graphs, ``.bods`` and ``.atom``
renderers, regulator sign-in and the privacy rules.
"""

from __future__ import annotations

import click

from inspect_kit import hookimpl

from .queries import QUERIES


@hookimpl
def register_queries(register):
    for query in QUERIES:
        register(query)


@hookimpl
def register_commands(cli):
    @cli.command(name="enable-search")
    @click.argument("db_path", default="registry.db", type=click.Path(exists=True, dir_okay=False))
    @click.option("--rebuild", is_flag=True, help="Rebuild existing indexes from the tables.")
    def enable_search_command(db_path, rebuild):
        """Full-text search over names and addresses (homes, providers, entities, landlords).

        'inspect-kit serve' does this by itself when the indexes are missing; run it
        ahead of time on a large registry, or with --rebuild after a bulk edit.
        """
        from .search import enable_search

        changed = enable_search(db_path, rebuild=rebuild)
        click.echo(
            f"search: {'indexed ' + ', '.join(changed) if changed else 'already enabled'}", err=True
        )
