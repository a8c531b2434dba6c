"""``inspect-kit demo``: a registry from the bundled dataset, built and served in one command.

The dataset (``datasets/demo/``) is fictional and written in the sources' real
formats by ``python -m datasets.generate``. The first run collects it with
every installed collector and runs the build; later runs reuse the registry.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from inspect_kit import hookimpl

from .demo import DATA_DIR, build_registry, headline, scenario

FIRST_CLICKS = """\
What to click first:
  1. {url}{db}/risk_flags?flag=untraceable_landlord
     homes of {name} whose landlord nobody can trace, and why (the evidence column)
  2. {url}{db}/title_proprietors?_facet=country_incorporated
     who owns the land under the homes: UK companies, Jersey, the BVI, Delaware...
  3. {url}{db}/risk_flags?flag=common_control
     Willowmere: the landlord and the operator answer to the same parent
  4. {url}{db}/care_homes?provider_id={provider}
     the {homes} homes {name} runs (map, beds, ratings)
"""


@hookimpl
def register_commands(cli):
    @cli.command()
    @click.option("--db", "db_path", default="demo.db", show_default=True, type=click.Path(dir_okay=False),
                  help="Where to build the demo registry.")
    @click.option("--data", "data_dir", default=str(DATA_DIR), show_default=False,
                  type=click.Path(exists=True, file_okay=False),
                  help="A generated dataset (default: the bundled datasets/demo).")
    @click.option("--rebuild", is_flag=True, help="Build again even if the registry exists.")
    @click.option("--no-serve", "no_serve", is_flag=True, help="Build only; do not start Datasette.")
    @click.option("-h", "--host", default="127.0.0.1", show_default=True)
    @click.option("-p", "--port", default=8001, show_default=True, type=int)
    @click.option("--progress/--no-progress", default=sys.stderr.isatty(), help="Show progress bars.")
    def demo(db_path, data_dir, rebuild, no_serve, host, port, progress):
        """Build a registry from the bundled demo data and serve it.

        A fictional operator of hundreds of homes that sold them and leased them
        back, its landlords (some offshore, some untraceable), a group whose
        landlord and operator share a parent, and many independent homes, in the
        real CQC, Companies House and Land Registry formats.
        """
        db = Path(db_path)
        if db.exists() and not rebuild:
            click.echo(f"demo: reusing {db} (built earlier); --rebuild to build it again", err=True)
        else:
            if db.exists():
                db.unlink()
            click.echo(f"demo: building {db} from {data_dir}", err=True)
            build_registry(db, Path(data_dir), show_progress=progress, echo=lambda m: click.echo(m, err=True))
        for label, count in headline(db):
            click.echo(f"  {count:>8,}  {label}", err=True)
        facts = scenario(Path(data_dir))
        big = facts["big_operator"]
        click.echo(FIRST_CLICKS.format(url=f"http://{host}:{port}/", db=db.stem, provider=big["provider_id"],
                                       homes=big["homes"], name=big["name"]), err=True)
        if not no_serve:
            ctx = click.get_current_context()
            serve = ctx.find_root().command.get_command(ctx, "serve")  # from the Datasette plugin
            if serve is None:
                raise click.ClickException("no 'serve' command: is the Datasette plugin installed?")
            ctx.invoke(serve, db_path=str(db), host=host, port=port)
