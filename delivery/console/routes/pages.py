"""The supervisor's routes in the console: the branch's planned days, a day's stops beside its
picture (a street map under it when MAP_TILE_URL is set), planning again, couriers' shifts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import asyncpg
from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect

from delivery.console.layout import render, templates
from delivery.console.routes import forms, map, services
from delivery.console.scope import Scope
from delivery.console.web import ConsoleController, console_roles
from delivery.planning import views
from delivery.planning.model import BAGHDAD, local_day
from delivery.planning.services import NOTHING, PLANNED
from delivery.platform.errors import InvalidInput, NotFound
from delivery.platform.settings import Settings
from delivery.staff.auth import StaffUser

TEMPLATES = templates(Path(__file__).parent / "templates")
TEMPLATES.filters["baghdad_time"] = lambda at: at.astimezone(BAGHDAD).strftime("%H:%M")
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
VEHICLES = {"foot": ("على الأقدام", "on foot"), "motorcycle": ("دراجة نارية", "motorcycle"),
            "car": ("سيارة", "car")}
REPLANNED = {PLANNED: ("صُنعت نسخة جديدة من الخطة.", "A new version of the plan was made."),
             NOTHING: ("لا شيء لتخطيطه في هذا اليوم.", "Nothing to plan on this day."),
             "unchanged": ("لم يتغير شيء منذ النسخة الأخيرة.",
                           "Nothing changed since the last version.")}


def _words(lang: str, pairs: dict[str, tuple[str, str]]) -> dict[str, str]:
    return {key: ar if lang == "ar" else en for key, (ar, en) in pairs.items()}


def _today() -> dt.date:
    return local_day(dt.datetime.now(dt.UTC))


class RoutesPages(ConsoleController):
    """A branch's planned days and each day's routes, for its supervisors and administrators."""

    path = "/ops/routes"
    guards = [console_roles("supervisor", "admin")]

    @get("/")
    async def days(self, request: Request, conn: asyncpg.Connection, staff: StaffUser,
                   scope: Scope, branch: str | None = None, page: int = 1) -> Response:
        """Days with a plan, newest first, each linking to the day."""
        found = await services.branch_for(conn, staff, scope, branch or staff.site_code or "")
        days, has_more = await services.plan_days(conn, scope, found, max(page, 1))
        return render(request, TEMPLATES, "routes_days.html.j2", staff=staff, branch=found,
                      days=days, page=max(page, 1), has_more=has_more, today=_today())

    @get("/{branch:str}/{day:date}")
    async def day(self, request: Request, conn: asyncpg.Connection, settings: Settings,
                  staff: StaffUser, scope: Scope, branch: str, day: dt.date,
                  version: int | None = None, replanned: str | None = None) -> Response:
        """Per courier the ordered stops, below or beside the picture; the items left out."""
        found = await services.branch_for(conn, staff, scope, branch)
        return await self._day_page(request, conn, settings, staff, scope, found, day,
                                    version=version, replanned=replanned)

    @get("/{branch:str}/{day:date}/plan.svg", media_type="image/svg+xml")
    async def picture(self, conn: asyncpg.Connection, staff: StaffUser, scope: Scope,
                      branch: str, day: dt.date, version: int | None = None) -> Response[str]:
        """The service area, the branch, each courier's route in its own colour, a legend."""
        found = await services.branch_for(conn, staff, scope, branch)
        svg = await views.branch_plan_svg(conn, found["code"], day, version)
        return Response(svg, media_type="image/svg+xml; charset=utf-8", headers=SVG_HEADERS)

    @post("/{branch:str}/plan")
    async def plan(self, request: Request, conn: asyncpg.Connection, settings: Settings,
                   staff: StaffUser, scope: Scope, branch: str, data: Form) -> Response:
        """Plan the day again now, then back to the day showing the version in force."""
        found = await services.branch_for(conn, staff, scope, branch)
        try:
            day = forms.plan_day(data, _today())
            outcome = await services.replan(conn, settings, found, day)
        except forms.FormProblem as problem:
            return await self._day_page(
                request, conn, settings, staff, scope, found, _day_or_today(data),
                message=problem.ar if _lang(request) == "ar" else problem.en, status=422)
        return Redirect(f"/ops/routes/{found['code']}/{day.isoformat()}?replanned="
                        f"{outcome.status.replace(' ', '-')}", status_code=303)

    async def _day_page(self, request: Request, conn: asyncpg.Connection, settings: Settings,
                        staff: StaffUser, scope: Scope, branch: asyncpg.Record, day: dt.date, *,
                        version: int | None = None, replanned: str | None = None,
                        message: str | None = None, status: int = 200) -> Response:
        view = await services.day_view(conn, scope, branch, day, version)
        lang = _lang(request)
        tiles = settings.map_tile_url if view else None
        said = _words(lang, REPLANNED).get((replanned or "").replace("-", " "))
        response = render(
            request, TEMPLATES, "routes_day.html.j2", staff=staff, branch=branch, day=day,
            view=view, replanned=said, message=message, can_plan=day >= _today(),
            reasons=_words(lang, forms.LEFT_OUT_REASONS), vehicles=_words(lang, VEHICLES),
            map_data=map.map_data(view, tiles) if view and tiles else None,
            map_assets=_assets() if tiles else None)
        response.status_code = status
        if tiles:
            response.headers["Content-Security-Policy"] = map.page_csp(
                response.headers.get("Content-Security-Policy", ""), tiles)
        return response


class CouriersPages(ConsoleController):
    """The branch's couriers: usual shifts, coming days off and other hours, and their forms."""

    path = "/ops/couriers"
    guards = [console_roles("supervisor", "admin")]

    @get("/")
    async def couriers(self, request: Request, conn: asyncpg.Connection, staff: StaffUser,
                       scope: Scope, branch: str | None = None, page: int = 1,
                       done: str | None = None) -> Response:
        """Each courier's usual shift, vehicle and bag, and their coming exceptions."""
        found = await services.branch_for(conn, staff, scope, branch or staff.site_code or "")
        return await _couriers_page(request, conn, staff, scope, found, page=max(page, 1),
                                    done=done)

    @post("/profile")
    async def profile(self, request: Request, conn: asyncpg.Connection, staff: StaffUser,
                      scope: Scope, data: Form, branch: str | None = None) -> Response:
        """Set a courier's usual vehicle, bag size and shift."""
        return await _change(request, conn, staff, scope, branch, data, services.set_profile)

    @post("/day")
    async def day(self, request: Request, conn: asyncpg.Connection, staff: StaffUser,
                  scope: Scope, data: Form, branch: str | None = None) -> Response:
        """Mark a coming day off with a reason, or give it other hours."""
        return await _change(request, conn, staff, scope, branch, data, services.set_day)

    @post("/clear")
    async def clear(self, request: Request, conn: asyncpg.Connection, staff: StaffUser,
                    scope: Scope, data: Form, branch: str | None = None) -> Response:
        """Back to the usual shift on a coming day."""
        return await _change(request, conn, staff, scope, branch, data, services.clear_day)


async def _change(request: Request, conn: asyncpg.Connection, staff: StaffUser, scope: Scope,
                  branch: str | None, data: dict[str, str], change: Any) -> Response:
    found = await services.branch_for(conn, staff, scope, branch or staff.site_code or "")
    try:
        username = await change(conn, scope, found, data)
    except forms.FormProblem as problem:
        message = problem.ar if _lang(request) == "ar" else problem.en
        return await _couriers_page(request, conn, staff, scope, found, page=1, message=message,
                                    form=data, status=422)
    except (InvalidInput, NotFound) as refused:  # shifts' own checks, should the form miss one
        return await _couriers_page(request, conn, staff, scope, found, page=1,
                                    message=refused.detail, form=data, status=422)
    return Redirect(f"/ops/couriers?branch={found['code']}&done={username}", status_code=303)


async def _couriers_page(request: Request, conn: asyncpg.Connection, staff: StaffUser,
                         scope: Scope, branch: asyncpg.Record, *, page: int,
                         done: str | None = None, message: str | None = None,
                         form: dict[str, str] | None = None, status: int = 200) -> Response:
    rows, has_more = await services.couriers(conn, scope, branch, page, today=_today())
    lang = _lang(request)
    said = None
    if done and any(r.username == done for r in rows):
        said = (f"سُجّل التغيير لـ {done}." if lang == "ar" else f"Recorded for {done}.")
    response = render(request, TEMPLATES, "couriers.html.j2", staff=staff, branch=branch,
                      rows=rows, page=page, has_more=has_more, today=_today(), done=said,
                      message=message, form=form or {}, vehicles=_words(lang, VEHICLES))
    response.status_code = status
    return response


def _day_or_today(data: dict[str, str]) -> dt.date:
    try:
        return dt.date.fromisoformat(str(data.get("day", "")))
    except ValueError:
        return _today()


def _lang(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "ar"


def _assets() -> dict[str, str]:
    return {name: map.asset_url(name) for name in ("leaflet.js", "leaflet.css",
                                                  "routes-map.js")}


SVG_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
               "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}

HANDLERS = [RoutesPages, CouriersPages, *map.static_files()]
