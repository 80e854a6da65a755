"""Routes over HTTP: a courier's own stops; a branch's plan for supervisors (JSON, SVG, page)."""

from __future__ import annotations

import datetime as dt
from html import escape

import asyncpg
from litestar import Controller, Response, get

from delivery.planning import views
from delivery.planning.model import local_day
from delivery.platform.errors import NotAllowed
from delivery.staff.auth import STAFF_DEPENDENCIES, StaffUser, require_roles

NO_STORE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
PAGE_HEADERS = {
    **NO_STORE, "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                               "frame-ancestors 'none'; base-uri 'none'",
}


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

    @get("/ops/routes/{branch:str}/{day:date}/plan.svg", summary="A branch's plan as SVG",
         media_type="image/svg+xml")
    async def plan_svg(self, conn: asyncpg.Connection, staff: StaffUser, branch: str,
                       day: dt.date, version: int | None = None) -> Response[str]:
        """The service area, the branch, each courier's route in its own colour, a legend."""
        _supervises(staff, branch)
        svg = await views.branch_plan_svg(conn, branch, day, version)
        return Response(svg, media_type="image/svg+xml; charset=utf-8", headers=PAGE_HEADERS)

    @get("/ops/routes/{branch:str}/{day:date}", summary="A branch's plan (HTML)",
         media_type="text/html")
    async def plan_page(self, conn: asyncpg.Connection, staff: StaffUser, branch: str,
                        day: dt.date, version: int | None = None) -> Response[str]:
        """The picture with a table of couriers and the items left for another day."""
        _supervises(staff, branch)
        plan = await views.branch_plan(conn, branch, day, version)
        svg = await views.branch_plan_svg(conn, branch, day, plan.version)
        return Response(plan_page(plan, svg), media_type="text/html; charset=utf-8",
                        headers=PAGE_HEADERS)


def _supervises(staff: StaffUser, branch: str) -> None:
    """A plan shows citizens' stops: only its branch's supervisors and administrators see it."""
    if staff.role != "admin" and staff.site_code != branch:
        raise NotAllowed(f"{staff.username} supervises {staff.site_code}, not {branch}")


def plan_page(plan: views.BranchPlanOut, svg: str) -> str:
    """A small self-contained page: the SVG inline, then the numbers."""
    rows = "".join(
        f"<tr><td>{escape(c.username)}</td><td>{escape(c.vehicle)}</td><td>{len(c.stops)}</td>"
        f"<td>{sum(len(s.tracking_numbers) for s in c.stops)}/{c.capacity_items}</td>"
        f"<td>{c.distance_m / 1000:.1f} km</td><td>{c.duration_s // 60} min</td></tr>"
        for c in plan.couriers)
    left = "".join(f"<li>{escape(r.tracking_number)}: {escape(r.reason)}</li>"
                   for r in plan.left_out) or "<li>none</li>"
    title = f"Routes {escape(plan.branch)} {plan.date.isoformat()} (version {plan.version})"
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<style>body{font-family:sans-serif;margin:1em}svg{max-width:100%;height:auto}"
        "td,th{padding:2px 8px;text-align:left}</style></head><body>"
        f"<h1>{title}</h1>{svg}"
        "<table><tr><th>courier</th><th>vehicle</th><th>stops</th><th>items/bag</th>"
        f"<th>distance</th><th>time</th></tr>{rows}</table>"
        f"<h2>Left for another day</h2><ul>{left}</ul></body></html>")


HANDLERS = [CourierRoutesController, BranchRoutesController]
