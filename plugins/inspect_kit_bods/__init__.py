"""BODS 0.4 in and out: ``inspect-kit collect bods FILE`` and ``inspect-kit export bods -o OUT``.

The Beneficial Ownership Data Standard is how ownership registers publish and
exchange who owns what. Reading it brings other registers' chains into the
registry; writing it hands the registry's chains to every BODS tool. See
docs/bods.md.
"""

from inspect_kit import Collector, Exporter, Option, hookimpl

from .exporter import BodsExport, StatementWriter
from .importer import BodsImport
from .records import BodsStatement


class BodsCollector(Collector):
    name = "bods"
    description = (
        "BODS 0.4 statements (a JSON array or JSON lines, optionally .gz): entities, persons and "
        "relationships, owners declared unknown with their reasons."
    )

    def collect(self, run):
        for path in run.files:
            run.source = str(path)
            yield from BodsImport(path, progress=run.progress).records()


class BodsExporter(Exporter):
    name = "bods"
    description = (
        "BODS 0.4 statements for every entity, person and relationship, checked against the "
        "standard's JSON schema as they are written."
    )
    extension = ".json"
    options = (
        Option("lines", help="Write JSON lines (one statement a line) instead of one JSON array.", is_flag=True),
        Option("publisher", help="publicationDetails.publisher.name for rows not imported from BODS.",
               default="inspect-kit"),
    )

    def export(self, registry, out, options):
        self._write(BodsExport(registry.conn, publisher=options.get("publisher") or "inspect-kit"), out, options)

    def export_entities(self, conn, out, entity_ids, options):
        self._write(BodsExport(conn, publisher=options.get("publisher") or "inspect-kit", only=set(entity_ids)),
                    out, options)

    @staticmethod
    def _write(export, out, options):
        writer = StatementWriter(out, lines=bool(options.get("lines")))
        for statement in export.statements():
            writer.write(statement)
        writer.close()


@hookimpl
def register_collectors(register):
    register(BodsCollector())


@hookimpl
def register_exporters(register):
    register(BodsExporter())


@hookimpl
def register_tables(register):
    register(BodsStatement)
