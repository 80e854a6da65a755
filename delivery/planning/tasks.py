"""The morning plan: every branch's day, planned at ROUTE_PLAN_HOUR (Asia/Baghdad), once the
chosen days that went by are moved on (`carry_over`). Branches are planned on their working days
only: not on Fridays and Saturdays, national holidays, or their governorate's own.

arq evaluates cron schedules in the worker's own time zone, so the job runs every hour and acts at
the configured Baghdad hour, or later that day if no plan was made yet (a worker that was down
at that hour catches up). Safe with several workers: arq starts each cron run once, and a second
planner of a branch's day waits on its advisory lock and then finds the plan already made.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from arq.cron import cron

from delivery.planning import services, store
from delivery.planning.carry_over import carry_over
from delivery.planning.model import BAGHDAD, local_day
from delivery.platform.settings import Settings
from delivery.sites.calendar import parse_holidays


async def plan_routes_job(ctx: dict[str, Any], *, now: dt.datetime | None = None) -> int:
    """Plan every branch when it is time; returns how many new plan versions were stored."""
    settings: Settings = ctx["settings"]
    now = now or dt.datetime.now(dt.UTC)
    if not await due(ctx["pool"], settings, now):
        return 0
    async with ctx["pool"].acquire() as conn:
        await carry_over(conn, today=local_day(now), holidays=parse_holidays(settings.holidays),
                         now=now)
    outcomes = await services.plan_every_branch(ctx["pool"], settings, local_day(now),
                                                trigger="cron", now=now)
    return sum(o.status == services.PLANNED for o in outcomes)


async def due(pool: Any, settings: Settings, now: dt.datetime) -> bool:
    """At the planning hour; or after it when no morning plan was made today."""
    hour = now.astimezone(BAGHDAD).hour
    if hour == settings.route_plan_hour:
        return True
    if hour < settings.route_plan_hour:
        return False
    async with pool.acquire() as conn:
        return not await conn.fetchval(store.PLANNED_TODAY, local_day(now))


# A national day takes about a quarter of an hour on two cores (benchmarks/national_routes.py);
# the job may run until the branches open, two hours after the default planning hour: cut short,
# the branches not yet planned would wait for tomorrow (a later run finds today already planned).
CRON_JOBS = [cron(plan_routes_job, minute={5}, run_at_startup=False, timeout=2 * 3600)]
