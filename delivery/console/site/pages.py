"""The supervisor's site view, `/ops/site`: items by state, stuck items, alerts to acknowledge,
dead letters to retry. A supervisor sees their own site; an administrator picks one
(`?site=CODE`, kept on every link and form)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg
from litestar import Request, Response, get, post
from litestar.response import Redirect

from delivery.console import layout
from delivery.console.site import model, services, words
from delivery.console.site.model import AlertKey
from delivery.console.site.store import ItemRow, Site
from delivery.console.web import ConsoleController, console_roles, form
from delivery.custody.context import CustodyContext
from delivery.custody.model import State
from delivery.custody.stuck import Bucket
from delivery.platform.errors import NotFound
from delivery.staff.auth import StaffUser
from delivery.staff.model import StaffRole

ENV = layout.templates(Path(__file__).parent / "templates")
AnyRequest = Request[Any, Any, Any]


class SitePages(ConsoleController):
    path = "/ops/site"
    guards = [console_roles("supervisor", "admin")]

    @get("")
    async def overview(self, request: AnyRequest, conn: asyncpg.Connection,
                       staff: StaffUser) -> Response:
        """Counts by state, stuck items by age, how many alerts are open."""
        code = request.query_params.get("site")
        if staff.role == StaffRole.admin and not code:
            return layout.render(request, ENV, "choose.html.j2")
        try:
            site = await services.site_of(conn, staff, code)
        except NotFound:
            if staff.role != StaffRole.admin:
                raise
            return layout.render(request, ENV, "choose.html.j2", status_code=422, code=code,
                                 notice=_say(request, "لا يوجد موقع بهذا الرمز.",
                                             "No site has this code."))
        assert site is not None  # a supervisor's own, or the one an administrator named
        overview = await services.overview(conn, _custody(request), site, now=_now())
        return _render(request, "site.html.j2", staff, site, overview=overview,
                       buckets=list(Bucket))

    @get("/items")
    async def items(self, request: AnyRequest, conn: asyncpg.Connection,
                    staff: StaffUser) -> Response:
        """The site's items in one state (`?state=`), oldest first."""
        site, state, page = await _listing(request, conn, staff)
        rows, more = await services.items_in_state(conn, site, state, page)
        return _render(request, "items.html.j2", staff, site, rows=rows, page=page,
                       has_more=more, item_state=state, stuck=False)

    @get("/stuck")
    async def stuck(self, request: AnyRequest, conn: asyncpg.Connection,
                    staff: StaffUser) -> Response:
        """The site's items stuck in one state (`?state=`), oldest first, with how late."""
        site, state, page = await _listing(request, conn, staff)
        ctx, now = _custody(request), _now()
        rows, more = await services.stuck_items(conn, ctx, site, state, page, now=now)

        def bucket(row: ItemRow) -> Bucket | None:
            return model.age_bucket(State(row.state), row.since, now, ctx.stuck_after)

        return _render(request, "items.html.j2", staff, site, rows=rows, page=page,
                       has_more=more, item_state=state, stuck=True, bucket=bucket)

    @get("/alerts")
    async def alerts(self, request: AnyRequest, conn: asyncpg.Connection,
                     staff: StaffUser) -> Response:
        """The site's open alerts, oldest first, each with an acknowledge button."""
        return await _alerts(request, conn, staff, acknowledged=False)

    @get("/alerts/acknowledged")
    async def acknowledged(self, request: AnyRequest, conn: asyncpg.Connection,
                           staff: StaffUser) -> Response:
        """The site's alerts someone acknowledged, with who and when."""
        return await _alerts(request, conn, staff, acknowledged=True)

    @post("/alerts/acknowledge", status_code=303)
    async def acknowledge(self, request: AnyRequest, conn: asyncpg.Connection,
                          staff: StaffUser) -> Redirect:
        """Form: `kind`, `subject`, `since` of the alert shown; not the site's: not found."""
        site = await _site(request, conn, staff)
        await services.acknowledge(conn, _custody(request), staff, site,
                                   _alert_key(form(request)), now=_now())
        return Redirect(_link(staff, site, "/ops/site/alerts"), status_code=303)

    @get("/dead-letters")
    async def dead_letters(self, request: AnyRequest, conn: asyncpg.Connection,
                           staff: StaffUser) -> Response:
        """The site's stopped messages, newest first, each with a retry button."""
        site = await _site(request, conn, staff)
        page = layout.page_number(request.query_params.get("page"))
        rows, more = await services.dead_letters(conn, site, page)
        return _render(request, "dead_letters.html.j2", staff, site, rows=rows, page=page,
                       has_more=more, masked=model.masked_error,
                       dead_statuses=words.DEAD_STATUSES)

    @post("/dead-letters/{outbox_id:int}/retry", status_code=303)
    async def retry(self, request: AnyRequest, conn: asyncpg.Connection, staff: StaffUser,
                    outbox_id: int) -> Redirect:
        """Send a stopped message of the site again; another site's is not found."""
        site = await _site(request, conn, staff)
        await services.retry_dead_letter(conn, site, outbox_id)
        return Redirect(_link(staff, site, "/ops/site/dead-letters"), status_code=303)


async def _alerts(request: AnyRequest, conn: asyncpg.Connection, staff: StaffUser, *,
                  acknowledged: bool) -> Response:
    site = await _site(request, conn, staff)
    page = layout.page_number(request.query_params.get("page"))
    alerts = await services.site_alerts(conn, _custody(request), site, now=_now())
    chosen = [a for a in alerts if (a.acknowledged is not None) == acknowledged]
    rows, more = model.page_of(chosen, page)
    return _render(request, "alerts.html.j2", staff, site, rows=rows, page=page,
                   has_more=more, acknowledged=acknowledged)


async def _site(request: AnyRequest, conn: asyncpg.Connection, staff: StaffUser) -> Site:
    site = await services.site_of(conn, staff, request.query_params.get("site"))
    if site is None:  # an administrator who named no site
        raise NotFound("choose a site: ?site=CODE")
    return site


async def _listing(request: AnyRequest, conn: asyncpg.Connection,
                   staff: StaffUser) -> tuple[Site, State, int]:
    """The site, the state (`?state=`; an unknown one is not found) and the page of a list."""
    site = await _site(request, conn, staff)
    name = request.query_params.get("state", "")
    if name not in State.__members__:
        raise NotFound(f"no state {name[:32]!r}")
    return site, State(name), layout.page_number(request.query_params.get("page"))


def _alert_key(fields: dict[str, str]) -> AlertKey:
    """The alert a form names; a form that names none is not found (no page showed it)."""
    kind, subject = fields.get("kind", ""), fields.get("subject", "")
    try:
        since = datetime.fromisoformat(fields.get("since", ""))
    except ValueError:
        since = None
    if since is None or since.tzinfo is None or not kind or not subject:
        raise NotFound("no such alert")
    return AlertKey(kind=kind[:64], subject=subject[:256], since=since)


def _render(request: AnyRequest, name: str, staff: StaffUser, site: Site,
            **context: Any) -> Response:
    return layout.render(request, ENV, name, site=site,
                         link=lambda path, **params: _link(staff, site, path, **params),
                         bucket_words=words.BUCKETS,
                         alert_words=words.alert_words, hours=_hours, **context)


def _link(staff: StaffUser, site: Site, path: str, **params: str) -> str:
    """A link within the view; an administrator's keeps the site they chose."""
    query = {**({"site": site.code} if staff.role == StaffRole.admin else {}), **params}
    return path + ("?" + urlencode(query) if query else "")


def _say(request: AnyRequest, arabic: str, english: str) -> str:
    return arabic if layout.language(request) == "ar" else english


def _custody(request: AnyRequest) -> CustodyContext:
    return request.app.state.custody


def _hours(threshold: timedelta) -> str:
    return f"{threshold.total_seconds() / 3600:g}"


def _now() -> datetime:
    return datetime.now(UTC)


HANDLERS = [SitePages]
