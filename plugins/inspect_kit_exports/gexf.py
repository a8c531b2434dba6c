"""The graph as GEXF 1.3, for Gephi.

GEXF wants every node before the first edge, and attributes declared up front;
nodes are written as they come and edges wait in a spooled temporary file, so
memory stays flat on a large registry.
"""

from __future__ import annotations

import datetime
import tempfile
from xml.sax.saxutils import quoteattr

from .graph import Edge, Node, read_graph

NODE_ATTRIBUTES = {
    "kind": "string", "entity_type": "string", "jurisdiction": "string", "company_number": "string",
    "status": "string", "incorporation_date": "string", "dissolution_date": "string", "address": "string",
    "birth_month": "string", "nationality": "string", "listed": "boolean",
    "unspecified_reason": "string", "unspecified_description": "string",
    "location_id": "string", "postcode": "string", "local_authority": "string", "region": "string",
    "beds": "integer", "rating": "string", "latitude": "double", "longitude": "double",
    "provider_id": "string", "ownership_type": "string",
    "title_number": "string", "tenure": "string", "property_address": "string", "price_paid": "long",
    "date_proprietor_added": "string", "dataset": "string", "proprietorship_category": "string",
}
EDGE_ATTRIBUTES = {
    "kind": "string", "interest_type": "string", "interest_detail": "string",
    "share_min": "double", "share_max": "double", "start_date": "string", "end_date": "string",
    "unspecified_reason": "string", "source": "string", "provider_id": "string",
    "method": "string", "confidence": "double", "position": "integer",
}


def _value(value, kind: str) -> str:
    if kind == "boolean":
        return "true" if value else "false"
    return str(value)


def _attvalues(attributes: dict, declared: dict) -> str:
    values = "".join(
        f"<attvalue for={quoteattr(name)} value={quoteattr(_value(attributes[name], kind))}/>"
        for name, kind in declared.items()
        if attributes.get(name) is not None
    )
    return f"<attvalues>{values}</attvalues>" if values else ""


def _declarations(cls: str, declared: dict) -> str:
    items = "".join(
        f'<attribute id={quoteattr(name)} title={quoteattr(name)} type="{kind}"/>' for name, kind in declared.items()
    )
    return f'<attributes class="{cls}">{items}</attributes>\n'


def write_gexf(conn, out) -> dict[str, int]:
    """Write the registry's graph to the binary file ``out``; returns counts of nodes and edges."""
    counts = {"nodes": 0, "edges": 0}
    write = lambda text: out.write(text.encode("utf-8"))  # noqa: E731
    write('<?xml version="1.0" encoding="UTF-8"?>\n')
    write('<gexf xmlns="http://gexf.net/1.3" version="1.3">\n')
    write(f'<meta lastmodifieddate="{datetime.date.today().isoformat()}"><creator>inspect-kit</creator>'
          "<description>Care homes, operators, land titles, landlords and ownership chains</description></meta>\n")
    write('<graph defaultedgetype="directed" mode="static">\n')
    write(_declarations("node", NODE_ATTRIBUTES))
    write(_declarations("edge", EDGE_ATTRIBUTES))
    write("<nodes>\n")
    seen: set[str] = set()
    with tempfile.SpooledTemporaryFile(max_size=16 << 20, mode="w+b") as edges:
        for item in read_graph(conn):
            if isinstance(item, Node):
                if item.id in seen:
                    continue
                seen.add(item.id)
                attributes = {**item.attributes, "kind": item.kind}
                write(f"<node id={quoteattr(item.id)} label={quoteattr(item.label)}>"
                      f"{_attvalues(attributes, NODE_ATTRIBUTES)}</node>\n")
                counts["nodes"] += 1
            elif isinstance(item, Edge):
                attributes = {**item.attributes, "kind": item.kind}
                weight = item.attributes.get("share_max")
                weight_attr = f' weight="{float(weight)}"' if weight else ""
                edges.write(
                    f"<edge id={quoteattr(item.id)} source={quoteattr(item.source)} target={quoteattr(item.target)}"
                    f" label={quoteattr(item.kind)}{weight_attr}>{_attvalues(attributes, EDGE_ATTRIBUTES)}</edge>\n"
                    .encode("utf-8")
                )
                counts["edges"] += 1
        write("</nodes>\n<edges>\n")
        edges.seek(0)
        while chunk := edges.read(1 << 20):
            out.write(chunk)
    write("</edges>\n</graph>\n</gexf>\n")
    return counts
