"""How much the grid search for nearest alternative homes saves, against brute force.

Run by hand: ``python benchmarks/bench_risk_alternatives.py [HOMES]``. It places
HOMES random homes across England (about 15,000 care homes in reality), finds
the 5 nearest Good or Outstanding homes for a sample with both methods, checks
they agree, and prints the speed-up measured in the same run.
"""

import random
import sys
import time

from inspect_kit_risk.alternatives import Grid, haversine_km


def main(count: int = 15000, sample: int = 300) -> None:
    rng = random.Random(1)
    points = [(rng.uniform(50.0, 55.8), rng.uniform(-5.7, 1.8), n) for n in range(count)]
    good = [p for p in points if p[2] % 4]  # three in four rated Good or Outstanding
    queries = rng.sample(points, sample)

    started = time.perf_counter()
    grid = Grid(good)
    fast = [grid.nearest(lat, lon, 5, lambda other, me=me: other != me) for lat, lon, me in queries]
    grid_seconds = time.perf_counter() - started

    started = time.perf_counter()
    slow = [sorted((haversine_km(lat, lon, a, b), n) for a, b, n in good if n != me)[:5] for lat, lon, me in queries]
    brute_seconds = time.perf_counter() - started

    assert fast == slow, "grid and brute force disagree"
    print(f"{count:,} homes, {sample} queries: grid {grid_seconds:.3f}s, brute force {brute_seconds:.3f}s, "
          f"{brute_seconds / grid_seconds:.0f}x faster; whole country by grid ~{grid_seconds / sample * count:.1f}s, "
          f"by brute force ~{brute_seconds / sample * count:.0f}s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 15000)
