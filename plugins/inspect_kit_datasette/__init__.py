"""Publishing the registry through Datasette: the inspect-kit side.

This plugin gives inspect-kit the area queries (``register_queries``) and the
``inspect-kit serve`` and ``enable-search`` commands. Its Datasette side, in
``.site``, is a Datasette plugin of its own (the ``datasette`` entry point):
metadata, links between tables, ownership graphs, ``.bods`` and ``.atom``
renderers, regulator sign-in and the privacy rules.
"""

from __future__ import annotations

from pathlib import Path

import click

from inspect_kit import hookimpl

from .queries import QUERIES


@hookimpl
def register_queries(register):
    for query in QUERIES:
        register(query)


@hookimpl
def register_commands(cli):
    @cli.command()
    @click.argument("db_path", default="registry.db", type=click.Path(dir_okay=False))
    @click.option("--private-db", "private_path", default=None, envvar="INSPECT_KIT_PRIVATE_DB",
                  type=click.Path(dir_okay=False), help="The private database (default: private.db beside it).")
    @click.option("-h", "--host", default="127.0.0.1", show_default=True)
    @click.option("-p", "--port", default=8001, show_default=True, type=int)
    @click.option("--secret", envvar="INSPECT_KIT_SECRET", help="Secret for signed cookies (regulator sign-in).")
    def serve(db_path, private_path, host, port, secret):
        """Publish the registry with Datasette; its private database to signed-in regulators only."""
        import uvicorn

        from inspect_kit.registry import Registry, RegistryError

        from .publish import make_datasette

        if not Path(db_path).exists():
            raise click.ClickException(f"{db_path}: no registry here yet; run 'inspect-kit demo' or 'collect' first")
        try:
            Registry.open(db_path, private_path=private_path).close()  # create or migrate the schema first
        except RegistryError as error:
            raise click.ClickException(str(error)) from None
        datasette = make_datasette(db_path, private_path=private_path, secret=secret)
        click.echo(f"inspect-kit: serving {db_path} at http://{host}:{port}/", err=True)
        uvicorn.run(datasette.app(), host=host, port=port, log_level="warning")

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
