"""Draw an ownership graph as a self-contained SVG: no JavaScript, no CDN.

Owners sit above what they own; the home (or the entity's holdings) at the
bottom. Every node is a link to its row; flagged nodes have a red border and
name their flags; paths that end without an identified owner end in a dashed
"owner not known" box. All text goes through ``markupsafe.escape``.
"""

from __future__ import annotations

from collections import defaultdict

from markupsafe import Markup, escape

from .graph import Graph, Node

NODE_W, NODE_H = 210, 62
GAP_X, GAP_Y = 26, 58
MARGIN = 20
MAX_CHARS = 30
MAX_PER_ROW = 5  # boxes side by side before a layer wraps
ROW_GAP = 16  # between the wrapped rows of one layer

STYLE = {
    "home": ("#e6f4ea", "#2e7d32"),
    "provider": ("#e3f2fd", "#1565c0"),
    "title": ("#f3f3f3", "#616161"),
    "proprietor": ("#fff8e1", "#8d6e00"),
    "entity": ("#ffffff", "#455a64"),
    "person": ("#f3e5f5", "#6a1b9a"),
    "unknown": ("#fff0f0", "#c62828"),
}
FLAG_COLOUR = "#c62828"


def _layers(graph: Graph) -> dict[str, int]:
    """Height of each node: 0 for what owns nothing in the graph, else one above what it owns."""
    owned_by: dict[str, list[str]] = defaultdict(list)  # node -> its owners
    remaining = {node_id: 0 for node_id in graph.nodes}
    for edge in graph.edges:
        if edge.owner in remaining and edge.owned in remaining and edge.owner != edge.owned:
            owned_by[edge.owned].append(edge.owner)
            remaining[edge.owner] += 1
    layer = {node_id: 0 for node_id in graph.nodes}
    done: set[str] = set()
    ready = [n for n, count in remaining.items() if count == 0]
    while len(done) < len(graph.nodes):
        if not ready:  # a cycle: release the waiting node closest to done
            ready = [min((n for n in graph.nodes if n not in done), key=lambda n: (remaining[n], n))]
        node_id = ready.pop(0)
        if node_id in done:
            continue
        done.add(node_id)
        for owner in owned_by[node_id]:
            if owner in done:
                continue
            layer[owner] = max(layer[owner], layer[node_id] + 1)
            remaining[owner] -= 1
            if remaining[owner] == 0:
                ready.append(owner)
    return layer


def layout(graph: Graph) -> tuple[dict[str, tuple[float, float]], float, float]:
    """Positions (top-left corners), width and height.

    A layer wider than ``MAX_PER_ROW`` boxes wraps onto several rows, so that a
    landlord with a dozen titles still fits a laptop screen.
    """
    layer = _layers(graph)
    by_layer: dict[int, list[Node]] = defaultdict(list)
    for node_id, node in graph.nodes.items():
        by_layer[layer[node_id]].append(node)
    top = max(by_layer) if by_layer else 0
    widest = min(max((len(nodes) for nodes in by_layer.values()), default=1), MAX_PER_ROW)
    width = MARGIN * 2 + widest * NODE_W + (widest - 1) * GAP_X
    rows_of = {level: max(1, -(-len(by_layer.get(level, [])) // MAX_PER_ROW)) for level in range(top + 1)}
    # y of each layer's first row, from the top (the highest layer) down
    y_of: dict[int, float] = {}
    y = MARGIN
    for level in range(top, -1, -1):
        y_of[level] = y
        y += rows_of[level] * NODE_H + (rows_of[level] - 1) * ROW_GAP + GAP_Y
    height = y - GAP_Y + MARGIN
    owned_of: dict[str, list[str]] = defaultdict(list)
    for edge in graph.edges:
        owned_of[edge.owner].append(edge.owned)
    x_centre: dict[str, float] = {}
    positions: dict[str, tuple[float, float]] = {}
    for level in range(0, top + 1):
        nodes = by_layer.get(level, [])

        def order(node: Node):
            below = [x_centre[o] for o in owned_of[node.id] if o in x_centre]
            return (node.side, sum(below) / len(below) if below else 0.0, node.label)

        nodes.sort(key=order)
        for row_start in range(0, len(nodes), MAX_PER_ROW):
            row = nodes[row_start : row_start + MAX_PER_ROW]
            row_width = len(row) * NODE_W + (len(row) - 1) * GAP_X
            left = (width - row_width) / 2
            row_y = y_of[level] + (row_start // MAX_PER_ROW) * (NODE_H + ROW_GAP)
            for index, node in enumerate(row):
                x = left + index * (NODE_W + GAP_X)
                positions[node.id] = (x, row_y)
                x_centre[node.id] = x + NODE_W / 2
    return positions, width, height


def _short(text: str, limit: int = MAX_CHARS) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_svg(graph: Graph) -> Markup:
    positions, width, height = layout(graph)
    width += 80  # room for the curve of a cycle on the right
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ownership-graph" role="img" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'font-family="system-ui, sans-serif" font-size="12">',
        f"<title>{escape('Ownership of ' + graph.title)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#777"/></marker></defs>',
    ]
    for edge in graph.edges:
        if edge.owner not in positions or edge.owned not in positions:
            continue
        ox, oy = positions[edge.owner]
        tx, ty = positions[edge.owned]
        x1, y1 = ox + NODE_W / 2, oy + NODE_H
        x2, y2 = tx + NODE_W / 2, ty
        if y2 <= y1:  # a cycle (the owner drawn below what it owns): a curve on the right
            x1, y1 = ox + NODE_W, oy + NODE_H / 2
            x2, y2 = tx + NODE_W, ty + NODE_H / 2
            bulge = max(x1, x2) + 60
            out.append(
                f'<path class="edge edge-cycle" d="M {x1:.1f} {y1:.1f} C {bulge:.1f} {y1:.1f}, {bulge:.1f} {y2:.1f}, '
                f'{x2:.1f} {y2:.1f}" fill="none" stroke="#c62828" stroke-width="1.4" stroke-dasharray="4 3" '
                f'marker-end="url(#arrow)"/>'
            )
            label_x, label_y = bulge - 10, (y1 + y2) / 2
        else:
            out.append(
                f'<line class="edge" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                f'stroke="#888" stroke-width="1.4" marker-end="url(#arrow)"/>'
            )
            # near the arrow head, below any row the edge passes behind
            label_x, label_y = x1 + (x2 - x1) * 0.75 + 4, y2 - 8
        if edge.label:
            out.append(
                f'<text class="edge-label" x="{label_x:.1f}" y="{label_y:.1f}" '
                f'fill="#444" font-size="11">{escape(edge.label)}</text>'
            )
    for node_id, node in graph.nodes.items():
        x, y = positions[node_id]
        fill, stroke = STYLE.get(node.kind, STYLE["entity"])
        flagged = bool(node.flags) or bool(node.untraceable)
        border = FLAG_COLOUR if flagged else stroke
        dash = ' stroke-dasharray="5 3"' if node.kind == "unknown" else ""
        radius = 14 if node.kind == "person" else 4
        tooltip = "\n".join(
            x for x in (
                node.label,
                node.detail,
                "flags: " + ", ".join(node.flags) if node.flags else "",
                "untraceable: " + node.untraceable if node.untraceable else "",
            ) if x
        )
        lines = [(node.label, "bold", "#111"), (node.detail, "normal", "#555")]
        if node.flags:
            lines.append(("⚑ " + ", ".join(node.flags), "bold", FLAG_COLOUR))
        elif node.untraceable:
            lines.append(("⚑ " + node.untraceable, "bold", FLAG_COLOUR))
        text = "".join(
            f'<text x="{x + 8:.1f}" y="{y + 18 + i * 16:.1f}" font-weight="{weight}" fill="{colour}">'
            f"{escape(_short(line))}</text>"
            for i, (line, weight, colour) in enumerate(lines)
            if line
        )
        body = (
            f'<g class="node node-{escape(node.kind)}{" flagged" if flagged else ""}" data-id="{escape(node_id)}">'
            f"<title>{escape(tooltip)}</title>"
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{NODE_W}" height="{NODE_H}" rx="{radius}" '
            f'fill="{fill}" stroke="{border}" stroke-width="{3 if flagged else 1.5}"{dash}/>'
            f"{text}</g>"
        )
        if node.href:
            body = f'<a href="{escape(node.href)}">{body}</a>'
        out.append(body)
    out.append("</svg>")
    return Markup("\n".join(out))
