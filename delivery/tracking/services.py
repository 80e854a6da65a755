"""The citizen's page: load what they may see, save what they choose (load → decide → save)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import asyncpg
import msgspec

from delivery.custody.doctypes import DocumentTypes
from delivery.custody.model import (
    Action,
    RefusalCode,
    Role,
    State,
    Transition,
    TransitionRefused,
    decide,
)
from delivery.custody.services import Actor, ItemRef, record
from delivery.intake.context import IntakeContext, derive_key
from delivery.outbox import rows as outbox
from delivery.platform.errors import FieldError, InvalidInput, NotFound
from delivery.platform.settings import Settings
from delivery.sites import calendar
from delivery.sites.calendar import parse_holidays
from delivery.tracking import store
from delivery.tracking.model import (
    Offers,
    delivery_days,
    in_iraq,
    offers,
    parse_limit,
)
from notifications.language import citizen_language, supported
from notifications.links import token_hash
from routing.assign import RULE_PICKUP_CHOICE
from routing.index_cache import AreaIndexCache

NEAREST_BRANCHES = 4
CITIZEN = Actor(role=Role.citizen)
MAX_TEXT = 200
MAX_COMPLAINT = 2000


class TrackingContext(msgspec.Struct, frozen=True, kw_only=True):
    """What the page needs from configuration, built once per process."""

    types: DocumentTypes
    areas: AreaIndexCache
    max_nearest_km: float
    holidays: frozenset[date]
    csrf_key: bytes
    page_limit: tuple[int, int]
    form_limit: tuple[int, int]
    secure_cookies: bool
    windows: dict[str, tuple[str, str]]  # morning/afternoon: (start, end), as route planning has
    service_name: str | None  # configured names replace the page's own words
    ministry_name: str | None
    helpline: str | None


def tracking_context(settings: Settings, intake: IntakeContext) -> TrackingContext:
    """The page's context, sharing intake's document types and area index."""
    return TrackingContext(
        types=intake.types, areas=intake.areas, max_nearest_km=intake.max_nearest_km,
        holidays=parse_holidays(settings.holidays),
        csrf_key=derive_key(settings.secret_key, "tracking-csrf"),
        page_limit=parse_limit(settings.tracking_page_limit),
        form_limit=parse_limit(settings.tracking_form_limit),
        secure_cookies=settings.public_base_url.startswith("https://"),
        windows={"morning": _window(settings.route_morning),
                 "afternoon": _window(settings.route_afternoon)},
        service_name=settings.service_name, ministry_name=settings.ministry_name,
        helpline=settings.helpline,
    )


def _window(text: str) -> tuple[str, str]:
    start, _, end = text.partition("-")
    return start.strip(), end.strip()


class PickupOption(msgspec.Struct, frozen=True, kw_only=True):
    branch: store.BranchRow
    distance_km: float | None


class PageView(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the page shows, before it is put into words."""

    item: store.TrackedItem
    offers: Offers
    pickup_options: tuple[PickupOption, ...]
    days: tuple[date, ...]


class AddressIn(msgspec.Struct, frozen=True, kw_only=True):
    """What the location form carries: a point from the browser, or the address in words."""

    lat: float | None = None
    lon: float | None = None
    district: str | None = None
    mahalla: str | None = None
    zuqaq: str | None = None
    house: str | None = None
    landmark: str | None = None


async def load_page(conn: asyncpg.Connection, ctx: TrackingContext, token: str, *,
                    today: date, asked_language: str | None = None) -> PageView | None:
    """The page of the item this token opens, or None for an unknown token.

    A language the citizen asks for (`?lang=`) is kept on the item, so their SMS follow it.
    """
    item = await store.get_item(conn, token_hash(token))
    if item is None:
        return None
    asked = supported(asked_language)
    if asked is not None and asked != item.chosen_language:
        await store.set_chosen_language(conn, item.id, asked)
    return await page_of(conn, ctx, item, today=today)


async def page_by_id(conn: asyncpg.Connection, ctx: TrackingContext, item_id: int, *,
                     today: date) -> PageView | None:
    """What the page of the item would show, found by id (for the help desk)."""
    item = await store.get_item_by_id(conn, item_id)
    return await page_of(conn, ctx, item, today=today) if item else None


async def page_of(conn: asyncpg.Connection, ctx: TrackingContext, item: store.TrackedItem, *,
                  today: date) -> PageView:
    """The choices, branches and days the page offers for an item."""
    offered = offers(State(item.state), item.delivery_mode, reported=item.reported,
                     purged=item.pii_purged_at is not None)
    options = await _pickup_options(conn, ctx, item, offered) if offered.choose_pickup else ()
    days = await _offered_days(conn, ctx, item, today) if offered.reschedule else ()
    return PageView(item=item, offers=offered, pickup_options=tuple(options), days=tuple(days))


def page_language(item: store.TrackedItem, *, asked: str | None, remembered: str | None) -> str:
    """The page's language: the one asked for now, the browser's cookie, then the SMS rule
    (`notifications.language`), so that page and messages agree."""
    chosen = supported(asked) or supported(remembered) or item.chosen_language
    return citizen_language(chosen=chosen, given=item.language, agency=item.agency_language,
                            governorate=item.governorate)


async def _pickup_options(conn: asyncpg.Connection, ctx: TrackingContext,
                          item: store.TrackedItem, offered: Offers) -> list[PickupOption]:
    """The nearest few branches (from the item's point or its governorate's capital)."""
    lat, lon = (item.lat, item.lon) if item.lat is not None else (item.capital_lat,
                                                                    item.capital_lon)
    nearby = []
    if offered.change_branch:
        index = await ctx.areas.current(conn)
        nearby = index.nearest_branches(lat, lon, NEAREST_BRANCHES)
    distance = {n.code: n.distance_km for n in nearby}
    codes = list(distance)
    if item.branch_code and item.branch_code not in distance:
        codes.insert(0, item.branch_code)
    rows = await store.branches(conn, codes)
    return [PickupOption(branch=rows[c], distance_km=distance.get(c)) for c in codes if c in rows]


async def _offered_days(conn: asyncpg.Connection, ctx: TrackingContext, item: store.TrackedItem,
                        today: date) -> list[date]:
    stored = await calendar.stored_holidays(conn, today, today + timedelta(days=60),
                                            item.governorate)
    return delivery_days(State(item.state), today, ctx.holidays | stored)


async def choose_mode(conn: asyncpg.Connection, ctx: TrackingContext, token: str, *, mode: str,
                      branch_code: str | None, now: datetime) -> None:
    """Home delivery, or pickup at one of the offered branches."""
    if mode not in ("home", "pickup"):
        raise InvalidInput("mode is home or pickup")
    async with conn.transaction():
        await choose_mode_of(conn, ctx, await _locked(conn, token), mode=mode,
                             branch_code=branch_code, now=now)


async def choose_mode_of(conn: asyncpg.Connection, ctx: TrackingContext, item: store.TrackedItem,
                         *, mode: str, branch_code: str | None, now: datetime,
                         actor: Actor = CITIZEN, note: dict | None = None) -> None:
    """`choose_mode` for an item locked in the caller's transaction, by `actor` (the citizen,
    or the help desk on their behalf, with `note` added to the event)."""
    if mode not in ("home", "pickup"):
        raise InvalidInput("mode is home or pickup")
    action = Action.choose_home if mode == "home" else Action.choose_pickup
    transition = decide(State(item.state), action, actor.role)
    branch = await _pickup_branch(conn, ctx, item, branch_code) if mode == "pickup" else None
    await store.set_mode(conn, item.id, mode)
    payload: dict = {"mode": mode, "branch": item.branch_code}
    if branch is not None and branch.id != item.branch_id:
        await store.set_branch(conn, item.id, branch.id, RULE_PICKUP_CHOICE)
        payload |= {"branch": branch.code, "rule": RULE_PICKUP_CHOICE}
    elif mode == "home" and item.delivery_mode == "pickup":
        payload |= await _reassign(conn, ctx, item, item.lat, item.lon)
    await _record(conn, item, transition, action, now, payload | (note or {}), actor)


async def _pickup_branch(conn: asyncpg.Connection, ctx: TrackingContext, item: store.TrackedItem,
                         code: str | None) -> store.BranchRow:
    offered = offers(State(item.state), item.delivery_mode, reported=item.reported,
                     purged=item.pii_purged_at is not None)
    options = await _pickup_options(conn, ctx, item, offered)
    chosen = next((o.branch for o in options if o.branch.code == code), None)
    if chosen is None:
        raise InvalidInput("choose one of the branches offered")
    return chosen


async def share_location(conn: asyncpg.Connection, ctx: TrackingContext, token: str,
                         address: AddressIn, *, now: datetime) -> None:
    """A point from the browser re-runs assignment; address words are kept for the courier."""
    point = _checked_point(address)
    if point is None and not any(_address_words(address).values()):
        raise InvalidInput("share your location or fill in the address")
    async with conn.transaction():
        await share_location_of(conn, ctx, await _locked(conn, token), address, now=now)


async def share_location_of(conn: asyncpg.Connection, ctx: TrackingContext,
                            item: store.TrackedItem, address: AddressIn, *, now: datetime,
                            actor: Actor = CITIZEN, note: dict | None = None) -> None:
    """`share_location` for an item locked in the caller's transaction, by `actor`."""
    point = _checked_point(address)
    words = _address_words(address)
    if point is None and not any(words.values()):
        raise InvalidInput("share your location or fill in the address")
    transition = _note(item, Action.share_location, lambda o: o.share_location, actor)
    payload: dict = {"source": "geolocation" if point else "address"}
    if any(words.values()):
        await store.set_address(conn, item.id, **words)
    if point is not None:
        await store.set_point(conn, item.id, *point)
        payload |= await _reassign(conn, ctx, item, *point)
    await _record(conn, item, transition, Action.share_location, now, payload | (note or {}),
                  actor)


def _checked_point(address: AddressIn) -> tuple[float, float] | None:
    if address.lat is None or address.lon is None:
        return None
    if not in_iraq(address.lat, address.lon):
        raise InvalidInput("outside", reason="outside")
    return address.lat, address.lon


def _address_words(address: AddressIn) -> dict[str, str | None]:
    fields = ("district", "mahalla", "zuqaq", "house", "landmark")
    return {f: _clean(getattr(address, f), MAX_TEXT) for f in fields}


def _clean(text: str | None, limit: int) -> str | None:
    text = " ".join((text or "").split())[:limit]
    return text or None


async def _reassign(conn: asyncpg.Connection, ctx: TrackingContext, item: store.TrackedItem,
                    lat: float | None, lon: float | None) -> dict:
    """Assignment again from the item's point, while the branch may still change."""
    if State(item.state) not in (State.registered, State.received):
        return {"rule": "kept_branch", "branch": item.branch_code}
    index = await ctx.areas.current(conn)
    assignment = index.assign_one(lat, lon, item.governorate,
                                  max_nearest_km=ctx.max_nearest_km)
    rows = await store.branches(conn, [assignment.branch_code] if assignment.branch_code else [])
    branch = rows.get(assignment.branch_code or "")
    if branch is None:
        return {"rule": assignment.rule, "branch": item.branch_code}
    await store.set_branch(conn, item.id, branch.id, assignment.rule)
    return {"rule": assignment.rule, "branch": branch.code}


async def reschedule(conn: asyncpg.Connection, ctx: TrackingContext, token: str, *, day: date,
                     window: str, today: date, now: datetime) -> None:
    """One of the offered working days, morning or afternoon, for route planning to honour."""
    if window not in ("morning", "afternoon"):
        raise _field_refused("window", "morning or afternoon")
    async with conn.transaction():
        await reschedule_of(conn, ctx, await _locked(conn, token), day=day, window=window,
                            today=today, now=now)


async def reschedule_of(conn: asyncpg.Connection, ctx: TrackingContext, item: store.TrackedItem,
                        *, day: date, window: str, today: date, now: datetime,
                        actor: Actor = CITIZEN, note: dict | None = None) -> None:
    """`reschedule` for an item locked in the caller's transaction, by `actor`."""
    if window not in ("morning", "afternoon"):
        raise _field_refused("window", "morning or afternoon")
    transition = _note(item, Action.reschedule, lambda o: o.reschedule, actor)
    if day not in await _offered_days(conn, ctx, item, today):
        raise _field_refused("day", "one of the days the page offers: the item cannot be "
                             "delivered earlier, nor on a day off")
    await store.set_schedule(conn, item.id, day, window)
    await _record(conn, item, transition, Action.reschedule, now,
                  {"day": day.isoformat(), "window": window} | (note or {}), actor)


def _field_refused(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", errors=[FieldError(field=field, message=message)])


async def report(conn: asyncpg.Connection, token: str, *, asked_for_money: bool,
                 complaint: str | None, now: datetime) -> None:
    """The after-delivery answer, queued for supervisors with the staff who handled the item."""
    async with conn.transaction():
        await _report(conn, await _locked(conn, token), asked_for_money=asked_for_money,
                      complaint=complaint, via="page", now=now)


async def answer_by_sms(conn: asyncpg.Connection, item_id: int, *, asked_for_money: bool,
                        now: datetime) -> bool:
    """The same answer, replied to the question's SMS; False when it is no longer open."""
    async with conn.transaction():
        item = await store.lock_item_by_id(conn, item_id)
        if item is None:
            return False
        try:
            await _report(conn, item, asked_for_money=asked_for_money, complaint=None,
                          via="sms", now=now)
        except TransitionRefused:
            return False
    return True


async def _report(conn: asyncpg.Connection, item: store.TrackedItem, *, asked_for_money: bool,
                  complaint: str | None, via: str, now: datetime) -> None:
    transition = _note(item, Action.report, lambda o: o.report)
    staff = await store.staff_of_item(conn, item.id)
    created = await store.insert_report(
        conn, item_id=item.id, branch_id=item.branch_id, asked_for_money=asked_for_money,
        complaint=_clean(complaint, MAX_COMPLAINT) or "", staff=staff, at=now)
    if created is None:
        raise TransitionRefused(RefusalCode.already_done, "already answered")
    await _record(conn, item, transition, Action.report, now,
                  {"asked_for_money": asked_for_money, "report": created, "via": via})


async def locked_by_id(conn: asyncpg.Connection, item_id: int) -> store.TrackedItem | None:
    """The item by id, row-locked in the caller's transaction (the help desk has no token)."""
    return await store.lock_item_by_id(conn, item_id)


async def _locked(conn: asyncpg.Connection, token: str) -> store.TrackedItem:
    item = await store.lock_item(conn, token_hash(token))
    if item is None:
        raise NotFound("no such tracking link")
    return item


def _note(item: store.TrackedItem, action: Action, allowed, actor: Actor = CITIZEN) -> Transition:
    """The table's row for the citizen's event, if the page offers it for this item now."""
    state = State(item.state)
    if not allowed(offers(state, item.delivery_mode, reported=item.reported,
                          purged=item.pii_purged_at is not None)):
        raise TransitionRefused(RefusalCode.wrong_state, f"cannot {action} now",
                                {"state": item.state})
    return decide(state, action, actor.role)


async def _record(conn: asyncpg.Connection, item: store.TrackedItem, transition: Transition,
                  action: Action, now: datetime, payload: dict, actor: Actor = CITIZEN) -> None:
    """The chained custody event and the agency's webhook, in the caller's transaction."""
    ref = ItemRef(id=item.id, state=item.state, agency_id=item.agency_id,
                  tracking_number=item.tracking_number, external_ref=item.external_ref)
    notice = outbox.OutboxRow(
        channel=outbox.WEBHOOK, topic="item.citizen_choice", item_id=item.id,
        agency_id=item.agency_id, payload={
            "event": "item.citizen_choice", "tracking_number": item.tracking_number,
            "external_ref": item.external_ref, "state": item.state, "choice": str(action),
            **payload, "at": now.isoformat()})
    await record(conn, ref, transition, action, actor, now=now, payload=payload,
                 extra_outbox=[notice])

