"""Route planner quality on the Solomon VRPTW benchmark and a generated Baghdad day.

    uv run python benchmarks/routes.py [--quick] [--only solomon|baghdad|assignment|budget]
                                       [--reference DIR] [--seed N] [--assignment-points N]

Every plan goes through `routing.plans.plan_routes` (Solomon via `routing.solomon.plan_solomon`)
and is re-checked by `routing.evaluate.evaluate_plan`. The baseline in the same run is PyVRP 0.14
called directly, with default parameters, on a problem built here independently of the planner.
PyVRP's search is single-threaded. The report ends with the intake's assignment throughput
(points per second into branch service areas, `benchmarks/assignment.py`, with its baselines).
`--only budget` times whole plans whose optional-stops fallback runs (bags hold every item, shifts
cannot serve them) against the `ROUTE_PLAN_SECONDS` they were given.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyvrp
from pyvrp.stop import MaxRuntime

from routing.evaluate import evaluate_plan
from routing.matrix import HaversineTimes
from routing.plans import DEFAULT_SKIP_PENALTY_M, Courier, PlanRequest, Stop, plan_routes
from routing.solomon import (
    PlanarTimes,
    SolomonInstance,
    plan_solomon,
    read_instance,
    solomon_request,
)

DEFAULT_REFERENCE = Path(__file__).resolve().parents[1] / "tests" / "data" / "routing"
QUICK_INSTANCES = ("C101", "C105", "R101", "R105", "R109", "RC101", "RC105")
BAGHDAD_BEST_KM = 395.96
BAGHDAD_COURIERS, BAGHDAD_CAPACITY = 6, 40
BAGHDAD_SHIFT = (8 * 3600 + 1800, 17 * 3600 + 1800)
ASSIGNMENT_AREAS = 300


def main() -> None:
    """Run the benchmark and print a table and a summary."""
    args = _arguments()
    runtimes = (1.0,) if args.quick else (1.0, 5.0)
    _print_load("start")
    if args.only in (None, "solomon"):
        _solomon(args.reference, args.quick, runtimes, args.seed)
    if args.only in (None, "baghdad"):
        _baghdad(args.reference / "baghdad-150.csv", runtimes, args.seed)
    if args.only == "budget":
        _budget(args.reference / "baghdad-150.csv", (1.0, 5.0, 10.0), args.seed)
    if args.only in (None, "assignment"):
        points = args.assignment_points or (100_000 if args.quick else 1_000_000)
        _assignment(points, ASSIGNMENT_AREAS)
    _print_load("end")


def _assignment(n_points: int, n_areas: int) -> None:
    try:
        from benchmarks.assignment import measure
    except ImportError:  # run as a script: its own folder is on the path, not the project's
        from assignment import measure  # type: ignore[no-redef]

    print(f"Assignment throughput: {n_points} random points into {n_areas} service areas")
    report = measure(n_points, n_areas)
    for name, rate in report["points_per_s"].items():
        speedup = report["assign_many_speedup"].get(name)
        versus = f"  (assign_many is {speedup}x faster)" if speedup else ""
        print(f"  {name:<28} {rate:>12,} points/s{versus}")
    print(f"  index build {report['index_build_s']} s; answers agree: {report['answers_agree']}")
    print()


def _print_load(when: str) -> None:
    # Run times are wall-clock: on a shared machine, fewer iterations fit in a second.
    one, five, fifteen = os.getloadavg()
    print(f"[{when}] load average {one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} CPUs")


def _solomon(reference: Path, quick: bool, runtimes: tuple[float, ...], seed: int) -> None:
    best_known = _best_known(reference / "instances.csv")
    names = QUICK_INSTANCES if quick else tuple(best_known)
    print(f"Solomon VRPTW, seed {seed}; gap % = (distance - best known) / best known")
    print("instance   best | per run time: distance, gap, routes, check, PyVRP-direct gap")
    rows = [_solomon_row(reference, name, best_known[name], runtimes, seed) for name in names]
    _solomon_summary(rows, runtimes)
    print()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few instances, 1 s only")
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=("solomon", "baghdad", "assignment", "budget"),
                        help="run one part only")
    parser.add_argument("--assignment-points", type=int, default=None,
                        help="points to assign (default 1,000,000; 100,000 with --quick)")
    return parser.parse_args()


def _best_known(path: Path) -> dict[str, float]:
    with path.open() as handle:
        return {row["name"]: float(row["bks"]) for row in csv.DictReader(handle)}


def _gap(value: float, best: float) -> float:
    return 100 * (value - best) / best


# ---------------------------------------------------------------------------------------------
# Solomon


def _solomon_row(reference: Path, name: str, best: float, runtimes: tuple[float, ...], seed: int) -> dict:
    instance = read_instance(reference / f"{name}.txt")
    row: dict = {"name": name}
    cells = [f"{name:<6} {best:>8.1f}"]
    for runtime in runtimes:
        plan = plan_solomon(instance, max_runtime_s=runtime, seed=seed)
        check = evaluate_plan(solomon_request(instance), plan, PlanarTimes())
        ours = check.total_distance_m / 10
        feasible = check.feasible and not plan.left_out
        direct = _direct_solomon(instance, runtime, seed)
        row[runtime] = (_gap(ours, best), feasible, _gap(direct, best))
        routes = sum(1 for route in plan.routes if route.visits)
        mark = "ok" if feasible else "INFEASIBLE"
        cells.append(f"{ours:>8.1f} {row[runtime][0]:>6.2f}% {routes:>3} {mark:<10} {row[runtime][2]:>6.2f}%")
    print(" | ".join(cells), flush=True)
    return row


def _direct_solomon(instance: SolomonInstance, runtime: float, seed: int) -> float:
    nodes = [instance.depot, *instance.customers]
    xy = np.array([(node.x, node.y) for node in nodes])
    distance = (np.sqrt(((xy[:, None] - xy[None, :]) ** 2).sum(axis=2)) * 10).astype(np.int64)
    data = pyvrp.ProblemData(
        locations=[pyvrp.Location(x=node.x, y=node.y) for node in nodes],
        clients=[
            pyvrp.Client(
                location=i + 1,
                delivery=[c.demand],
                service_duration=c.service * 10,
                tw_early=c.ready * 10,
                tw_late=c.due * 10,
            )
            for i, c in enumerate(instance.customers)
        ],
        depots=[pyvrp.Depot(location=0, tw_early=0, tw_late=instance.depot.due * 10)],
        vehicle_types=[
            pyvrp.VehicleType(
                num_available=instance.vehicles,
                capacity=[instance.capacity],
                tw_early=0,
                tw_late=instance.depot.due * 10,
            )
        ],
        distance_matrices=[distance],
        duration_matrices=[distance],
    )
    return _solve_directly(data, runtime, seed) / 10


def _solve_directly(data: pyvrp.ProblemData, runtime: float, seed: int) -> float:
    result = pyvrp.solve(data, MaxRuntime(runtime), seed=seed, collect_stats=False)
    return result.best.distance() if result.is_feasible() else float("nan")


def _solomon_summary(rows: list[dict], runtimes: tuple[float, ...]) -> None:
    print()
    for runtime in runtimes:
        gaps = [row[runtime][0] for row in rows]
        direct = [row[runtime][2] for row in rows]
        feasible = sum(row[runtime][1] for row in rows)
        print(
            f"{runtime:.0f} s: planner mean gap {statistics.fmean(gaps):.2f} %, "
            f"worst {max(gaps):.2f} %, feasible {feasible}/{len(rows)} "
            f"({100 * feasible / len(rows):.0f} %) | PyVRP direct mean "
            f"{statistics.fmean(direct):.2f} %, worst {max(direct):.2f} %"
        )


# ---------------------------------------------------------------------------------------------
# Baghdad-150


def baghdad_request(path: Path, *, skip_penalty: int | None) -> PlanRequest:
    """The generated Baghdad day as a branch request: 6 motorcycles, 40 items, 08:30-17:30."""
    with path.open() as handle:
        depot, *nodes = csv.DictReader(handle)
    stops = tuple(_baghdad_stop(node) for node in nodes)
    couriers = tuple(
        Courier(
            courier_id=f"courier-{k + 1}",
            vehicle="motorcycle",
            capacity_items=BAGHDAD_CAPACITY,
            shift_start_s=BAGHDAD_SHIFT[0],
            shift_end_s=BAGHDAD_SHIFT[1],
        )
        for k in range(BAGHDAD_COURIERS)
    )
    return PlanRequest(
        depot_lat=float(depot["lat"]),
        depot_lon=float(depot["lon"]),
        stops=stops,
        couriers=couriers,
        skip_penalty=skip_penalty,
    )


def _baghdad_stop(node: dict) -> Stop:
    return Stop(
        stop_id=node["node"],
        item_ids=tuple(f"{node['node']}.{k}" for k in range(int(node["demand"]))),
        lat=float(node["lat"]),
        lon=float(node["lon"]),
        window_start_s=int(node["tw_start_s"]),
        window_end_s=int(node["tw_end_s"]),
        service_s=int(node["service_s"]),
    )


def _baghdad(path: Path, runtimes: tuple[float, ...], seed: int) -> None:
    print(f"Baghdad-150 against the best plan seen ({BAGHDAD_BEST_KM} km), seed {seed}")
    times = HaversineTimes()
    modes: dict[str, Callable[[], PlanRequest]] = {
        "all stops required": lambda: baghdad_request(path, skip_penalty=None),
        "default skip penalty": lambda: baghdad_request(path, skip_penalty=DEFAULT_SKIP_PENALTY_M),
    }
    for runtime in runtimes:
        for label, make_request in modes.items():
            request = make_request()
            plan = plan_routes(request, times=times, max_runtime_s=runtime, seed=seed)
            check = evaluate_plan(request, plan, times)
            km = check.total_distance_m / 1000
            state = "ok" if check.feasible else f"{len(check.violations)} violations"
            print(
                f"{runtime:.0f} s  {label:<21} {km:8.2f} km  {_gap(km, BAGHDAD_BEST_KM):+6.2f} %"
                f"  left out {len(plan.left_out)}  {state}",
                flush=True,
            )
        direct = _solve_directly(_direct_baghdad(path), runtime, seed) / 1000
        print(
            f"{runtime:.0f} s  {'PyVRP direct':<21} {direct:8.2f} km  "
            f"{_gap(direct, BAGHDAD_BEST_KM):+6.2f} %",
            flush=True,
        )


def _budget(path: Path, budgets: tuple[float, ...], seed: int) -> None:
    print("Budget: Baghdad-150 with big bags and 2-hour shifts, so the fallback runs")
    times = HaversineTimes()
    base = baghdad_request(path, skip_penalty=DEFAULT_SKIP_PENALTY_M)
    couriers = tuple(
        Courier(courier_id=c.courier_id, vehicle=c.vehicle, capacity_items=1000,
                shift_start_s=c.shift_start_s, shift_end_s=c.shift_start_s + 2 * 3600)
        for c in base.couriers
    )
    request = PlanRequest(depot_lat=base.depot_lat, depot_lon=base.depot_lon, stops=base.stops,
                          couriers=couriers, skip_penalty=base.skip_penalty)
    for budget in budgets:
        started = time.monotonic()
        plan = plan_routes(request, times=times, max_runtime_s=budget, seed=seed)
        wall = time.monotonic() - started
        state = "ok" if evaluate_plan(request, plan, times).feasible else "INFEASIBLE"
        print(f"  ROUTE_PLAN_SECONDS {budget:>4.0f}: wall {wall:6.2f} s ({wall / budget:.2f}x)"
              f"  left out {len(plan.left_out)}  {state}", flush=True)


def _direct_baghdad(path: Path) -> pyvrp.ProblemData:
    with path.open() as handle:
        nodes = list(csv.DictReader(handle))
    points = [(float(n["lat"]), float(n["lon"])) for n in nodes]
    distance, duration = HaversineTimes().matrices(points, "motorcycle")
    start, end = BAGHDAD_SHIFT
    return pyvrp.ProblemData(
        locations=[pyvrp.Location(x=lon, y=lat) for lat, lon in points],
        clients=[
            pyvrp.Client(
                location=i,
                delivery=[int(n["demand"])],
                service_duration=int(n["service_s"]),
                tw_early=int(n["tw_start_s"]),
                tw_late=int(n["tw_end_s"]),
            )
            for i, n in enumerate(nodes)
            if i > 0
        ],
        depots=[pyvrp.Depot(location=0, tw_early=start, tw_late=end)],
        vehicle_types=[
            pyvrp.VehicleType(
                num_available=BAGHDAD_COURIERS,
                capacity=[BAGHDAD_CAPACITY],
                tw_early=start,
                tw_late=end,
            )
        ],
        distance_matrices=[distance],
        duration_matrices=[duration],
    )


if __name__ == "__main__":
    main()
