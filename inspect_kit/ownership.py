"""Ownership graph maths: from any entity up to its ultimate owners.

This module knows no data source. It takes entities and relationships as plain
rows (the ``entities`` and ``relationships`` tables of the data contract) and
answers, as of a date:

- every ownership path above an entity, and how it ends: at an identified
  ultimate owner (a person, a listed company, a public body, a charity) or at a
  point where the chain cannot be traced, with the rule that decided it in
  words (DESIGN.md, "What untraceable means");
- each entity's ultimate owners with their effective share as an interval.

Shares are intervals because registers give bands: a PSC holding 25-50% of a
company that holds 50-75% of another holds between 12.5% and 37.5% of it.
Bands multiply along a path; parallel paths add up (capped at 100%). A path
stops where it would return to an entity already on it, so a cycle is reported
once and never counted twice.

The whole graph is analysed in one pass (Tarjan's strongly connected components,
iteratively, owners first), so that every entity's owners are computed once from
its direct owners' results: linear in the size of the graph outside cycles.
"""

from __future__ import annotations

import contextlib
import gc
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

# Interests that make someone an owner or controller. Board seats held as an
# employee, senior managing officials (ROE managing officers) and nominees do not.
FOLLOWED_INTERESTS = frozenset(
    {
        "shareholding",
        "votingRights",
        "appointmentOfBoard",
        "otherInfluenceOrControl",
        "settlor",
        "trustee",
        "protector",
        "beneficiaryOfLegalArrangement",
        "rightsToSurplusAssetsOnDissolution",
        "rightsToProfitOrIncome",
        "rightsGrantedByContract",
        "conditionalRightsGrantedByContract",
        "controlViaCompanyRulesOrArticles",
        "controlByLegalFramework",
        "enjoymentAndUseOfAssets",
        "rightToProfitOrIncomeFromAssets",
        "unknownInterest",
        "unpublishedInterest",
        None,
    }
)

# Register statements that say something about the register, not that an owner
# is unknown (ROE update statements); they end no path.
INFORMATIONAL_STATEMENTS = frozenset(
    {
        "all-beneficial-owners-identified",
        "nobody-has-become-or-ceased-to-be-a-beneficial-owner",
        "somebody-has-become-or-ceased-to-be-a-beneficial-owner",
        "change-beneficial-owner-relevant-period",
        "no-change-beneficial-owner-relevant-period",
        "trust-involved-relevant-period",
        "no-trust-involved-relevant-period",
        "change-beneficiary-relevant-period",
        "no-change-beneficiary-relevant-period",
    }
)

# Column order of entity and relationship rows given as tuples to OwnershipGraph.build.
ENTITY_COLUMNS = ("id", "name", "entity_type", "jurisdiction", "status", "listed", "company_type")
RELATIONSHIP_COLUMNS = (
    "id", "subject_id", "interested_party_id", "interest_type", "share_min", "share_max",
    "start_date", "end_date", "unspecified_reason",
)
# Where the share between two entities comes from: shareholdings first, then votes.
_SHARE_RANK = {"shareholding": 0, "votingRights": 1}

TRACEABLE_ENDS = ("person", "listed_company", "public_body", "charity")
UNTRACEABLE_ENDS = (
    "unknown_owner",
    "super_secure",
    "not_in_register",
    "foreign_not_found",
    "no_psc_filed",
    "cycle",
)

# A legal person's legal form that makes it a public body.
_PUBLIC_FORM = re.compile(r"\b(statutory|public|government|crown|local authority|municipal)\b", re.I)
# PSC exemptions (listed on a regulated market): not an unknown owner.
EXEMPTION_PREFIXES = ("psc-exempt", "psc_exempt")
_PUBLIC_NAME = re.compile(
    r"\b(council|borough|government|secretary of state|minister|ministry|crown|nhs|"
    r"health authority|department|parliament|local authority|county of|city of|state of|"
    r"republic|kingdom|university)\b",
    re.I,
)


@dataclass(frozen=True)
class Path:
    """One ownership path: from a subject up to where it ends."""

    subject_id: str
    entity_ids: tuple[str, ...]  # subject first; the end entity last when there is one
    relationship_ids: tuple[tuple[str, ...], ...]  # per step, the relationships it follows
    end_kind: str
    end_id: str | None
    traceable: bool
    reason: str
    share_min: float  # percent
    share_max: float

    @property
    def depth(self) -> int:
        return len(self.relationship_ids)


@dataclass(frozen=True)
class Owner:
    """An identified ultimate owner of a subject, with its effective share."""

    owner_id: str
    owner_kind: str
    share_min: float  # percent
    share_max: float
    min_depth: int
    paths: int


@dataclass(frozen=True)
class End:
    """How a path can end, summarised over every path with that end."""

    kind: str
    end_id: str | None
    detail: str | None  # the statement behind an unknown owner
    traceable: bool
    reason: str
    share_min: float
    share_max: float
    min_depth: int
    paths: int


class _Edge:
    """One step from a subject up to an owner (``parent``; None for a declared-unknown owner)."""

    __slots__ = ("parent", "low", "high", "relationship_ids", "statement", "rank")

    def __init__(self, parent, low, high, relationship_ids, statement=None, rank=2):
        self.parent = parent
        self.low = low  # fraction 0..1
        self.high = high
        self.relationship_ids = relationship_ids
        self.statement = statement
        self.rank = rank  # _SHARE_RANK of the interest the share came from

    def __repr__(self) -> str:
        return f"_Edge({self.parent!r}, {self.low}, {self.high}, {self.relationship_ids!r}, {self.statement!r})"


@dataclass
class OwnershipGraph:
    """Entities and the current relationships between them, as of one date.

    Build it with :meth:`build`, and ask :meth:`ends`, :meth:`ultimate_owners`
    and :meth:`paths` for any entity: each summarises what it needs (the entity
    and everything above it) once. :meth:`analyse` summarises every entity.
    """

    as_of: str | None = None
    entities: dict[str, tuple] = field(default_factory=dict)  # id -> (type, jurisdiction, status, listed, name, reference_only)
    edges: dict[str, list[_Edge]] = field(default_factory=dict)  # subject -> its owners
    lapsed: dict[str, str] = field(default_factory=dict)  # subject -> latest end date of relationships no longer current
    _summary: dict[str, dict] = field(default_factory=dict)  # entity with owners -> its path ends
    _analysed: bool = False  # every entity summarised
    _cycle_reaches_owner: dict[str, bool] = field(default_factory=dict)
    _leaf_keys: dict[str, tuple] = field(default_factory=dict)  # path end -> its summary key

    # -- building ---------------------------------------------------------

    @classmethod
    def build(
        cls,
        entities: Iterable[dict[str, Any]],
        relationships: Iterable[dict[str, Any]],
        *,
        as_of: str | None = None,
        aliases: dict[str, str] | None = None,
        reference_only: Iterable[str] = (),
        follow: Iterable[str | None] = FOLLOWED_INTERESTS,
    ) -> "OwnershipGraph":
        """A graph from ``entities`` rows and ``relationships`` rows.

        Rows are mappings with the tables' column names, or tuples in the order
        of ``ENTITY_COLUMNS`` and ``RELATIONSHIP_COLUMNS`` (faster).

        - ``as_of`` (ISO date): relationships that started later or had ended by
          then are left out; ``None`` keeps every relationship without an end date.
        - ``aliases``: entity id -> the entity it is known to be (a corporate
          owner named in someone's register, linked to its own register record).
        - ``reference_only``: entities known only as someone's owner, with no
          register record of their own; a path that ends there cannot be traced.
        - ``follow``: the interest types that make an owner.
        """
        with _collector_paused():
            return cls._build(
                entities, relationships, as_of=as_of, aliases=aliases, reference_only=reference_only, follow=follow
            )

    @classmethod
    def _build(cls, entities, relationships, *, as_of, aliases, reference_only, follow) -> "OwnershipGraph":
        graph = cls(as_of=str(as_of) if as_of else None)
        aliases = aliases or {}
        reference_only = set(reference_only)
        follow = frozenset(follow)
        public_form = _PUBLIC_FORM.search
        # One comprehension over the rows: this loop runs once per entity of the country.
        graph.entities.update(
            {
                entity_id: (
                    "public_body"  # e.g. a "Statutory Body" named as a PSC
                    if entity_type == "legal_person" and legal_form and public_form(legal_form)
                    else entity_type,
                    jurisdiction, status, bool(listed), name, entity_id in reference_only,
                )
                for entity_id, name, entity_type, jurisdiction, status, listed, legal_form
                in _as_tuples(entities, ENTITY_COLUMNS)
            }
        )
        as_of_text = graph.as_of
        edges = graph.edges
        lapsed = graph.lapsed
        bands: dict = {}  # (share_min, share_max) -> fraction interval; registers use a handful of bands
        wide: dict[str, dict] = {}  # subject with many owners -> {owner: edge}, so merging stays linear
        for rel_id, subject, party, interest, share_min, share_max, start, end, statement in _as_tuples(
            relationships, RELATIONSHIP_COLUMNS
        ):
            if interest not in follow:
                continue
            if aliases:
                subject = aliases.get(subject, subject)
            if start or end:
                if as_of_text is not None:
                    if start and str(start) > as_of_text:
                        continue
                    if end and str(end) <= as_of_text:
                        lapsed[subject] = max(str(end), lapsed.get(subject, ""))
                        continue
                elif end:
                    lapsed[subject] = max(str(end), lapsed.get(subject, ""))
                    continue
            if party is None:
                statement = statement or "owner not given"
                if statement in INFORMATIONAL_STATEMENTS or statement.startswith(EXEMPTION_PREFIXES):
                    continue  # an exemption: the entity is listed, and ends its paths as such
                band = bands.get((share_min, share_max))
                if band is None:
                    band = bands[(share_min, share_max)] = _band(share_min, share_max)
                edge = _Edge(None, band[0], band[1], (rel_id,), statement)
                owners = edges.get(subject)
                if owners is None:
                    edges[subject] = [edge]
                else:
                    owners.append(edge)
                continue
            if aliases:
                party = aliases.get(party, party)
            rank = _SHARE_RANK.get(interest, 2)
            if rank < 2:
                band = bands.get((share_min, share_max))
                if band is None:
                    band = bands[(share_min, share_max)] = _band(share_min, share_max)
                low, high = band
            else:
                low, high = 0.0, 1.0  # control alone: an unknown share
            owners = edges.get(subject)
            if owners is None:
                edges[subject] = [_Edge(party, low, high, (rel_id,), None, rank)]
                continue
            # Find the edge to the same owner, if any: a short scan, or an index for the few
            # subjects with very many owners.
            edge = None
            if len(owners) < 32:
                for known in owners:
                    if known.parent == party:
                        edge = known
                        break
            else:
                index = wide.get(subject)
                if index is None:
                    index = wide[subject] = {e.parent: e for e in owners if e.parent is not None}
                edge = index.get(party)
            if edge is None:
                edge = _Edge(party, low, high, (rel_id,), None, rank)
                owners.append(edge)
                if subject in wide:
                    wide[subject][party] = edge
                continue
            # Several relationships between the same two entities: shareholdings give
            # the share; failing those, voting rights stand in; control alone (board
            # appointment, influence) holds an unknown share, 0 to 100%. Several
            # holdings of one kind (directly and as trustee) hold at least the largest
            # lower bound and at most their sum.
            edge.relationship_ids = tuple(sorted(edge.relationship_ids + (rel_id,)))
            if rank < edge.rank:
                edge.low, edge.high = low, high
                edge.rank = rank
            elif rank == edge.rank and rank < 2:
                edge.low, edge.high = max(edge.low, low), min(1.0, edge.high + high)
        return graph

    # -- how a path ends -------------------------------------------------

    def classify(self, entity_id: str) -> tuple[str, bool, str]:
        """How a path ends at an entity with no current owners: (kind, traceable, rule in words)."""
        entity = self.entities.get(entity_id)
        if entity is None:
            return (
                "not_in_register",
                False,
                f"{entity_id} is in no register: no record of it was found (a company number "
                "that does not exist, or a register that was not collected)",
            )
        kind, jurisdiction, status, listed, name, reference_only = entity
        label = f"{name} ({entity_id})" if name else entity_id
        if kind == "person":
            return "person", True, f"ends at {label}, a natural person named in a public register"
        if kind == "super_secure":
            return "super_secure", False, f"ends at {label}, a super-secure owner whose details the register withholds"
        if listed:
            return "listed_company", True, f"ends at {label}, whose shares trade on a regulated market (PSC exemption)"
        if kind == "public_body":
            return "public_body", True, f"ends at {label}, a public body"
        if kind == "charity":
            return "charity", True, f"ends at {label}, a registered charity"
        if kind == "unknown":
            return "unknown_owner", False, f"ends at {label}, an owner the source does not identify"
        if kind == "legal_person":
            if name and _PUBLIC_NAME.search(name):
                return "public_body", True, f"ends at {label}, a legal person that is a public body"
            return "not_in_register", False, f"ends at {label}, a legal person that no public register records"
        if kind == "trust":
            return "unknown_owner", False, f"ends at {label}, a trust whose beneficial owners are not recorded"
        foreign = bool(jurisdiction) and jurisdiction != "GB" and not jurisdiction.startswith("GB-")
        if reference_only:
            if foreign:
                return (
                    "foreign_not_found",
                    False,
                    f"ends at {label}, a corporate owner registered in {jurisdiction} for which no register record was found",
                )
            return (
                "not_in_register",
                False,
                f"ends at {label}, a corporate owner whose registration number is in no register",
            )
        if foreign and kind != "overseas_entity":
            return (
                "foreign_not_found",
                False,
                f"ends at {label}, a company registered in {jurisdiction} whose owners no register records",
            )
        what = "an overseas entity" if kind == "overseas_entity" else "a company"
        files = "no beneficial owner and no statement" if kind == "overseas_entity" else "no PSC, no statement and no exemption"
        lapsed = self.lapsed.get(entity_id)
        if lapsed:
            return (
                "no_psc_filed",
                False,
                f"ends at {label}, {what} whose recorded owners had all ceased by {lapsed} and that files {files} since",
            )
        state = f"{status} " if status else ""
        return "no_psc_filed", False, f"ends at {label}, {state}{what} that files {files}"

    def _end_of(self, key: tuple) -> tuple[bool, str]:
        kind, end_id, detail = key
        if kind == "unknown_owner" and end_id is None:
            return False, f"the register declares the owner unknown: statement '{detail}'"
        if kind == "cycle":
            if self._cycle_reaches_owner.get(end_id):
                return True, (
                    f"the path returns to {end_id}, a cycle; other paths from the cycle reach "
                    "identified owners, so it hides none"
                )
            return False, f"the path returns to {end_id}, a cycle that reaches no identified owner"
        _, traceable, reason = self.classify(end_id)
        return traceable, reason

    # -- the analysis ------------------------------------------------------

    def analyse(self, progress=None) -> "OwnershipGraph":
        """Summarise every entity's path ends, owners first. Idempotent.

        ``progress`` is called with the number of entities summarised at each step.
        """
        if not self._analysed:
            with _collector_paused():
                self._summarise(self.edges, progress)
            self._analysed = True
        return self

    def _summarise(self, roots: Iterable[str], progress=None) -> None:
        """Summarise these entities and everything above them that is not summarised yet.

        One depth-first pass (Tarjan's strongly connected components, without
        recursion) that summarises each entity as soon as its owners are done, from
        their summaries. Entities with no current owners are path ends: they need no
        summary of their own. A component is summarised whole, so what is left to do
        is always closed upwards, and the pass can be repeated for more roots.
        """
        summary = self._summary
        edges = self.edges
        index: dict[str, int] = {}  # order of discovery
        low: dict[str, int] = {}  # least index reachable while on the stack
        stack: list[str] = []  # discovered, component not yet finished
        counter = 0
        for root in roots:
            if root in index or root in summary or root not in edges:
                continue
            index[root] = low[root] = counter
            counter += 1
            stack.append(root)
            work = [(root, iter(edges[root]))]
            while work:
                node, owners = work[-1]
                for edge in owners:
                    parent = edge.parent
                    if parent is None or parent in summary or parent not in edges:
                        continue  # an end, or done: no component to find above it
                    found = index.get(parent)
                    if found is None:
                        index[parent] = low[parent] = counter
                        counter += 1
                        stack.append(parent)
                        work.append((parent, iter(edges[parent])))
                        break
                    # Discovered and not summarised: on the stack, in the current component.
                    if found < low[node]:
                        low[node] = found
                else:
                    work.pop()
                    node_low = low[node]
                    if work:
                        caller = work[-1][0]
                        if node_low < low[caller]:
                            low[caller] = node_low
                    if node_low != index[node]:
                        continue
                    member = stack.pop()
                    if member == node:
                        result = self._summarise_acyclic(node, edges[node])
                        if result is None:  # it owns itself
                            self._summarise_cycle([node])
                        else:
                            summary[node] = result
                        if progress:
                            progress(1)
                        continue
                    component = [member]
                    while member != node:
                        member = stack.pop()
                        component.append(member)
                    self._summarise_cycle(component)
                    if progress:
                        progress(len(component))

    def _leaf_key(self, node: str) -> tuple:
        """The summary key of a path end at an entity with no current owners."""
        key = self._leaf_keys.get(node)
        if key is None:
            entity = self.entities.get(node)
            kind = "person" if entity is not None and entity[0] == "person" else self.classify(node)[0]
            key = self._leaf_keys[node] = (kind, node, None)
        return key

    def _summarise_acyclic(self, node: str, edges: list[_Edge]) -> dict | None:
        """A node's ends from its owners' summaries; None when it owns itself.

        Shares are at most 1 everywhere, so a product needs no cap; sums do.
        """
        summary = self._summary
        if len(edges) == 1:  # most entities: one owner, whose ends are this one's, scaled
            edge = edges[0]
            parent = edge.parent
            if parent is None:
                return {("unknown_owner", None, edge.statement): [edge.low, edge.high, 1, 1]}
            above = summary.get(parent)
            if above is None:
                if parent == node:
                    return None
                return {self._leaf_key(parent): [edge.low, edge.high, 1, 1]}
            low, high = edge.low, edge.high
            return {key: [lo * low, hi * high, depth + 1, count] for key, (lo, hi, depth, count) in above.items()}
        result: dict = {}
        for edge in edges:
            parent = edge.parent
            low, high = edge.low, edge.high
            if parent is None:
                _add(result, ("unknown_owner", None, edge.statement), low, high, 1, 1)
                continue
            above = summary.get(parent)
            if above is None:
                if parent == node:
                    return None
                _add(result, self._leaf_key(parent), low, high, 1, 1)
                continue
            for key, (lo, hi, depth, count) in above.items():
                entry = result.get(key)
                if entry is None:
                    result[key] = [lo * low, hi * high, depth + 1, count]
                else:
                    _merge(entry, lo * low, hi * high, depth + 1, count)
        return result

    def _summarise_cycle(self, component: list[str], max_steps: int = 100_000) -> None:
        """Entities that own each other: enumerate simple paths inside the cycle."""
        members = set(component)
        summary = self._summary
        results = {}
        for start in component:
            result: dict = {}
            steps = 0
            stack = [(start, 1.0, 1.0, 0, frozenset((start,)))]
            while stack:
                node, low, high, depth, on_path = stack.pop()
                steps += 1
                if steps > max_steps:
                    break
                for edge in self.edges.get(node, ()):
                    lo, hi = low * edge.low, high * edge.high
                    parent = edge.parent
                    if parent is None:
                        _add(result, ("unknown_owner", None, edge.statement), lo, hi, depth + 1, 1)
                    elif parent in on_path:
                        _add(result, ("cycle", parent, None), lo, hi, depth + 1, 1)
                    elif parent in members:
                        stack.append((parent, lo, hi, depth + 1, on_path | {parent}))
                    elif parent in summary:
                        for key, (plo, phi, pdepth, count) in summary[parent].items():
                            _add(result, key, lo * plo, hi * phi, depth + 1 + pdepth, count)
                    else:
                        _add(result, self._leaf_key(parent), lo, hi, depth + 1, 1)
            results[start] = result
        reaches = any(
            key[0] in TRACEABLE_ENDS for result in results.values() for key in result
        )
        for member in component:
            self._cycle_reaches_owner[member] = reaches
        summary.update(results)

    # -- answers -----------------------------------------------------------

    def ends(self, entity_id: str) -> list[End]:
        """Every way the paths above an entity end, with shares and counts."""
        summary = self._summary.get(entity_id)
        if summary is None and entity_id in self.edges:
            self._summarise((entity_id,))
            summary = self._summary[entity_id]
        if summary is None:
            kind, traceable, reason = self.classify(entity_id)
            return [End(kind, entity_id, None, traceable, reason, 100.0, 100.0, 0, 1)]
        result = []
        for key, (low, high, depth, count) in summary.items():
            traceable, reason = self._end_of(key)
            result.append(
                End(key[0], key[1], key[2], traceable, reason, _pct(low), _pct(high), depth, count)
            )
        return sorted(result, key=lambda e: (e.min_depth, e.kind, e.end_id or "", e.detail or ""))

    def traceable(self, entity_id: str) -> bool:
        """True when every path above the entity ends at an identified owner."""
        return all(end.traceable for end in self.ends(entity_id))

    def ultimate_owners(self, entity_id: str) -> list[Owner]:
        """The identified ultimate owners: persons, listed companies, public bodies, charities."""
        return [
            Owner(e.end_id, e.kind, e.share_min, e.share_max, e.min_depth, e.paths)
            for e in self.ends(entity_id)
            if e.kind in TRACEABLE_ENDS
        ]

    def ancestors(self, entity_id: str) -> dict[str, int]:
        """Every entity above this one (itself included) with its least depth."""
        seen = {entity_id: 0}
        frontier = [entity_id]
        depth = 0
        while frontier:
            depth += 1
            following = []
            for node in frontier:
                for edge in self.edges.get(node, ()):
                    if edge.parent is not None and edge.parent not in seen:
                        seen[edge.parent] = depth
                        following.append(edge.parent)
            frontier = following
        return seen

    def above(self, entity_ids: Iterable[str]) -> set[str]:
        """Every entity above any of these (themselves included), in one walk."""
        seen = set(entity_ids)
        frontier = list(seen)
        edges = self.edges
        while frontier:
            following = []
            for node in frontier:
                for edge in edges.get(node, ()):
                    parent = edge.parent
                    if parent is not None and parent not in seen:
                        seen.add(parent)
                        following.append(parent)
            frontier = following
        return seen

    def paths(self, entity_id: str, *, limit: int = 1000) -> Iterator[Path]:
        """Every path above an entity, depth first; at most ``limit`` of them."""
        self._summarise((entity_id,))  # a cycle's end says whether the cycle reaches an owner
        produced = 0
        stack = [((entity_id,), (), 1.0, 1.0)]
        while stack and produced < limit:
            nodes, rels, low, high = stack.pop()
            node = nodes[-1]
            edges = self.edges.get(node)
            if not edges:
                kind, traceable, reason = self.classify(node)
                yield Path(entity_id, nodes, rels, kind, node, traceable, reason, _pct(low), _pct(high))
                produced += 1
                continue
            for edge in reversed(edges):
                lo, hi = low * edge.low, high * edge.high
                step = rels + (edge.relationship_ids,)
                if edge.parent is None:
                    traceable, reason = self._end_of(("unknown_owner", None, edge.statement))
                    yield Path(entity_id, nodes, step, "unknown_owner", None, traceable, reason, _pct(lo), _pct(hi))
                    produced += 1
                elif edge.parent in nodes:
                    traceable, reason = self._end_of(("cycle", edge.parent, None))
                    yield Path(
                        entity_id, nodes + (edge.parent,), step, "cycle", edge.parent, traceable, reason,
                        _pct(lo), _pct(hi),
                    )
                    produced += 1
                else:
                    stack.append((nodes + (edge.parent,), step, lo, hi))


def _add(result: dict, key, low: float, high: float, depth: int, count: int) -> None:
    entry = result.get(key)
    if entry is None:
        result[key] = [min(low, 1.0), min(high, 1.0), depth, count]
    else:
        _merge(entry, low, high, depth, count)


def _merge(entry: list, low: float, high: float, depth: int, count: int) -> None:
    """Another path to an end already reached: shares add up to at most 100%."""
    low += entry[0]
    entry[0] = low if low < 1.0 else 1.0
    high += entry[1]
    entry[1] = high if high < 1.0 else 1.0
    if depth < entry[2]:
        entry[2] = depth
    entry[3] += count


@contextlib.contextmanager
def _collector_paused():
    """Pause the cyclic garbage collector while building millions of small objects.

    They form no reference cycles, yet each collection would walk all of them:
    without this, building and analysing a national graph takes twice as long.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _as_tuples(rows: Iterable, columns: tuple[str, ...]) -> Iterable[tuple]:
    """Rows as tuples in ``columns`` order: database rows pass through, mappings are read by name."""
    for row in rows:
        yield row if isinstance(row, tuple) else tuple(row.get(c) for c in columns)


def _pct(fraction: float) -> float:
    return round(fraction * 100, 6)


def _band(share_min, share_max) -> tuple[float, float]:
    """A relationship's share as a fraction interval; unknown bounds are 0 and 100%."""
    low = float(share_min) / 100 if share_min is not None else 0.0
    high = float(share_max) / 100 if share_max is not None else 1.0
    low, high = max(0.0, min(low, 1.0)), max(0.0, min(high, 1.0))
    return (low, high) if low <= high else (high, low)
