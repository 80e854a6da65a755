"""Assignment of points to branch service areas: `AreaIndex.assign_many` (grid lookup, all
rules) against baselines measured in the same run: an STRtree query of every point followed by
`contains_xy`, an STRtree `within` query, and a plain Python loop.

    uv run python benchmarks/assignment.py [--points 1000000] [--areas 300]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, box

from routing.assign import AreaIndex

BAGHDAD_BOX = (44.0, 33.0, 44.8, 33.6)  # lon/lat bounds the areas tile
LOOP_POINTS = 20_000


def tessellation(n_areas: int, rng: np.random.Generator) -> list[tuple[str, Any]]:
    """Voronoi cells of random sites, clipped to the Baghdad box, one per branch code."""
    min_lon, min_lat, max_lon, max_lat = BAGHDAD_BOX
    sites = np.column_stack((rng.uniform(min_lon, max_lon, n_areas),
                             rng.uniform(min_lat, max_lat, n_areas)))
    frame = box(*BAGHDAD_BOX)
    cells = shapely.voronoi_polygons(MultiPoint(sites), extend_to=frame, ordered=True)
    clipped = shapely.intersection(shapely.get_parts(cells), frame)
    return [(f"BR-{i:04d}", cell) for i, cell in enumerate(clipped)]


def branch_points(areas: list[tuple[str, Any]]) -> list[tuple[str, str, float, float, bool]]:
    """One branch per area, at a point inside it."""
    return [(code, "IQ-BG", p.y, p.x, i == 0)
            for i, (code, cell) in enumerate(areas)
            for p in [cell.representative_point()]]


def random_points(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points over the box: (lats, lons)."""
    min_lon, min_lat, max_lon, max_lat = BAGHDAD_BOX
    return rng.uniform(min_lat, max_lat, n), rng.uniform(min_lon, max_lon, n)


def timed(function: Callable[[], Any]) -> tuple[Any, float]:
    """The function's result and its wall-clock duration in seconds."""
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def within_query(index: AreaIndex, lats: np.ndarray, lons: np.ndarray) -> list[str | None]:
    """Baseline: STRtree `within` predicate over all points, first (lowest-index) hit wins."""
    point_idx, polygon_idx = index.tree.query(shapely.points(lons, lats), predicate="within")
    best = np.full(len(lats), len(index.polygons), dtype=np.intp)
    np.minimum.at(best, point_idx, polygon_idx)
    codes = np.array([*index.area_codes, None], dtype=object)
    return codes[best].tolist()


def python_loop(index: AreaIndex, lats: np.ndarray, lons: np.ndarray) -> list[str | None]:
    """Baseline: one point at a time, tree candidates then `polygon.contains(Point)`."""
    codes = index.area_codes
    found: list[str | None] = []
    for lat, lon in zip(lats.tolist(), lons.tolist(), strict=True):
        point = Point(lon, lat)
        hits = [i for i in sorted(index.tree.query(point)) if index.polygons[i].contains(point)]
        found.append(codes[hits[0]] if hits else None)
    return found


def measure(n_points: int = 1_000_000, n_areas: int = 300, *, seed: int = 7,
            loop_points: int = LOOP_POINTS) -> dict[str, Any]:
    """Points per second of the vectorised path and both baselines, and their ratios."""
    rng = np.random.default_rng(seed)
    areas = tessellation(n_areas, rng)
    index, build_s = timed(lambda: AreaIndex(areas, branch_points(areas)))
    lats, lons = random_points(n_points, rng)
    governorates = ["IQ-BG"] * n_points
    (codes, _), vector_s = timed(
        lambda: index.assign_many(lats, lons, governorates, max_nearest_km=25.0))
    tree_hits, tree_s = timed(lambda: index.area_hits_strtree(lats, lons))
    within_codes, within_s = timed(lambda: within_query(index, lats, lons))
    loop_n = min(loop_points, n_points)
    loop_codes, loop_s = timed(lambda: python_loop(index, lats[:loop_n], lons[:loop_n]))
    tree_codes = np.array([*index.area_codes, None], dtype=object)[tree_hits].tolist()
    agree = codes == within_codes == tree_codes and codes[:loop_n] == loop_codes
    rates = {"assign_many": n_points / vector_s, "strtree_points_contains_xy": n_points / tree_s,
             "strtree_within_query": n_points / within_s, "python_loop": loop_n / loop_s}
    return _report(n_points, n_areas, loop_n, build_s, rates, agree=agree)


def _report(n_points: int, n_areas: int, loop_n: int, build_s: float,
            rates: dict[str, float], *, agree: bool) -> dict[str, Any]:
    vector_rate = rates["assign_many"]
    return {
        "points": n_points, "areas": n_areas, "loop_points": loop_n,
        "index_build_s": round(build_s, 4),
        "points_per_s": {name: round(rate) for name, rate in rates.items()},
        "assign_many_speedup": {name: round(vector_rate / rate, 2)
                                for name, rate in rates.items() if name != "assign_many"},
        "answers_agree": agree,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--areas", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(measure(args.points, args.areas, seed=args.seed), indent=2))


if __name__ == "__main__":
    main()
