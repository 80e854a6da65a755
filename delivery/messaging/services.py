"""Receipts and replies from Twilio, and the dead letters supervisors look after."""

from __future__ import annotations

import datetime as dt

import asyncpg

from delivery.custody.model import CHOICE_STATES, Action, Role, State, TransitionRefused, decide
from delivery.custody.services import Actor, ItemRef, record
from delivery.messaging import store
from delivery.messaging.model import PROVIDER_STATUS
from delivery.platform.errors import Conflict, NotFound
from delivery.tracking.services import answer_by_sms
from notifications.optout import classify_inbound
from notifications.render import BRIBE_QUESTION

CHOICES = {"choose_home": (Action.choose_home, "home"),
           "choose_pickup": (Action.choose_pickup, "pickup")}
# Replied to the money question, the same digits answer it: 1 yes, 2 no.
ANSWERS = {"choose_home": True, "choose_pickup": False}


async def record_receipt(conn: asyncpg.Connection, *, sid: str, status: str,
                         error_code: int | None) -> bool:
    """Apply a delivery receipt; idempotent, and never moves a message backwards."""
    ours = PROVIDER_STATUS.get(status)
    if ours is None or not sid:
        return False
    return await store.apply_receipt(conn, sid=sid, status=ours, error_code=error_code)


async def handle_inbound(conn: asyncpg.Connection, *, phone: str, body: str,
                         now: dt.datetime) -> str | None:
    """Act on a citizen's reply: opt out or in; 1 or 2 answer the money question when it was
    the last message sent, else choose delivery or pickup. The intent applied, if any."""
    intent = classify_inbound(body)
    if intent == "stop":
        await store.opt_out(conn, phone, body.strip()[:40], now)
    elif intent == "start":
        await store.opt_in(conn, phone)
    elif intent in CHOICES:
        last = await store.last_sent(conn, phone)
        if last is not None and last[0] == BRIBE_QUESTION:
            answered = await answer_by_sms(conn, last[1], asked_for_money=ANSWERS[intent],
                                           now=now)
            return ("asked_for_money" if ANSWERS[intent] else "not_asked") if answered else None
        if not await _choose(conn, phone, *CHOICES[intent], now=now):
            return None
    return intent


async def _choose(conn: asyncpg.Connection, phone: str, action: Action, mode: str, *,
                  now: dt.datetime) -> bool:
    """Record the citizen's choice on their most recent item still open to one."""
    async with conn.transaction():
        row = await store.latest_choice_item(conn, phone, [str(s) for s in CHOICE_STATES])
        if row is None:
            return False
        item = ItemRef(**dict(row))
        try:
            transition = decide(State(item.state), action, Role.citizen)
            await record(conn, item, transition, action, Actor(role=Role.citizen), now=now,
                         payload={"via": "sms"})
        except TransitionRefused:
            return False
        await store.set_delivery_mode(conn, item.id, mode)
    return True


async def dead_letters(conn: asyncpg.Connection, *, before: int | None = None,
                       limit: int = 100, site_id: int | None = None) -> list[store.DeadLetter]:
    """Outbox rows that stopped, newest first. A site sees its own items' SMS only: a
    supervisor can do nothing about another branch's citizens, nor about an agency's
    webhook; `site_id` None (administrators, the command line) sees every row."""
    return await store.dead_letters(conn, before=before, limit=limit, site_id=site_id)


async def retry_dead_letter(conn: asyncpg.Connection, outbox_id: int, *,
                            site_id: int | None = None) -> None:
    """Send a stopped row again with a fresh retry budget (a row of another site: not found)."""
    if await store.retry_dead(conn, outbox_id, site_id):
        return
    status = await store.outbox_status(conn, outbox_id, site_id)
    if status is None:
        raise NotFound(f"no outbox row {outbox_id}")
    raise Conflict(f"outbox row {outbox_id} is {status}, not dead or failed",
                   outbox_status=status)
