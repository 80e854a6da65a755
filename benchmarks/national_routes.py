"""The whole country before 08:00: every branch of a generated national day planned by a pool of
worker processes, the wall time, and the mean gap of a sample of branches to a long plan.

    uv run python benchmarks/national_routes.py [--branches 300] [--min-items 40]
        [--max-items 400] [--seconds 18] [--workers 2] [--sample 5] [--reference-seconds 60]
        [--seed 1]

Each branch is planned by `delivery.planning.model.plan_day`, the morning job's own planner, in
the morning job's own pool of solver processes (`services.solver_pool`) and with its share of
`--seconds` for the branch's size (`services.morning_budget_s`: all of it from 400 items, at
least a tenth), on the formula's travel times (haversine × circuity; no OSRM, no database): the
solver is what takes the time. A branch gets 40–400 items spread over a disc that grows
with their number (a third chose the morning, a third the afternoon), and one motorcycle
courier with a 40-item bag for every 35 items, 08:00–16:00. The gap compares the plan's cost
(distance plus the solver's price of each item left out) with a plan of the same branch given
`--reference-seconds`.

Target (issue 19): 300 branches within 30 minutes on the 2-core machine, mean sample gap ≤ 1 %.
The full run takes the branches' budgets over the workers (about 300 × 10 s / 2 ≈ 25 min) plus
the reference plans; a quick look: `--branches 20 --seconds 2 --sample 3 --reference-seconds 10`.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import time

from delivery.planning.model import PlanItem, Shift, Windows, plan_day
from delivery.planning.services import morning_budget_s, solver_pool
from routing.matrix import HaversineTimes
from routing.plans import DEFAULT_SKIP_PENALTY_M

# Iraq's inhabited box, roughly: depots are drawn inside it.
LAT_RANGE, LON_RANGE = (30.5, 36.8), (39.5, 47.5)
ITEMS_PER_COURIER, BAG = 35, 40
SHIFT = (8 * 3600, 16 * 3600)
WINDOWS = Windows(morning=(8 * 3600, 12 * 3600), afternoon=(12 * 3600, 16 * 3600),
                  otherwise=SHIFT)
SERVICE_S = 300


def branch_day(seed: int, min_items: int, max_items: int) -> tuple:
    """One branch's generated day: depot, items and shifts."""
    rng = random.Random(seed)
    depot = (rng.uniform(*LAT_RANGE), rng.uniform(*LON_RANGE))
    count = rng.randint(min_items, max_items)
    radius_m = 1500 + 15 * count
    items = []
    for n in range(count):
        r, angle = radius_m * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        items.append(PlanItem(
            item_id=n + 1, phone=f"+9647{seed % 100:02d}{n:07d}",
            lat=depot[0] + r * math.cos(angle) / 111_320,
            lon=depot[1] + r * math.sin(angle) / (111_320 * math.cos(math.radians(depot[0]))),
            window=rng.choice(["morning", "afternoon", None])))
    shifts = [Shift(courier_id=c + 1, username=f"c{c + 1}", vehicle="motorcycle",
                    capacity_items=BAG, start_s=SHIFT[0], end_s=SHIFT[1])
              for c in range(math.ceil(count / ITEMS_PER_COURIER))]
    return depot, items, shifts


def plan_branch(seed: int, min_items: int, max_items: int, seconds: float,
                morning: bool) -> dict:
    """Plan one branch's day, with the morning job's share of `seconds` for its size when
    `morning`, else `seconds`; its size, cost and wall time."""
    depot, items, shifts = branch_day(seed, min_items, max_items)
    budget = morning_budget_s(seconds, len(items)) if morning else seconds
    start = time.perf_counter()
    day = plan_day(depot, items, shifts, windows=WINDOWS, service_s=SERVICE_S,
                   times=HaversineTimes(), max_runtime_s=budget, seed=1)
    distance = sum(c.distance_m for c in day.couriers)
    return {"seed": seed, "items": len(items), "left_out": len(day.left_out),
            "distance_m": distance, "cost": distance + DEFAULT_SKIP_PENALTY_M * len(day.left_out),
            "wall_s": time.perf_counter() - start}


def main() -> None:
    """Plan the country, then the sample again at length; print the figures."""
    args = _arguments()
    seeds = [args.seed * 100_000 + n for n in range(args.branches)]
    print(f"{args.branches} branches of {args.min_items}-{args.max_items} items, "
          f"{args.seconds:g} s each, {args.workers} worker processes, {os.cpu_count()} cores")
    start = time.perf_counter()
    with solver_pool(args.workers) as pool:
        rows = list((pool.map if pool else map)(plan_branch, seeds, [args.min_items] * len(seeds),
                             [args.max_items] * len(seeds), [args.seconds] * len(seeds),
                             [True] * len(seeds)))
    wall = time.perf_counter() - start
    items = sum(r["items"] for r in rows)
    left = sum(r["left_out"] for r in rows)
    print(f"national day: {items} items, {left} left out, wall {wall:.1f} s "
          f"({wall / 60:.1f} min; target 30 min), slowest branch {max(r['wall_s'] for r in rows):.1f} s")
    sample = random.Random(args.seed).sample(rows, min(args.sample, len(rows)))
    with solver_pool(args.workers) as pool:
        long_rows = list((pool.map if pool else map)(plan_branch, [r["seed"] for r in sample],
                                  [args.min_items] * len(sample), [args.max_items] * len(sample),
                                  [args.reference_seconds] * len(sample),
                                  [False] * len(sample)))
    gaps = [100 * (r["cost"] - ref["cost"]) / ref["cost"] for r, ref in zip(sample, long_rows,
                                                                               strict=True)]
    for r, ref, gap in zip(sample, long_rows, gaps, strict=True):
        print(f"  branch {r['seed']}: {r['items']} items, {r['distance_m'] / 1000:.1f} km "
              f"({r['left_out']} left out) vs {ref['distance_m'] / 1000:.1f} km "
              f"({ref['left_out']}) at {args.reference_seconds:g} s: gap {gap:+.2f} %")
    print(f"mean sample gap {statistics.fmean(gaps):+.2f} % (target ≤ 1 %)")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--branches", type=int, default=300)
    parser.add_argument("--min-items", type=int, default=40)
    parser.add_argument("--max-items", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=18.0, help="ROUTE_PLAN_SECONDS")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=int, default=5)
    parser.add_argument("--reference-seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


if __name__ == "__main__":
    main()
