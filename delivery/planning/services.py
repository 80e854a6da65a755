"""Planning a branch's day and reading plans back: for the CLI, the cron, couriers, supervisors.

A plan is stored as a new version only when what it depends on changed (items, their windows and
points, couriers and their shifts): planning twice, or on two workers at once, yields one version.
An advisory lock per branch and day makes the second planner wait and then find the first's plan.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor

import asyncpg
import msgspec
import numpy as np

from delivery.planning import store
from delivery.planning.model import (
    DayPlan,
    PlanItem,
    Shift,
    Windows,
    branch_hours,
    changed_couriers,
    hours_s,
    inputs_digest,
    local_day,
    plan_day,
    seconds_into,
    speeds_kmh,
)
from delivery.planning.shifts import shifts_on
from delivery.platform.errors import FieldError, InvalidInput, NotFound
from delivery.platform.settings import Settings
from delivery.sites import calendar
from routing.matrix import HaversineTimes, OsrmTimes, Point, TravelTimes

log = logging.getLogger(__name__)

PLANNED, UNCHANGED, NOTHING = "planned", "unchanged", "nothing to plan"
# The morning job's budget per branch (`morning_budget_s`).
FULL_BUDGET_ITEMS = 400
MIN_BUDGET_SHARE = 0.1
# Someone waits for a plan asked for from the console or the API: a few seconds, not the cron's.
REQUEST_PLAN_SECONDS = 3.0
DAY_FIELD = "path:day"


class PlanOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """What a planning run did; `day_plan` is the new plan when one was made."""

    branch: str
    day: dt.date
    status: str  # planned | unchanged | nothing to plan
    version: int | None
    items_routed: int = 0
    items_left_out: int = 0
    total_distance_m: int = 0
    travel_source: str | None = None
    notified: tuple[int, ...] = ()
    day_plan: DayPlan | None = None


# ---------------------------------------------------------------------------------------------
# Travel times


class _CountingTimes:
    """Passes calls through and counts them: tells whether OSRM's fallback was needed."""

    def __init__(self, inner: TravelTimes) -> None:
        self.inner = inner
        self.calls = 0

    def matrices(self, points: Sequence[Point], vehicle: str) -> tuple[np.ndarray, np.ndarray]:
        """The inner provider's matrices."""
        self.calls += 1
        return self.inner.matrices(points, vehicle)


class TravelSetup(msgspec.Struct, kw_only=True):
    """The provider to plan with and what it will have used."""

    times: TravelTimes
    fallback: _CountingTimes | None

    @property
    def source(self) -> str:
        """'haversine', 'osrm', or 'haversine_fallback' when OSRM failed at least once."""
        if self.fallback is None:
            return "haversine"
        return "haversine_fallback" if self.fallback.calls else "osrm"


def travel_setup(settings: Settings) -> TravelSetup:
    """Haversine × circuity at each vehicle's speed; OSRM first when `OSRM_URL` is set."""
    haversine = HaversineTimes(settings.route_circuity, speeds_kmh(settings.route_speeds_kmh))
    if not settings.osrm_url:
        return TravelSetup(times=haversine, fallback=None)
    counted = _CountingTimes(haversine)
    osrm = OsrmTimes(settings.osrm_url, fallback=counted, timeout_s=settings.osrm_timeout_s,
                     max_table_size=settings.osrm_max_table_size)
    return TravelSetup(times=osrm, fallback=counted)


# ---------------------------------------------------------------------------------------------
# Planning


def solve_day(settings: Settings, depot: Point, items: list[PlanItem], shifts: list[Shift], *,
              windows: Windows, max_runtime_s: float, not_before_s: int,
              seed: int) -> tuple[DayPlan, str]:
    """The day's plan and where its travel times came from: the CPU-bound part of planning, run
    in a thread, or in a worker process of the morning job's pool (hence a function of plain
    values, the travel provider built where it is used)."""
    travel = travel_setup(settings)
    day_plan = plan_day(depot, items, shifts, windows=windows, service_s=settings.route_service_s,
                        times=travel.times, max_runtime_s=max_runtime_s,
                        not_before_s=not_before_s, seed=seed)
    return day_plan, travel.source


@contextlib.contextmanager
def solver_pool(workers: int) -> Iterator[Executor | None]:
    """Processes that solve branches side by side (PyVRP holds the GIL: threads would take
    turns); None, the default thread, for one worker. Spawned, not forked: the parent runs an
    event loop and connection pools that a forked child must not inherit."""
    if workers <= 1:
        yield None
        return
    with ProcessPoolExecutor(max_workers=workers,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


def morning_budget_s(plan_seconds: float, items: int) -> float:
    """The morning job's time for one branch: `ROUTE_PLAN_SECONDS` for a day of
    FULL_BUDGET_ITEMS items or more, a proportional share for a smaller one, never less than a
    tenth. A small day's search settles in a second or two; the time saved goes to the large
    days, and is what plans a whole country before the branches open."""
    share = min(1.0, max(MIN_BUDGET_SHARE, items / FULL_BUDGET_ITEMS))
    return plan_seconds * share


async def plan_branch_day(conn: asyncpg.Connection, settings: Settings, branch_code: str,
                          day: dt.date, *, trigger: str = "cli", now: dt.datetime | None = None,
                          max_runtime_s: float | Callable[[int], float] | None = None,
                          force: bool = False,
                          seed: int = 1, working_days_only: bool = False,
                          solver: Executor | None = None) -> PlanOutcome:
    """Plan (or re-plan) a branch's day; a new version only when its inputs changed or `force`.
    With `working_days_only`, a day the branch does not work is refused. `max_runtime_s` may be
    a function of the day's item count (the morning job's); `solver` is where the plan is
    solved (a process pool; by default a thread)."""
    now = now or dt.datetime.now(dt.UTC)
    branch = await store.get_branch(conn, branch_code)
    if branch is None or branch["kind"] != "branch":
        raise NotFound(f"no branch {branch_code}")
    if day < local_day(now):
        raise InvalidInput(f"{day.isoformat()} is in the past; plans are for today or later",
                           errors=[FieldError(field=DAY_FIELD, message="in the past: plans are "
                                              "for today or later")])
    if working_days_only and not await works_on(conn, settings, branch["governorate"], day):
        raise InvalidInput(f"{branch_code} does not work on {day.isoformat()}", errors=[
            FieldError(field=DAY_FIELD, message=f"not a working day of {branch_code} "
                       f"({day:%A}, or a holiday)")])
    async with conn.transaction():
        await store.lock_plan(conn, branch["id"], day)
        return await _plan_locked(conn, settings, branch, day, trigger=trigger, now=now,
                                  max_runtime_s=max_runtime_s or settings.route_plan_seconds,
                                  force=force, seed=seed, solver=solver)


async def _plan_locked(conn: asyncpg.Connection, settings: Settings, branch: asyncpg.Record,
                       day: dt.date, *, trigger: str, now: dt.datetime,
                       max_runtime_s: float | Callable[[int], float], force: bool, seed: int,
                       solver: Executor | None) -> PlanOutcome:
    today = local_day(now) == day
    items = await store.candidates(conn, branch["id"], day, with_carried=today)
    shifts = await shifts_on(conn, settings, branch["id"], day)
    windows = day_windows(settings, branch["opening_hours"], day)
    depot = (branch["lat"], branch["lon"])
    digest = inputs_digest(depot, items, shifts, {"windows": msgspec.to_builtins(windows),
                                                  "service_s": settings.route_service_s})
    latest = await store.latest_plan(conn, branch["id"], day)
    if latest is not None and latest["inputs_digest"] == digest and not force:
        return PlanOutcome(branch=branch["code"], day=day, status=UNCHANGED,
                           version=latest["version"])
    if not items and latest is None:
        return PlanOutcome(branch=branch["code"], day=day, status=NOTHING, version=None)
    budget = max_runtime_s(len(items)) if callable(max_runtime_s) else max_runtime_s
    day_plan, travel_source = await asyncio.get_running_loop().run_in_executor(
        solver, functools.partial(
            solve_day, settings, depot, items, shifts, windows=windows, max_runtime_s=budget,
            not_before_s=max(0, seconds_into(day, now)) if today else 0, seed=seed))
    version = (latest["version"] if latest else 0) + 1
    header = await store.insert_plan(conn, branch_id=branch["id"], day=day, version=version,
                                     trigger=trigger, digest=digest,
                                     travel_source=travel_source, plan=day_plan)
    notified = await _tell_changed(conn, latest, header["id"], day, version, day_plan,
                                   at=header["created_at"])
    outcome = _outcome(branch["code"], day, version, travel_source, day_plan, notified)
    log.info("route plan stored", extra={"branch": branch["code"], "day": day.isoformat(),
                                         "version": version, "routed": outcome.items_routed,
                                         "left_out": outcome.items_left_out})
    return outcome


def day_windows(settings: Settings, opening_hours: list, day: dt.date) -> Windows:
    """The citizen's windows as hours, and the branch's hours that day for everyone else."""
    return Windows(morning=hours_s(settings.route_morning),
                   afternoon=hours_s(settings.route_afternoon),
                   otherwise=branch_hours(opening_hours or [], day) or
                   hours_s(settings.route_delivery_hours))


async def _tell_changed(conn: asyncpg.Connection, previous: asyncpg.Record | None, plan_id: int,
                        day: dt.date, version: int, day_plan: DayPlan,
                        at: dt.datetime) -> tuple[int, ...]:
    if previous is None:
        return ()
    before = await store.stop_items(conn, previous["id"])
    after = {c.shift.courier_id: [tuple(int(i) for i in p.stop.item_ids) for p in c.stops]
             for c in day_plan.couriers if c.stops}
    changed = changed_couriers(before, after)
    await store.insert_notices(conn, plan_id=plan_id, day=day, version=version, couriers=changed,
                               detail=f"your route changed (plan version {version})", at=at)
    return tuple(changed)


def _outcome(code: str, day: dt.date, version: int, source: str, day_plan: DayPlan,
             notified: tuple[int, ...]) -> PlanOutcome:
    return PlanOutcome(
        branch=code, day=day, status=PLANNED, version=version,
        items_routed=day_plan.items_routed, items_left_out=len(day_plan.left_out),
        total_distance_m=sum(c.distance_m for c in day_plan.couriers), travel_source=source,
        notified=notified, day_plan=day_plan)


async def works_on(conn: asyncpg.Connection, settings: Settings, governorate: str,
                   day: dt.date) -> bool:
    """Whether branches of the governorate work on `day`: not a weekend, nor a national holiday
    (configured or stored), nor the governorate's own."""
    closed = calendar.parse_holidays(settings.holidays) | await calendar.stored_holidays(
        conn, day, day, governorate)
    return calendar.is_working_day(day, closed)


async def working_branches(conn: asyncpg.Connection, settings: Settings,
                           day: dt.date) -> list[str]:
    """Codes of the branches with home deliveries waiting that work on `day`."""
    rows = await store.branches_to_plan(conn, day)
    open_in = {g: await works_on(conn, settings, g, day) for g in {r["governorate"] for r in rows}}
    closed = [r["code"] for r in rows if not open_in[r["governorate"]]]
    if closed:
        log.info("route planning skipped: not a working day",
                 extra={"day": day.isoformat(), "branches": len(closed)})
    return [r["code"] for r in rows if open_in[r["governorate"]]]


async def plan_every_branch(pool: asyncpg.Pool, settings: Settings, day: dt.date, *,
                            trigger: str, now: dt.datetime | None = None) -> list[PlanOutcome]:
    """Plan each branch with home deliveries waiting that works that day, `ROUTE_PLAN_WORKERS`
    at a time, each in its own solver process and with its share of the time
    (`morning_budget_s`); one failing branch does not stop the rest."""
    async with pool.acquire() as conn:
        codes = await working_branches(conn, settings, day)
    workers = max(1, min(settings.route_plan_workers, len(codes)))
    turns = asyncio.Semaphore(workers)
    budget = functools.partial(morning_budget_s, settings.route_plan_seconds)

    async def plan(code: str, solver: Executor | None) -> PlanOutcome | None:
        async with turns:
            try:
                async with pool.acquire() as conn:
                    return await plan_branch_day(conn, settings, code, day, trigger=trigger,
                                                 now=now, max_runtime_s=budget, solver=solver)
            except Exception:
                log.exception("route planning failed", extra={"branch": code})
                return None

    with solver_pool(workers) as solver:
        outcomes = await asyncio.gather(*(plan(code, solver) for code in codes))
    return [o for o in outcomes if o is not None]
