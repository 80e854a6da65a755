"""The supervisor's site view, `/ops/site`: items by state, stuck items, alerts to acknowledge,
dead letters to retry. A supervisor sees their own site; an administrator picks one
(`?site=CODE`, kept on every link and form)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import asyncpg
from litestar import Request, Response, get, post
from litestar.datastructures import State as AppState
from litestar.enums import RequestEncodingType
from litestar.params import Body, Parameter
from litestar.response import Redirect

from delivery.console.layout import render, templates
from delivery.console.site import model, services, words
from delivery.console.site.model import AlertKey
from delivery.console.site.store import ItemRow, Site
from delivery.console.web import ConsoleController, console_roles
from delivery.custody.context import CustodyContext
from delivery.custody.model import State
from delivery.custody.stuck import Bucket
from delivery.platform.errors import NotFound
from delivery.staff.auth import StaffUser

ENV = templates(Path(__file__).parent / "templates")
Page = Annotated[int, Parameter(ge=1, le=10_000)]
SiteCode = Annotated[str | None, Parameter(query="site", max_length=32)]


def _custody(state: AppState) -> CustodyContext:
    return state.custody


class SiteViewController(ConsoleController):
    path = "/ops/site"
    guards = [console_roles("supervisor", "admin")]

    @get("/")
    async def overview(self, request: Request, conn: asyncpg.Connection, staff: StaffUser,
                       state: AppState, site_code: SiteCode = None) -> Response:
        """Counts by state, stuck items by age, how many alerts are open."""
        site = await self._site(conn, staff, site_code)
        if site is None:
            return await self._choose(request, conn, staff, site_code)
        overview = await services.overview(conn, _custody(state), site, now=_now())
        return _render(request, "site.html.j2", staff, site, overview=overview,
                       buckets=list(Bucket))

    @get("/items")
    async def items(self, request: Request, conn: asyncpg.Connection, staff: StaffUser,
                    item_state: Annotated[State, Parameter(query="state")],
                    site_code: SiteCode = None, page: Page = 1) -> Response:
        """The site's items in one state, oldest first."""
        site = await self._required(conn, staff, site_code)
        rows, more = await services.items_in_state(conn, site, item_state, page)
        heading = _words(request, words.STATES[item_state])
        return _render(request, "items.html.j2", staff, site, rows=rows, page=page,
                       has_more=more, heading=heading, stuck=False)

    @get("/stuck")
    async def stuck(self, request: Request, conn: asyncpg.Connection, staff: StaffUser,
                    state: AppState, item_state: Annotated[State, Parameter(query="state")],
                    site_code: SiteCode = None, page: Page = 1) -> Response:
        """The site's items stuck in one state, oldest first, each with how late it is."""
        site = await self._required(conn, staff, site_code)
        ctx, now = _custody(state), _now()
        rows, more = await services.stuck_items(conn, ctx, site, item_state, page, now=now)
        heading = (_words(request, ("متوقفة", "Stuck")) + ": "
                   + _words(request, words.STATES[item_state]))

        def bucket(row: ItemRow) -> Bucket | None:
            return model.age_bucket(State(row.state), row.since, now, ctx.stuck_after)

        return _render(request, "items.html.j2", staff, site, rows=rows, page=page,
                       has_more=more, heading=heading, stuck=True, bucket=bucket)

    @get("/alerts")
    async def alerts(self, request: Request, conn: asyncpg.Connection, staff: StaffUser,
                     state: AppState, site_code: SiteCode = None, page: Page = 1) -> Response:
        """The site's open alerts, oldest first, each with an acknowledge button."""
        return await self._alerts(request, conn, staff, state, site_code, page, done=False)

    @get("/alerts/acknowledged")
    async def acknowledged(self, request: Request, conn: asyncpg.Connection, staff: StaffUser,
                           state: AppState, site_code: SiteCode = None,
                           page: Page = 1) -> Response:
        """The site's alerts someone acknowledged, with who and when."""
        return await self._alerts(request, conn, staff, state, site_code, page, done=True)

    @post("/alerts/acknowledge")
    async def acknowledge(self, conn: asyncpg.Connection, staff: StaffUser, state: AppState,
                          data: Annotated[dict[str, str], Body(
                              media_type=RequestEncodingType.URL_ENCODED)],
                          site_code: SiteCode = None) -> Redirect:
        """Record who saw an alert and when; an alert not of the site's is not found."""
        site = await self._required(conn, staff, site_code)
        key = _alert_key(data)
        await services.acknowledge(conn, _custody(state), staff, site, key, now=_now())
        return Redirect(_link(staff, site, "/ops/site/alerts"), status_code=303)

    @get("/dead-letters")
    async def dead_letters(self, request: Request, conn: asyncpg.Connection, staff: StaffUser,
                           site_code: SiteCode = None, page: Page = 1) -> Response:
        """The site's stopped messages, newest first, each with a retry button."""
        site = await self._required(conn, staff, site_code)
        rows, more = await services.dead_letters(conn, site, page)
        return _render(request, "dead_letters.html.j2", staff, site, rows=rows, page=page,
                       has_more=more, masked=model.masked_error)

    @post("/dead-letters/{outbox_id:int}/retry")
    async def retry(self, conn: asyncpg.Connection, staff: StaffUser, outbox_id: int,
                    site_code: SiteCode = None) -> Redirect:
        """Send a stopped message of the site again; another site's is not found."""
        site = await self._required(conn, staff, site_code)
        await services.retry_dead_letter(conn, site, outbox_id)
        return Redirect(_link(staff, site, "/ops/site/dead-letters"), status_code=303)

    async def _alerts(self, request: Request, conn: asyncpg.Connection, staff: StaffUser,
                      state: AppState, site_code: str | None, page: int, *,
                      done: bool) -> Response:
        site = await self._required(conn, staff, site_code)
        alerts = await services.site_alerts(conn, _custody(state), site, now=_now())
        chosen = [a for a in alerts if (a.acknowledged is not None) == done]
        rows, more = model.page_of(chosen, page)
        return _render(request, "alerts.html.j2", staff, site, rows=rows, page=page,
                       has_more=more, acknowledged=done)

    async def _site(self, conn: asyncpg.Connection, staff: StaffUser,
                    code: str | None) -> Site | None:
        return await services.site_of(conn, staff, code)

    async def _required(self, conn: asyncpg.Connection, staff: StaffUser,
                        code: str | None) -> Site:
        site = await services.site_of(conn, staff, code)
        if site is None:
            raise NotFound("choose a site: ?site=CODE")
        return site

    async def _choose(self, request: Request, conn: asyncpg.Connection, staff: StaffUser,
                      code: str | None) -> Response:
        return render(request, ENV, "choose.html.j2", staff=staff, code=code, message=None)


def _alert_key(data: dict[str, str]) -> AlertKey:
    """The alert a form names; a form that names none is not found (it was never shown)."""
    try:
        since = datetime.fromisoformat(data.get("since", ""))
    except ValueError:
        since = None
    kind, subject = data.get("kind", ""), data.get("subject", "")
    if since is None or since.tzinfo is None or not kind or not subject:
        raise NotFound("no such alert")
    return AlertKey(kind=kind[:64], subject=subject[:256], since=since)


def _render(request: Request, name: str, staff: StaffUser, site: Site,
            **context: Any) -> Response:
    return render(request, ENV, name, staff=staff, site=site,
                  link=lambda path, **params: _link(staff, site, path, **params),
                  state_name=lambda s: _words(request, words.STATES[s]),
                  bucket_name=lambda b: _words(request, words.BUCKETS[b]),
                  alert_name=lambda k: _words(request, words.alert_words(k)),
                  hours=_hours, **context)


def _link(staff: StaffUser, site: Site, path: str, **params: str) -> str:
    """A link within the view; an administrator's keeps the site they chose."""
    query = {**({"site": site.code} if staff.role == "admin" else {}), **params}
    return path + ("?" + urlencode(query) if query else "")


def _words(request: Request, pair: tuple[str, str]) -> str:
    return pair[1] if _lang(request) == "en" else pair[0]


def _lang(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "ar"


def _hours(threshold: timedelta) -> str:
    return f"{threshold.total_seconds() / 3600:g}"


def _now() -> datetime:
    return datetime.now(UTC)


HANDLERS = [SiteViewController]
