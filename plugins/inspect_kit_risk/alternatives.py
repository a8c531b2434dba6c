"""The nearest alternative homes: same service type, rated Good or Outstanding, outside the group.

A family should not learn from a newspaper that the nearest bed is forty miles
away. Homes are bucketed in a grid of latitude and longitude so that the search
stays near-linear for the whole country.
"""

from __future__ import annotations

import heapq
import json
import math
from collections import defaultdict
from typing import Any, Iterator

from inspect_kit import BuildContext, Scorer

from . import reading
from .groups import home_groups
from .tables import AlternativeHome

EARTH_KM = 6371.0088
KM_PER_DEGREE = 111.19


def haversine_km(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(min(1.0, a)))


def service_types(home: dict) -> set[str]:
    found = set()
    for item in reading.json_list(home.get("service_types")):
        if isinstance(item, dict):
            item = item.get("name") or item.get("description")
        if item:
            found.add(" ".join(str(item).lower().split()))
    if not found and home.get("care_home") is not None:
        found.add("care home" if home["care_home"] else "other")
    return found


def _ring(ci: int, cj: int, ring: int):
    """The cells at Chebyshev distance ``ring`` from (ci, cj)."""
    if ring == 0:
        yield ci, cj
        return
    for j in range(cj - ring, cj + ring + 1):
        yield ci - ring, j
        yield ci + ring, j
    for i in range(ci - ring + 1, ci + ring):
        yield i, cj - ring
        yield i, cj + ring


class Grid:
    """Points bucketed in cells of ``cell`` degrees, searched ring by ring."""

    def __init__(self, points: list[tuple[float, float, Any]], cell: float = 0.2):
        self.cell = cell
        self.cells: dict[tuple[int, int], list] = defaultdict(list)
        for lat, lon, item in points:
            self.cells[self._key(lat, lon)].append((lat, lon, item))
        lats = [lat for lat, _, _ in points] or [0.0]
        # The narrowest cell, in km: longitude shrinks towards the pole.
        self.min_cell_km = cell * KM_PER_DEGREE * math.cos(math.radians(max(abs(min(lats)), abs(max(lats)))))
        keys = list(self.cells) or [(0, 0)]
        self.bounds = (min(i for i, _ in keys), max(i for i, _ in keys),
                       min(j for _, j in keys), max(j for _, j in keys))

    def _key(self, lat, lon):
        return (math.floor(lat / self.cell), math.floor(lon / self.cell))

    def nearest(self, lat, lon, k, accept) -> list[tuple[float, Any]]:
        """The ``k`` nearest accepted items, nearest first."""
        ci, cj = self._key(lat, lon)
        best: list[tuple[float, int, Any]] = []  # max-heap by negated distance
        counter = 0
        imin, imax, jmin, jmax = self.bounds
        for ring in range(max(ci - imin, imax - ci, cj - jmin, jmax - cj, 0) + 1):
            for i, j in _ring(ci, cj, ring):
                for plat, plon, item in self.cells.get((i, j), ()):
                    if not accept(item):
                        continue
                    d = haversine_km(lat, lon, plat, plon)
                    counter += 1
                    if len(best) < k:
                        heapq.heappush(best, (-d, counter, item))
                    elif d < -best[0][0]:
                        heapq.heapreplace(best, (-d, counter, item))
            if len(best) >= k and -best[0][0] <= ring * self.min_cell_km:
                break
        return sorted((-d, item) for d, _, item in best)


class AlternativesScorer(Scorer):
    name = "alternatives"
    description = (
        "Fills alternative_homes: for each home, the nearest homes of the same service type rated "
        "Good or Outstanding that belong to another group, with distances."
    )
    version = "1"
    defaults = {"count": 5, "ratings": ["Good", "Outstanding"], "min_share": 50, "cell_degrees": 0.2}

    def score(self, context: BuildContext) -> Iterator[Any]:
        settings = context.settings(self)
        conn = context.registry.conn
        homes = {i: h for i, h in reading.homes(conn).items()
                 if h["latitude"] is not None and h["longitude"] is not None}
        groups = {i: set(found) for i, found in
                  home_groups(conn, reading.Chains.load(conn), settings["min_share"]).items()}
        no_groups: set[str] = set()
        types = {i: service_types(h) for i, h in homes.items()}
        good = {r.lower() for r in settings["ratings"]}
        grid = Grid(
            [(h["latitude"], h["longitude"], i) for i, h in homes.items() if (h["rating"] or "").lower() in good],
            cell=settings["cell_degrees"],
        )
        for location_id, home in context.progress(homes.items(), desc="alternatives"):
            own_groups = groups.get(location_id, no_groups)
            wanted = types[location_id]

            def accept(other_id, location_id=location_id, own_groups=own_groups, wanted=wanted):
                return (
                    other_id != location_id
                    and own_groups.isdisjoint(groups.get(other_id, no_groups))
                    and (not wanted or bool(wanted & types[other_id]))
                )

            for rank, (distance, other_id) in enumerate(
                grid.nearest(home["latitude"], home["longitude"], settings["count"], accept), 1
            ):
                other = homes[other_id]
                yield AlternativeHome(
                    location_id=location_id,
                    rank=rank,
                    alternative_id=other_id,
                    alternative_name=other["name"],
                    distance_km=round(distance, 2),
                    distance_miles=round(distance / 1.609344, 2),
                    rating=other["rating"],
                    beds=other["beds"],
                    local_authority=other["local_authority"],
                    same_local_authority=other["local_authority"] == home["local_authority"],
                    service_types=json.dumps(sorted(wanted & types[other_id])),
                )
