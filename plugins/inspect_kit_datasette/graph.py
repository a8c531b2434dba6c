"""Who is behind a care home: the graph of its operator, titles, landlords and owners.

Built from the contract tables only: ``care_homes``, ``providers``,
``care_home_titles``, ``title_proprietors``, ``entities``, ``ownership_paths``
(the ownership resolver's traced paths) and ``risk_flags``. Where the resolver
has not traced an entity yet, the chain is read from ``relationships`` directly,
so a freshly collected registry still shows something true.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Callable

MAX_NODES = 250

# row_url(table, key_values) -> href of that row
RowUrl = Callable[[str, tuple], str]


@dataclass
class Node:
    id: str
    kind: str  # home, provider, title, proprietor, entity, person, unknown
    label: str
    detail: str = ""
    href: str | None = None
    side: int = 0  # 0: operator side, 1: landlord side
    flags: list[str] = field(default_factory=list)
    untraceable: str | None = None  # why a path ends here without an owner


@dataclass
class Edge:
    owner: str  # the node drawn above: who owns, runs or holds
    owned: str
    label: str = ""


@dataclass
class Graph:
    root: str
    title: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    paths: list[dict] = field(default_factory=list)
    flags: list[dict] = field(default_factory=list)
    truncated: bool = False

    def add(self, node: Node) -> Node:
        if node.id not in self.nodes:
            if len(self.nodes) >= MAX_NODES:
                self.truncated = True
            self.nodes[node.id] = node
        return self.nodes[node.id]

    def link(self, owner: str, owned: str, label: str = "") -> None:
        if not any(e.owner == owner and e.owned == owned for e in self.edges):
            self.edges.append(Edge(owner, owned, label))


def _table_exists(conn: sqlite3.Connection, name: str) -> bool:
    return bool(
        conn.execute("select 1 from sqlite_master where type in ('table','view') and name = ?", [name]).fetchone()
    )


def _rows(conn, sql, params=()):
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def share_label(share_min, share_max) -> str:
    if share_min is None and share_max is None:
        return ""
    if share_min == share_max:
        return f"{share_min:g}%"
    low = "" if share_min is None else f"{share_min:g}"
    high = "" if share_max is None else f"{share_max:g}"
    return f"{low}–{high}%"


class _Builder:
    def __init__(self, conn: sqlite3.Connection, row_url: RowUrl, graph: Graph, hidden=frozenset()):
        self.conn = conn
        self.row_url = row_url
        self.graph = graph
        self.hidden = hidden  # tables this reader may not see: drawn as if empty
        self.traced: set[str] = set()
        self.has_paths = self.readable("ownership_paths")

    def readable(self, table: str) -> bool:
        return table not in self.hidden and _table_exists(self.conn, table)

    # -- entities and their chains -------------------------------------------------

    def entity_node(self, entity_id: str, side: int) -> Node:
        node_id = f"entity:{entity_id}"
        if node_id in self.graph.nodes:
            return self.graph.nodes[node_id]
        row = self.conn.execute(
            "select name, entity_type, jurisdiction from entities where id = ?", [entity_id]
        ).fetchone()
        if row is None:
            return self.graph.add(
                Node(node_id, "entity", entity_id, "not in the registry", self.row_url("entities", (entity_id,)), side)
            )
        name, entity_type, jurisdiction = row
        detail = " · ".join(x for x in (entity_type, jurisdiction) if x)
        kind = "person" if entity_type == "person" else "entity"
        return self.graph.add(
            Node(node_id, kind, name or entity_id, detail, self.row_url("entities", (entity_id,)), side)
        )

    def chain(self, entity_id: str, side: int) -> None:
        """Add every ownership path above an entity."""
        if entity_id in self.traced or self.graph.truncated:
            return
        self.traced.add(entity_id)
        paths = (
            _rows(self.conn, "select * from ownership_paths where subject_id = ? order by path_number", [entity_id])
            if self.has_paths
            else []
        )
        if paths:
            self._from_paths(entity_id, paths, side)
        elif self.readable("relationships"):
            self._from_relationships(entity_id, side)

    def _step_label(self, step) -> str:
        """The share on one step of a path.

        The ownership resolver stores, per step, the list of relationships the step
        follows (a shareholding and voting rights, say); older or hand-written paths
        hold a single id. The first of them that states a share gives the label.
        """
        ids = [step] if isinstance(step, str) else [i for i in (step or []) if isinstance(i, str)]
        if not ids or not self.readable("relationships"):
            return ""
        rows = _rows(
            self.conn,
            f"select share_min, share_max from relationships where id in ({', '.join('?' for _ in ids)}) "
            "and (share_min is not null or share_max is not null) order by share_max desc limit 1",
            ids,
        )
        return share_label(rows[0]["share_min"], rows[0]["share_max"]) if rows else ""

    def _from_paths(self, subject_id, paths, side):
        for path in paths:
            ids = json.loads(path["path"] or "[]") or [subject_id]
            relationship_ids = json.loads(path["relationship_ids"] or "[]")
            for step, (lower, upper) in enumerate(zip(ids, ids[1:])):
                self.entity_node(lower, side)
                self.entity_node(upper, side)
                label = self._step_label(relationship_ids[step] if step < len(relationship_ids) else None)
                self.graph.link(f"entity:{upper}", f"entity:{lower}", label)
            last = self.entity_node(ids[-1], side)
            if not path.get("traceable"):
                reason = path.get("reason") or path.get("end_kind") or "untraceable"
                if path.get("end_id") is None:
                    unknown = self.graph.add(
                        Node(
                            f"unknown:{subject_id}:{path['path_number']}",
                            "unknown",
                            "Owner not known",
                            path.get("end_kind") or "",
                            self.row_url("ownership_paths", (subject_id, path["path_number"])),
                            side,
                            untraceable=reason,
                        )
                    )
                    self.graph.link(unknown.id, last.id)
                else:
                    last.untraceable = reason
            self.graph.paths.append({**path, "side": side})

    def _from_relationships(self, subject_id, side):
        """No traced paths: walk the current relationships upwards, breadth first."""
        queue = [subject_id]
        seen = {subject_id}
        self.entity_node(subject_id, side)
        while queue and not self.graph.truncated:
            current = queue.pop(0)
            for rel in _rows(
                self.conn,
                "select * from relationships where subject_id = ? and end_date is null "
                "and valid_to is null order by id",
                [current],
            ):
                owner = rel["interested_party_id"]
                if owner is None:
                    unknown = self.graph.add(
                        Node(
                            f"unknown:{rel['id']}",
                            "unknown",
                            "Owner not known",
                            rel["unspecified_reason"] or "",
                            self.row_url("relationships", (rel["id"],)),
                            side,
                            untraceable=rel["unspecified_reason"] or "owner declared unknown",
                        )
                    )
                    self.graph.link(unknown.id, f"entity:{current}")
                    continue
                self.entity_node(owner, side)
                self.graph.link(
                    f"entity:{owner}", f"entity:{current}", share_label(rel["share_min"], rel["share_max"])
                )
                if owner not in seen:
                    seen.add(owner)
                    queue.append(owner)

    # -- flags ---------------------------------------------------------------------

    def flags(self) -> None:
        if not self.readable("risk_flags"):
            return
        by_subject: dict[tuple[str, str], str] = {}
        for node in self.graph.nodes.values():
            kind, _, key = node.id.partition(":")
            subject_type = {"home": "care_home", "entity": "entity", "person": "entity",
                            "provider": "provider", "title": "title"}.get(kind)
            if subject_type:
                by_subject[(subject_type, key)] = node.id
        for subject_type in {s for s, _ in by_subject}:
            keys = [k for s, k in by_subject if s == subject_type]
            for start in range(0, len(keys), 500):
                batch = keys[start : start + 500]
                for flag in _rows(
                    self.conn,
                    f"select * from risk_flags where subject_type = ? and subject_id in "
                    f"({', '.join('?' for _ in batch)}) order by score desc, flag",
                    [subject_type, *batch],
                ):
                    node = self.graph.nodes[by_subject[(subject_type, flag["subject_id"])]]
                    if flag["flag"] not in node.flags:
                        node.flags.append(flag["flag"])
                    self.graph.flags.append({**flag, "node_label": node.label, "node_href": node.href})


def home_graph(conn: sqlite3.Connection, location_id: str, row_url: RowUrl, hidden=frozenset()) -> Graph | None:
    """The home, its operator and titles, their landlords, and both ownership chains."""
    homes = _rows(conn, "select * from care_homes where location_id = ?", [location_id])
    if not homes:
        return None
    home = homes[0]
    graph = Graph(root=f"home:{location_id}", title=home["name"] or location_id)
    builder = _Builder(conn, row_url, graph, hidden)
    detail = " · ".join(str(x) for x in (home.get("postcode"), home.get("beds") and f"{home['beds']} beds", home.get("rating")) if x)
    graph.add(Node(graph.root, "home", home["name"] or location_id, detail, row_url("care_homes", (location_id,))))

    if home.get("provider_id") and builder.readable("providers"):
        providers = _rows(conn, "select * from providers where provider_id = ?", [home["provider_id"]])
        provider = providers[0] if providers else {"provider_id": home["provider_id"], "name": None}
        node = graph.add(
            Node(
                f"provider:{provider['provider_id']}",
                "provider",
                provider.get("name") or provider["provider_id"],
                "operator (CQC provider)",
                row_url("providers", (provider["provider_id"],)),
                0,
            )
        )
        graph.link(node.id, graph.root, "runs")
        if provider.get("entity_id"):
            entity = builder.entity_node(provider["entity_id"], 0)
            graph.link(entity.id, node.id, "is")
            builder.chain(provider["entity_id"], 0)

    if builder.readable("care_home_titles") and builder.readable("title_proprietors"):
        for link in _rows(
            conn,
            "select care_home_titles.title_number, titles.tenure, titles.property_address "
            "from care_home_titles left join titles using (title_number) "
            "where care_home_titles.location_id = ? order by care_home_titles.title_number",
            [location_id],
        ):
            title_number = link["title_number"]
            title = graph.add(
                Node(
                    f"title:{title_number}",
                    "title",
                    f"Title {title_number}",
                    link["tenure"] or "",
                    row_url("titles", (title_number,)),
                    1,
                )
            )
            graph.link(title.id, graph.root, "site")
            for proprietor in _rows(
                conn,
                "select * from title_proprietors where title_number = ? and valid_to is null order by position",
                [title_number],
            ):
                if proprietor.get("entity_id"):
                    owner = builder.entity_node(proprietor["entity_id"], 1)
                    builder.chain(proprietor["entity_id"], 1)
                else:
                    owner = graph.add(
                        Node(
                            f"proprietor:{title_number}:{proprietor['position']}",
                            "proprietor",
                            proprietor.get("name") or "unnamed proprietor",
                            " · ".join(x for x in ("in no register", proprietor.get("country_incorporated")) if x),
                            row_url("title_proprietors", (title_number, proprietor["position"])),
                            1,
                            # DESIGN.md: a proprietor found in no register cannot be traced.
                            untraceable="matches no register entity",
                        )
                    )
                graph.link(owner.id, title.id, "proprietor")
    builder.flags()
    return graph


MAX_HOLDINGS = 12  # titles or owned companies drawn one by one; more become one summary box


def entity_graph(
    conn: sqlite3.Connection, entity_id: str, row_url: RowUrl, hidden=frozenset(), table_url=None
) -> Graph | None:
    """An entity, the chain above it, and below it what it runs, holds and owns.

    A big operator holds hundreds of titles: drawing each would make a graph
    thousands of pixels wide, so past ``MAX_HOLDINGS`` they become one box that
    links to the full list (``table_url(table, column, value)``).
    """
    rows = _rows(conn, "select id, name from entities where id = ?", [entity_id])
    if not rows:
        return None
    table_url = table_url or (lambda table, column, value: row_url(table, ()))
    graph = Graph(root=f"entity:{entity_id}", title=rows[0]["name"] or entity_id)
    builder = _Builder(conn, row_url, graph, hidden)
    builder.entity_node(entity_id, 0)
    builder.chain(entity_id, 0)

    if builder.readable("providers"):
        for provider in _rows(
            conn,
            "select p.provider_id, p.name, "
            + ("(select count(*) from care_homes h where h.provider_id = p.provider_id and h.valid_to is null)"
               if builder.readable("care_homes") else "null")
            + " as homes from providers p where p.entity_id = ? and p.valid_to is null",
            [entity_id],
        ):
            homes = provider["homes"]
            detail = f"operator of {homes} care home{'s' if homes != 1 else ''}" if homes is not None else "operator (CQC provider)"
            node = graph.add(
                Node(f"provider:{provider['provider_id']}", "provider", provider["name"] or provider["provider_id"],
                     detail, row_url("providers", (provider["provider_id"],)))
            )
            graph.link(graph.root, node.id, "is")
            if homes:
                listing = graph.add(
                    Node(f"homes:{provider['provider_id']}", "home", f"{homes} care home{'s' if homes != 1 else ''}",
                         "list them, with a map", table_url("care_homes", "provider_id", provider["provider_id"]))
                )
                graph.link(node.id, listing.id, "runs")

    if builder.readable("title_proprietors"):
        homes_on = "null"
        if builder.readable("care_home_titles") and builder.readable("care_homes"):
            homes_on = ("(select group_concat(h.name, '; ') from care_home_titles cht join care_homes h "
                        "using (location_id) where cht.title_number = tp.title_number)")
        titles = _rows(
            conn,
            f"select distinct tp.title_number, {homes_on} as homes from title_proprietors tp "
            "where tp.entity_id = ? and tp.valid_to is null order by tp.title_number limit ?",
            [entity_id, MAX_HOLDINGS + 1],
        )
        if len(titles) > MAX_HOLDINGS:
            count = conn.execute(
                "select count(distinct title_number) from title_proprietors where entity_id = ? and valid_to is null",
                [entity_id],
            ).fetchone()[0]
            node = graph.add(
                Node(f"titles:{entity_id}", "title", f"{count} land titles held", "list them",
                     table_url("title_proprietors", "entity_id", entity_id), 1)
            )
            graph.link(graph.root, node.id, "proprietor")
        else:
            for title in titles:
                node = graph.add(
                    Node(f"title:{title['title_number']}", "title", f"Title {title['title_number']}",
                         f"site of {title['homes']}" if title["homes"] else "held as proprietor",
                         row_url("titles", (title["title_number"],)), 1)
                )
                graph.link(graph.root, node.id, "proprietor")

    if builder.readable("relationships"):
        owned = _rows(
            conn,
            "select distinct r.subject_id, e.name from relationships r left join entities e on e.id = r.subject_id "
            "where r.interested_party_id = ? and r.end_date is null and r.valid_to is null "
            "and r.subject_id != ? order by e.name limit ?",
            [entity_id, entity_id, MAX_HOLDINGS + 1],
        )
        if len(owned) > MAX_HOLDINGS:
            node = graph.add(
                Node(f"owns:{entity_id}", "entity", "More than {} companies".format(MAX_HOLDINGS), "that it owns or controls",
                     table_url("relationships", "interested_party_id", entity_id))
            )
            graph.link(graph.root, node.id, "owns")
        else:
            for row in owned:
                if f"entity:{row['subject_id']}" in graph.nodes:
                    continue  # a cycle: already drawn above
                node = builder.entity_node(row["subject_id"], 0)
                graph.link(graph.root, node.id, "owns")
    builder.flags()
    return graph
