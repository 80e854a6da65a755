"""Routes over HTTP: a courier's own stops; a branch's plan for supervisors as JSON (the page
and its picture are the console's, `delivery/console/routes/`)."""

from __future__ import annotations

import datetime as dt

import asyncpg
from litestar import Controller, Response, get, post

from delivery.planning import services, views
from delivery.planning.model import local_day
from delivery.platform.errors import NotAllowed
from delivery.platform.requests import NO_STORE
from delivery.platform.settings import Settings
from delivery.staff.auth import STAFF_DEPENDENCIES, StaffUser, require_roles


class CourierRoutesController(Controller):
    tags = ["routes"]
    dependencies = STAFF_DEPENDENCIES
    guards = [require_roles("courier")]
    security = [{"staffToken": []}]

    @get("/v1/routes/mine", summary="My stops for the day, in order")
    async def mine(self, conn: asyncpg.Connection, staff: StaffUser,
                   date: dt.date | None = None) -> Response[views.MyRouteOut]:
        """The plan in force for the courier's branch (`?date=`, default today in Baghdad):
        ordered stops with planned windows, masked contacts, and notices of changes."""
        day = date or local_day(dt.datetime.now(dt.UTC))
        route = await views.my_route(conn, courier_id=staff.id, branch_code=staff.site_code,
                                     day=day)
        return Response(route, headers=NO_STORE)


class BranchRoutesController(Controller):
    tags = ["routes"]
    dependencies = STAFF_DEPENDENCIES
    guards = [require_roles("supervisor", "admin")]
    security = [{"staffToken": []}]

    @get("/v1/ops/routes/{branch:str}/{day:date}", summary="A branch's plan for a day (JSON)")
    async def plan_json(self, conn: asyncpg.Connection, staff: StaffUser, branch: str,
                        day: dt.date, version: int | None = None) -> Response[views.BranchPlanOut]:
        """The plan in force (or `?version=`): couriers, ordered stops, left-out items. A
        supervisor's own branch only."""
        _supervises(staff, branch)
        plan = await views.branch_plan(conn, branch, day, version)
        return Response(plan, headers=NO_STORE)

    @post("/v1/ops/routes/{branch:str}/{day:date}/plan", status_code=200,
          summary="Plan a branch's day again, now")
    async def plan_now(self, conn: asyncpg.Connection, settings: Settings, staff: StaffUser,
                       branch: str, day: dt.date) -> Response[views.PlanRunOut]:
        """Plans the day at once, as the morning job and `tasheel routes plan` do: one planner
        of a branch's day at a time, a new version only when what the plan depends on changed
        (couriers whose route changes are told), a few seconds of solver time. Today or a later
        working day of the branch (a 422 names `path:day` otherwise). Answers with what was done
        and the version in force."""
        _supervises(staff, branch)
        outcome = await services.plan_branch_day(
            conn, settings, branch, day, trigger="api", working_days_only=True,
            max_runtime_s=min(settings.route_plan_seconds, services.REQUEST_PLAN_SECONDS))
        return Response(await views.plan_run(conn, outcome), headers=NO_STORE)


def _supervises(staff: StaffUser, branch: str) -> None:
    """A plan shows citizens' stops: only its branch's supervisors and administrators see it."""
    if staff.role != "admin" and staff.site_code != branch:
        raise NotAllowed(f"{staff.username} supervises {staff.site_code}, not {branch}")


HANDLERS = [CourierRoutesController, BranchRoutesController]
