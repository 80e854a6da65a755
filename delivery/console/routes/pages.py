"""The supervisor's routes in the console: the branch's planned days, a day's stops beside its
picture (a street map under it when MAP_TILE_URL is set), planning again, couriers' shifts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
from litestar import Request, Response, get, post
from litestar.response import Redirect

from delivery.console import layout
from delivery.console.routes import forms, map, services
from delivery.console.scope import Scope
from delivery.console.web import ConsoleController, console_roles, form
from delivery.planning import views
from delivery.planning.model import local_day
from delivery.planning.services import NOTHING, PLANNED, UNCHANGED
from delivery.platform.errors import InvalidInput, NotFound
from delivery.platform.settings import Settings
from delivery.staff.auth import StaffUser

ENV = layout.templates(Path(__file__).parent / "templates")
ENV.filters["baghdad_time"] = lambda at: layout.baghdad(at, with_date=False)
VEHICLES = {"foot": ("على الأقدام", "on foot"), "motorcycle": ("دراجة نارية", "motorcycle"),
            "car": ("سيارة", "car")}
REPLANNED = {PLANNED: ("صُنعت نسخة جديدة من الخطة.", "A new version of the plan was made."),
             NOTHING: ("لا شيء لتخطيطه في هذا اليوم.", "Nothing to plan on this day."),
             UNCHANGED: ("لم يتغير شيء منذ النسخة الأخيرة؛ بقيت كما هي.",
                         "Nothing changed since the last version; it stays in force.")}
SVG_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
               "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
Change = Callable[[asyncpg.Connection, Scope, asyncpg.Record, dict[str, str]], Awaitable[str]]


def _words(request: Request, pairs: dict[str, tuple[str, str]]) -> dict[str, str]:
    pick = 0 if layout.language(request) == "ar" else 1
    return {key: texts[pick] for key, texts in pairs.items()}


def _say(request: Request, problem: forms.FormProblem) -> str:
    return problem.ar if layout.language(request) == "ar" else problem.en


def _today() -> dt.date:
    return local_day(dt.datetime.now(dt.UTC))


def _branch_code(request: Request, staff: StaffUser) -> str:
    return request.query_params.get("branch") or staff.site_code or ""


class RoutePages(ConsoleController):
    """A branch's planned days and each day's routes, for its supervisors and administrators."""

    path = "/ops/routes"
    guards = [console_roles("supervisor", "admin")]

    @get("")
    async def days(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                   staff: StaffUser, visible: Scope) -> Response:
        """Days with a plan, newest first, each linking to the day (`?branch=` for admins)."""
        branch = await services.branch_for(conn, staff, visible, _branch_code(request, staff))
        page = layout.page_number(request.query_params.get("page"))
        days, more = await services.plan_days(conn, visible, branch, page)
        return layout.render(request, ENV, "routes_days.html.j2", branch=branch, days=days,
                             page=page, more=more, today=_today())

    @get("/{branch:str}/{day:date}")
    async def day(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                  settings: Settings, staff: StaffUser, visible: Scope, branch: str,
                  day: dt.date) -> Response:
        """Per courier the stops in order beside the picture; the items left out and why."""
        found = await services.branch_for(conn, staff, visible, branch)
        said = _words(request, REPLANNED).get(request.query_params.get("replanned", ""))
        return await _day_page(request, conn, settings, visible, found, day, notice=said)

    @get("/{branch:str}/{day:date}/plan.svg", media_type="image/svg+xml")
    async def picture(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                      staff: StaffUser, visible: Scope, branch: str,
                      day: dt.date) -> Response[str]:
        """The service area, the branch, each courier's route in its own colour, a legend."""
        found = await services.branch_for(conn, staff, visible, branch)
        version = _version(request.query_params.get("version"))
        svg = await views.branch_plan_svg(conn, found["code"], day, version)
        return Response(svg, media_type="image/svg+xml; charset=utf-8", headers=SVG_HEADERS)

    @post("/{branch:str}/plan", status_code=303)
    async def plan(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                   settings: Settings, staff: StaffUser, visible: Scope, branch: str) -> Response:
        """Form: `day`. Plans the day again now, then back to it showing the version in force."""
        found = await services.branch_for(conn, staff, visible, branch)
        fields = form(request)
        try:
            day = forms.plan_day(fields, _today())
        except forms.FormProblem as problem:
            return await _day_page(request, conn, settings, visible, found,
                                   _day_or_today(fields), message=_say(request, problem),
                                   status=422)
        outcome = await services.replan(conn, settings, found, day)
        return Redirect(f"/ops/routes/{found['code']}/{day.isoformat()}?"
                        f"replanned={outcome.status}", status_code=303)


async def _day_page(request: Request[Any, Any, Any], conn: asyncpg.Connection,
                    settings: Settings, visible: Scope, branch: asyncpg.Record, day: dt.date, *,
                    notice: str | None = None, message: str | None = None,
                    status: int = 200) -> Response:
    view = await services.day_view(conn, visible, branch, day,
                                   _version(request.query_params.get("version")))
    tiles = settings.map_tile_url if view and view.couriers else None
    response = layout.render(
        request, ENV, "routes_day.html.j2", status_code=status, branch=branch, day=day, view=view,
        notice=notice, message=message, can_plan=day >= _today(),
        reasons=_words(request, forms.LEFT_OUT_REASONS), vehicles=_words(request, VEHICLES),
        routes_css=map.asset_url("routes.css"),
        map_data=map.map_data(view, tiles) if view and tiles else None,
        map_assets=map.assets() if tiles else None)
    response.headers["Content-Security-Policy"] = map.page_csp(
        response.headers["Content-Security-Policy"], tiles)
    return response


class CourierPages(ConsoleController):
    """The branch's couriers: usual shifts, coming days off and other hours, and their forms."""

    path = "/ops/couriers"
    guards = [console_roles("supervisor", "admin")]

    @get("")
    async def couriers(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                       staff: StaffUser, visible: Scope) -> Response:
        """Each courier's usual shift, vehicle and bag, and their coming exceptions."""
        branch = await services.branch_for(conn, staff, visible, _branch_code(request, staff))
        done = request.query_params.get("done")
        return await _couriers_page(request, conn, visible, branch, done=done)

    @post("/profile", status_code=303)
    async def profile(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                      staff: StaffUser, visible: Scope) -> Response:
        """Form: `username`, `vehicle`, `capacity`, `start`, `end` (HH:MM)."""
        return await _change(request, conn, staff, visible, services.set_profile)

    @post("/day", status_code=303)
    async def day(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                  staff: StaffUser, visible: Scope) -> Response:
        """Form: `username`, `day`, `kind` (off | hours), `reason` or `start` and `end`."""
        return await _change(request, conn, staff, visible, services.set_day)

    @post("/clear", status_code=303)
    async def clear(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                    staff: StaffUser, visible: Scope) -> Response:
        """Form: `username`, `day`. Back to the usual shift that day."""
        return await _change(request, conn, staff, visible, services.clear_day)


async def _change(request: Request[Any, Any, Any], conn: asyncpg.Connection, staff: StaffUser,
                  visible: Scope, change: Change) -> Response:
    branch = await services.branch_for(conn, staff, visible, _branch_code(request, staff))
    fields = {k: v for k, v in form(request).items() if k != "csrf"}
    try:
        username = await change(conn, visible, branch, fields)
    except forms.FormProblem as problem:
        return await _couriers_page(request, conn, visible, branch,
                                    message=_say(request, problem), fields=fields, status=422)
    except (InvalidInput, NotFound) as refused:  # the shifts' own checks, should a form miss one
        return await _couriers_page(request, conn, visible, branch, message=str(refused),
                                    fields=fields, status=422)
    return Redirect(f"/ops/couriers?branch={branch['code']}&done={username}", status_code=303)


async def _couriers_page(request: Request[Any, Any, Any], conn: asyncpg.Connection,
                         visible: Scope, branch: asyncpg.Record, *, done: str | None = None,
                         message: str | None = None, fields: dict[str, str] | None = None,
                         status: int = 200) -> Response:
    page = layout.page_number(request.query_params.get("page"))
    rows, more = await services.couriers(conn, visible, branch, page, today=_today())
    notice = None
    if done and any(r.username == done for r in rows):
        notice = (f"سُجّل التغيير لـ {done}." if layout.language(request) == "ar"
                  else f"Recorded for {done}.")
    return layout.render(request, ENV, "couriers.html.j2", status_code=status, branch=branch,
                         rows=rows, page=page, more=more, today=_today(), notice=notice,
                         message=message, form=fields or {},
                         vehicles=_words(request, VEHICLES))


def _day_or_today(fields: dict[str, str]) -> dt.date:
    try:
        return dt.date.fromisoformat(fields.get("day", ""))
    except ValueError:
        return _today()


def _version(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 9 else None


HANDLERS = [RoutePages, CourierPages, *map.static_files()]
