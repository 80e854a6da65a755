"""The help desk's services: find an item, confirm the caller, record their choices.

Each is load → decide → save in one transaction. An item is opened only through a lookup by
this member of staff that matched both the tracking number and the citizen's phone, in their
scope; every choice needs a check confirmed within the last `CHOICE_WINDOW`, and is then made
by the tracking page's own services, recorded as the help desk's on the citizen's behalf.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import asyncpg
import msgspec

from delivery.console.helpdesk import model, store
from delivery.console.helpdesk.model import CheckState, Verdict
from delivery.console.scope import Scope
from delivery.custody.citizen_messages import REQUESTED
from delivery.custody.model import RefusalCode, Role, State, TransitionRefused
from delivery.custody.services import Actor
from delivery.intake.validate import normalise_phone
from delivery.outbox import rows as outbox
from delivery.platform.errors import NotAllowed, NotFound, RateLimited
from delivery.platform.keys import derive_key
from delivery.platform.privacy import mask_name, mask_phone
from delivery.tracking import services as tracking
from delivery.tracking.model import Offers, offers
from delivery.tracking.store import TrackedItem

NOT_FOUND = "no item matches this tracking number and phone number"
CODE_MESSAGE = REQUESTED["helpdesk_check"]


class NotConfirmed(NotAllowed):
    """A choice without a check confirmed within the last `CHOICE_WINDOW`."""


def code_key(secret: bytes) -> bytes:
    """The key the desk's codes are hashed with (one of its own)."""
    return derive_key(secret, "helpdesk-code")


class Branch(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name_ar: str
    name_en: str
    distance_km: float | None


class DeskView(msgspec.Struct, frozen=True, kw_only=True):
    """What the desk sees of an item: personal data masked, the check, the choices open."""

    id: int
    tracking_number: str
    document_type: str
    state: str
    phone: str  # masked: the last four digits only
    name: str  # initials
    delivery_mode: str | None
    branch_code: str | None
    branch_name_ar: str | None
    branch_name_en: str | None
    delivery_day: date | None
    delivery_window: str | None
    check: CheckState
    code_sent_at: datetime | None
    confirmed_until: datetime | None
    attempts_left: int
    offers: Offers
    branches: tuple[Branch, ...]
    days: tuple[date, ...]
    events: tuple[tuple[str, str, datetime], ...]  # action, actor role, when


async def lookup(conn: asyncpg.Connection, scope: Scope, staff_id: int, *,
                 tracking_number: str, phone: str, now: datetime) -> int:
    """The id of the item matching both parts in scope; NotFound, worded alike, otherwise."""
    number = "".join(tracking_number.split()).upper()
    try:
        e164 = normalise_phone(phone.strip())
    except ValueError:
        e164 = None
    async with conn.transaction():
        await store.one_lookup_at_a_time(conn, staff_id)
        since = now - model.LOOKUP_WINDOW
        if await store.recent_lookups(conn, staff_id, since) >= model.LOOKUP_LIMIT:
            raise RateLimited("too many lookups: try again later",
                              retry_after=int(model.LOOKUP_WINDOW.total_seconds()))
        found = None
        if e164 is not None and not scope.nothing:
            found = await store.find_item(conn, number, e164, scope.args())
        await store.add_lookup(conn, staff_id, found, now=now)
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


async def view(conn: asyncpg.Connection, ctx: tracking.TrackingContext, scope: Scope,
               staff_id: int, item_id: int, *, today: date, now: datetime) -> DeskView:
    """The desk's page of an item it looked up lately; NotFound otherwise."""
    await _opened(conn, scope, staff_id, item_id, now)
    page = await tracking.page_by_id(conn, ctx, item_id, today=today)
    if page is None:
        raise NotFound(NOT_FOUND)
    check = await store.get_check(conn, item_id, staff_id)
    events = await store.item_events(conn, item_id)
    return _view(page, check, events, now)


def _view(page: tracking.PageView, check: model.Check | None, events: list,
          now: datetime) -> DeskView:
    item = page.item
    state = model.state_of(check, now)
    return DeskView(
        id=item.id, tracking_number=item.tracking_number, document_type=item.document_type,
        state=item.state, phone=mask_phone(item.citizen_phone or "", model.VISIBLE_PHONE_DIGITS),
        name=mask_name(item.citizen_name or ""), delivery_mode=item.delivery_mode,
        branch_code=item.branch_code, branch_name_ar=item.branch_name_ar,
        branch_name_en=item.branch_name_en, delivery_day=item.delivery_day,
        delivery_window=item.delivery_window, check=state,
        code_sent_at=check.sent_at if check else None,
        confirmed_until=(check.confirmed_at + model.CHOICE_WINDOW
                         if check and check.confirmed_at else None),
        attempts_left=max(0, model.MAX_WRONG_CODES - (check.wrong_attempts if check else 0)),
        offers=page.offers,
        branches=tuple(Branch(code=o.branch.code, name_ar=o.branch.name_ar,
                              name_en=o.branch.name_en, distance_km=o.distance_km)
                       for o in page.pickup_options),
        days=page.days,
        events=tuple((e["action"], e["actor_role"], e["server_at"]) for e in events))


async def send_code(conn: asyncpg.Connection, secret: bytes, scope: Scope, staff_id: int,
                    item_id: int, *, now: datetime) -> None:
    """A fresh code to the citizen's phone; it replaces this desk's previous check of the item.
    The check and its SMS are written in one transaction."""
    async with conn.transaction():
        await _opened(conn, scope, staff_id, item_id, now)
        item = await tracking.locked_by_id(conn, item_id)
        if item is None or not _any_choice(item):
            raise TransitionRefused(RefusalCode.wrong_state,
                                    "the citizen can no longer choose anything for this item",
                                    {"state": item.state if item else ""})
        await _pace_codes(conn, staff_id, item_id, now)
        code = model.new_code()
        await store.put_check(conn, item_id, staff_id, model.code_mac(
            code_key(secret), item_id=item_id, staff_id=staff_id, sent_at=now, code=code), now)
        sms = outbox.citizen_sms(item_id=item_id, kind=CODE_MESSAGE.kind, values={
            "code": code, "tracking_number": item.tracking_number})
        await outbox.add(conn, [sms], now=now)


class CodesPaced(RateLimited):
    """A code refused for pacing: `notice` says which limit ("too_soon", "too_many_codes")."""

    def __init__(self, detail: str, *, retry_after: int, notice: str) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.notice = notice


async def _pace_codes(conn: asyncpg.Connection, staff_id: int, item_id: int,
                      now: datetime) -> None:
    """Refuse a code sent again within the minute, or one too many within the hour."""
    if model.too_soon(await store.get_check(conn, item_id, staff_id, lock=True), now):
        raise CodesPaced("a code was sent less than a minute ago",
                         retry_after=int(model.RESEND_AFTER.total_seconds()), notice="too_soon")
    sent = await store.codes_sent_since(conn, item_id, CODE_MESSAGE.kind, now - timedelta(hours=1))
    if sent >= model.MAX_CODES_PER_HOUR:
        raise CodesPaced("too many codes sent for this item within an hour", retry_after=3600,
                         notice="too_many_codes")


def _any_choice(item: TrackedItem) -> bool:
    """Whether the page would offer the citizen any choice now (else a code is of no use)."""
    o = offers(State(item.state), item.delivery_mode, reported=item.reported,
               purged=item.pii_purged_at is not None)
    return o.choose_home or o.choose_pickup or o.share_location or o.reschedule


async def enter_code(conn: asyncpg.Connection, secret: bytes, scope: Scope, staff_id: int,
                     item_id: int, code: str, *, now: datetime) -> Verdict:
    """Judge the code the citizen read out; a wrong one is counted (five lock the check)."""
    async with conn.transaction():
        await _opened(conn, scope, staff_id, item_id, now)
        check = await store.get_check(conn, item_id, staff_id, lock=True)
        verdict = model.judge(code_key(secret), check, code, now)
        if verdict in (Verdict.wrong, Verdict.locked) and check is not None \
                and model.state_of(check, now) == CheckState.waiting:
            await store.count_wrong(conn, item_id, staff_id)
        elif verdict == Verdict.accepted and check is not None and check.confirmed_at is None:
            await store.confirm(conn, item_id, staff_id, now)
    return verdict


async def choose_mode(conn: asyncpg.Connection, ctx: tracking.TrackingContext, scope: Scope,
                      staff_id: int, item_id: int, *, mode: str, branch_code: str | None,
                      now: datetime) -> None:
    """Home delivery or pickup at an offered branch, for the citizen on the line."""
    async with conn.transaction():
        item = await _confirmed(conn, scope, staff_id, item_id, now)
        await tracking.choose_mode_of(conn, ctx, item, mode=mode, branch_code=branch_code,
                                      now=now, actor=_actor(staff_id), note=model.choice_note())


async def reschedule(conn: asyncpg.Connection, ctx: tracking.TrackingContext, scope: Scope,
                     staff_id: int, item_id: int, *, day: date, window: str, today: date,
                     now: datetime) -> None:
    """One of the days the page offers, morning or afternoon, for the citizen on the line."""
    async with conn.transaction():
        item = await _confirmed(conn, scope, staff_id, item_id, now)
        await tracking.reschedule_of(conn, ctx, item, day=day, window=window, today=today,
                                     now=now, actor=_actor(staff_id), note=model.choice_note())


async def share_location(conn: asyncpg.Connection, ctx: tracking.TrackingContext, scope: Scope,
                         staff_id: int, item_id: int, address: tracking.AddressIn, *,
                         now: datetime) -> None:
    """The address in words, as the citizen tells it, for the courier."""
    async with conn.transaction():
        item = await _confirmed(conn, scope, staff_id, item_id, now)
        await tracking.share_location_of(conn, ctx, item, address, now=now,
                                         actor=_actor(staff_id), note=model.choice_note())


def _actor(staff_id: int) -> Actor:
    return Actor(role=Role.helpdesk, id=staff_id)


async def _opened(conn: asyncpg.Connection, scope: Scope, staff_id: int, item_id: int,
                  now: datetime) -> None:
    if scope.nothing or not await store.open_item(
            conn, item_id, staff_id, scope.args(), since=now - model.LOOKUP_OPEN_FOR, now=now):
        raise NotFound(NOT_FOUND)


async def _confirmed(conn: asyncpg.Connection, scope: Scope, staff_id: int, item_id: int,
                     now: datetime) -> TrackedItem:
    """The item, locked, when this desk's check of it is confirmed and still fresh."""
    await _opened(conn, scope, staff_id, item_id, now)
    item = await tracking.locked_by_id(conn, item_id)
    check = await store.get_check(conn, item_id, staff_id)
    if item is None or not model.may_choose(check, now):
        raise NotConfirmed("confirm the caller with a code sent to the citizen's phone first")
    return item


