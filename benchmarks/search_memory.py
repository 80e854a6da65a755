"""Why a long search keeps a long memory: generated branch days planned with PyVRP's default
late-acceptance memory (300 iterations, the baseline) and with the planner's long one, at several
budgets, as the gap of each to the best plan either found for that day.

    uv run python benchmarks/search_memory.py [--seconds 5 10 15] [--memory 1000]
        [--branches 10] [--min-items 220] [--workers 2]

The days are `benchmarks/national_routes.py`'s (seeds from 100150, those of at least
`--min-items` items), each planned by `delivery.planning.model.plan_day` with one memory length
for every budget (`routing.plans.SEARCH_MEMORY`, overridden in the solver process). The planner
uses the long memory from 8 s of search (see `routing/plans.py`). About
branches × budgets' sum × 2 / workers seconds: 300 s with the defaults.
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics

from pyvrp.IteratedLocalSearch import IteratedLocalSearchParams

import routing.plans
from delivery.planning.services import solver_pool

try:
    from benchmarks.national_routes import branch_day, plan_branch
except ImportError:  # run as a script: its own folder is on the path, not the project's
    from national_routes import branch_day, plan_branch  # type: ignore[no-redef]

DEFAULT_MEMORY = IteratedLocalSearchParams().history_length
FIRST_SEED = 100_150
DAY_SIZES = (40, 400)  # national_routes' defaults: its days, seed for seed


def plan_with_memory(seed: int, memory: int, seconds: float) -> float:
    """The day's cost planned in `seconds` with a late-acceptance memory of `memory` iterations."""
    routing.plans.SEARCH_MEMORY = ((math.inf, memory),)
    return plan_branch(seed, *DAY_SIZES, seconds, morning=False)["cost"]


def main() -> None:
    """Plan every day with both memories at every budget; print the mean gaps."""
    args = _arguments()
    seeds = _seeds(args.branches, args.min_items)
    memories = (DEFAULT_MEMORY, args.memory)
    runs = [(seed, memory, seconds) for seed in seeds for memory in memories
            for seconds in args.seconds]
    with solver_pool(args.workers) as pool:  # the morning job's own processes
        costs = dict(zip(runs, (pool.map if pool else map)(plan_with_memory, *zip(*runs, strict=True)),
                         strict=True))
    best = {seed: min(costs[seed, m, s] for m in memories for s in args.seconds) for seed in seeds}
    print(f"{len(seeds)} branch days of {args.min_items}-400 items; mean gap to the best plan "
          f"either memory found for the day")
    print(f"{'memory':<16}" + "".join(f"{s:>9g} s" for s in args.seconds))
    for memory in memories:
        gaps = [statistics.fmean(100 * (costs[seed, memory, s] - best[seed]) / best[seed]
                                 for seed in seeds) for s in args.seconds]
        label = f"{memory}{' (baseline)' if memory == DEFAULT_MEMORY else ''}"
        print(f"{label:<16}" + "".join(f"{g:>9.2f} %" for g in gaps))


def _seeds(count: int, min_items: int) -> list[int]:
    seeds = (s for s in itertools.count(FIRST_SEED) if len(branch_day(s, *DAY_SIZES)[1]) >= min_items)
    return list(itertools.islice(seeds, count))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, nargs="+", default=[5.0, 10.0, 15.0])
    parser.add_argument("--memory", type=int, default=routing.plans.SEARCH_MEMORY[-1][1])
    parser.add_argument("--branches", type=int, default=10)
    parser.add_argument("--min-items", type=int, default=220)
    parser.add_argument("--workers", type=int, default=2)
    return parser.parse_args()


if __name__ == "__main__":
    main()
