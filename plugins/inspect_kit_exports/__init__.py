"""Exports for journalists' tools: FollowTheMoney for Aleph, GEXF for Gephi.

``inspect-kit export ftm -o registry.ftm.json`` and ``inspect-kit export gexf -o
registry.gexf``. Both carry the same graph (see ``graph.py``): entities and their
ownership, care homes and their operators, titles and their landlords.
See docs/exports.md.
"""

from inspect_kit import Exporter, hookimpl

from .ftm import write_ftm
from .gexf import write_gexf


class FtmExporter(Exporter):
    name = "ftm"
    description = (
        "FollowTheMoney entities as JSON lines, for Aleph: companies, persons, ownership, "
        "care homes, land titles and their landlords."
    )
    extension = ".ftm.json"

    def export(self, registry, out, options):
        write_ftm(registry.conn, out)


class GexfExporter(Exporter):
    name = "gexf"
    description = (
        "GEXF 1.3 graph for Gephi: entities, care homes, operators and titles as nodes; "
        "ownership, operation and landlord links as edges with their shares."
    )
    extension = ".gexf"

    def export(self, registry, out, options):
        write_gexf(registry.conn, out)


@hookimpl
def register_exporters(register):
    register(FtmExporter())
    register(GexfExporter())
