"""The site view's services: which site a supervisor sees, and what the page shows of it."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from delivery.console.site import model, store
from delivery.console.site.model import AlertKey, SiteAlert, StuckGroup
from delivery.console.site.store import ItemRow, Site
from delivery.custody import stuck
from delivery.custody.context import CustodyContext
from delivery.custody.model import State
from delivery.custody.supervisor import alerts_of_site
from delivery.messaging import services as messaging
from delivery.messaging.store import DeadLetter
from delivery.platform.errors import NotFound
from delivery.staff.auth import StaffUser
from delivery.staff.model import StaffRole


class Overview(msgspec.Struct, frozen=True, kw_only=True):
    site: Site
    counts: list[tuple[State, int]]
    stuck: list[StuckGroup]
    open_alerts: int


async def site_of(conn: asyncpg.Connection, staff: StaffUser, code: str | None) -> Site | None:
    """A supervisor's own site (another's code: not found); for an administrator, the site
    named, or None when none is."""
    if staff.role != StaffRole.admin:
        site = None if staff.site_id is None else await store.site_by_id(conn, staff.site_id)
        if site is None or (code and code.strip().upper() != site.code):
            raise NotFound(f"no site {code or ''} of yours")
        return site
    if not code:
        return None
    site = await store.site_by_code(conn, code.strip().upper())
    if site is None:
        raise NotFound(f"no site {code}")
    return site


async def overview(conn: asyncpg.Connection, ctx: CustodyContext, site: Site, *,
                   now: datetime) -> Overview:
    """Items by state, stuck items by state and age, and how many alerts are open."""
    counts = model.counts_by_state(await store.count_by_state(conn, site.scope))
    states = list(ctx.stuck_after)
    cutoffs = [stuck.cutoffs(now, ctx.stuck_after[s]) for s in states]
    rows = await store.stuck_counts(conn, site.scope, states, cutoffs)
    alerts = await site_alerts(conn, ctx, site, now=now)
    return Overview(site=site, counts=counts, stuck=model.stuck_groups(rows, ctx.stuck_after),
                    open_alerts=sum(1 for a in alerts if a.acknowledged is None))


async def items_in_state(conn: asyncpg.Connection, site: Site, state: State,
                         page: int) -> tuple[list[ItemRow], bool]:
    """A page of the site's items in `state`, oldest first, and whether more follow."""
    rows = await store.items_in_state(conn, site.scope, state, limit=model.PAGE_SIZE + 1,
                                      offset=(page - 1) * model.PAGE_SIZE)
    return rows[:model.PAGE_SIZE], len(rows) > model.PAGE_SIZE


async def stuck_items(conn: asyncpg.Connection, ctx: CustodyContext, site: Site, state: State,
                      page: int, *, now: datetime) -> tuple[list[ItemRow], bool]:
    """A page of the site's items stuck in `state`, oldest first, and whether more follow."""
    threshold = ctx.stuck_after.get(state)
    if threshold is None:  # a final state: nothing waits in it
        return [], False
    rows = await store.stuck_items(conn, site.scope, state, now - threshold,
                                   limit=model.PAGE_SIZE + 1, offset=(page - 1) * model.PAGE_SIZE)
    return rows[:model.PAGE_SIZE], len(rows) > model.PAGE_SIZE


async def site_alerts(conn: asyncpg.Connection, ctx: CustodyContext, site: Site, *,
                      now: datetime) -> list[SiteAlert]:
    """The site's alerts, oldest first, each with its acknowledgement if it has one."""
    alerts = await alerts_of_site(conn, ctx, site.id, now=now)
    keys = [model.alert_key(a) for a in alerts]
    rows = await store.acknowledgements(conn, [(k.kind, k.subject, k.since) for k in keys])
    acks = {AlertKey(kind=r["kind"], subject=r["subject"], since=r["since"]):
            model.Acknowledgement(username=r["username"], at=r["acknowledged_at"]) for r in rows}
    return model.with_acknowledgements(alerts, acks)


async def acknowledge(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser,
                      site: Site, key: AlertKey, *, now: datetime) -> None:
    """Record who saw an alert of the site, and when; an alert not (or no longer) of the site's
    is not found."""
    async with conn.transaction():
        alerts = await site_alerts(conn, ctx, site, now=now)
        if not any(a.key == key for a in alerts):
            raise NotFound(f"no {key.kind} alert about {key.subject} at {site.code}")
        await store.acknowledge(conn, kind=key.kind, subject=key.subject, since=key.since,
                                staff_id=staff.id, now=now)


async def dead_letters(conn: asyncpg.Connection, site: Site,
                       page: int) -> tuple[list[DeadLetter], bool]:
    """A page of the site's stopped messages, newest first, and whether more follow."""
    rows = await messaging.dead_letters(conn, site_id=site.id,
                                        limit=page * model.PAGE_SIZE + 1)
    return model.page_of(rows, page)


async def retry_dead_letter(conn: asyncpg.Connection, site: Site, outbox_id: int) -> None:
    """Send a stopped message of the site again (another site's: not found)."""
    await messaging.retry_dead_letter(conn, outbox_id, site_id=site.id)
