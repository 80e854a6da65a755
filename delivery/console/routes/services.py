"""The routes pages' services: which branch a supervisor may see, its planned days, a day's stops
(where, never who), planning again, and couriers' shifts set from the console."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import asyncpg
import msgspec

from delivery.console.routes import forms, store
from delivery.console.scope import Scope
from delivery.planning import services as planning
from delivery.planning import shifts, views
from delivery.planning.model import local_day
from delivery.platform.errors import NotAllowed, NotFound
from delivery.platform.settings import Settings
from delivery.staff.auth import StaffUser

PAGE_SIZE = 20


class Stop(msgspec.Struct, frozen=True, kw_only=True):
    """One stop of a courier's day: when, where, and which items."""

    seq: int
    arrival: dt.datetime
    window_start: dt.datetime
    window_end: dt.datetime
    carried: bool
    call_ahead: bool  # the point is the district's, not the citizen's
    tracking_numbers: list[str]
    address: str  # the address words of its items
    landmark: str
    lat: float  # for the map only: the list never shows coordinates
    lon: float


class CourierDay(msgspec.Struct, frozen=True, kw_only=True):
    """A courier's part of a plan, stops in order."""

    username: str
    vehicle: str
    capacity_items: int
    shift_start: dt.datetime
    shift_end: dt.datetime
    distance_m: int
    duration_s: int
    stops: list[Stop]

    @property
    def items(self) -> int:
        """How many items the courier carries that day."""
        return sum(len(s.tracking_numbers) for s in self.stops)


class LeftOut(msgspec.Struct, frozen=True, kw_only=True):
    tracking_number: str
    reason: str
    place: str = ""  # for no_location: the district and mahalla words that matched nothing


class DayView(msgspec.Struct, frozen=True, kw_only=True):
    """A branch's day as the console shows it: one plan version."""

    branch: str
    day: dt.date
    version: int
    planned_at: dt.datetime
    trigger: str
    items_routed: int
    depot: tuple[float, float]
    couriers: list[CourierDay]
    left_out: list[LeftOut]
    waited: list[tuple[str, int]] = []  # (tracking number, days) left out on 2+ earlier days


class CourierRow(msgspec.Struct, frozen=True, kw_only=True):
    """A courier of the branch: the usual shift and the coming exceptions."""

    username: str
    vehicle: str | None
    capacity_items: int | None
    shift: str | None  # "08:30-15:30"
    days: list[dict]


async def branch_for(conn: asyncpg.Connection, staff: StaffUser, scope: Scope,
                     code: str) -> asyncpg.Record:
    """The branch whose routes `staff` may see: their own (a supervisor's) or any (admin)."""
    if staff.role != "admin" and staff.site_code != code:
        raise NotAllowed(f"{staff.username} supervises {staff.site_code}, not {code}")
    branch = await store.get_branch(conn, scope, code)
    if branch is None:
        raise NotFound(f"no branch {code}")
    return branch


async def plan_days(conn: asyncpg.Connection, scope: Scope, branch: asyncpg.Record,
                    page: int) -> tuple[list[asyncpg.Record], bool]:
    """A page of the branch's planned days (newest first) and whether more follow."""
    rows = await store.plan_days(conn, scope, branch["id"], limit=PAGE_SIZE + 1,
                                 offset=(page - 1) * PAGE_SIZE)
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


async def day_view(conn: asyncpg.Connection, scope: Scope, branch: asyncpg.Record, day: dt.date,
                   version: int | None = None) -> DayView | None:
    """The day's plan (in force, or `version`) with each stop's address words; None if none."""
    try:
        plan = await views.stored_plan(conn, branch["code"], day, version)
    except NotFound:
        return None
    words = await store.stop_words(conn, scope, [i for s in plan.stops for i in s["item_ids"]])
    h = plan.header
    return DayView(
        branch=branch["code"], day=day, version=h["version"], planned_at=h["created_at"],
        trigger=h["trigger"], items_routed=h["items_routed"],
        depot=(plan.branch["lat"], plan.branch["lon"]),
        couriers=[_courier(c, plan.stops, words) for c in plan.couriers],
        left_out=[LeftOut(tracking_number=r["tracking_number"], reason=r["reason"],
                          place=" / ".join(filter(None, (r["district"], r["mahalla"]))))
                  for r in plan.left_out],
        waited=[(r["tracking_number"], r["days"]) for r in plan.waited])


def _courier(row: asyncpg.Record, stops: list[asyncpg.Record],
             words: dict[int, asyncpg.Record]) -> CourierDay:
    own = [_stop(s, [words[i] for i in s["item_ids"] if i in words])
           for s in stops if s["courier_id"] == row["courier_id"]]
    return CourierDay(username=row["username"], vehicle=row["vehicle"],
                      capacity_items=row["capacity_items"], shift_start=row["shift_start"],
                      shift_end=row["shift_end"], distance_m=row["distance_m"],
                      duration_s=row["duration_s"], stops=own)


def _stop(row: asyncpg.Record, items: list[asyncpg.Record]) -> Stop:
    return Stop(seq=row["seq"], arrival=row["arrival_at"], window_start=row["window_start"],
                window_end=row["window_end"], carried=row["fixed"],
                call_ahead=row["located_by"] is not None,
                tracking_numbers=[i["tracking_number"] for i in items],
                address=" / ".join(dict.fromkeys(filter(None, map(address_words, items)))),
                landmark=" / ".join(dict.fromkeys(i["landmark"] for i in items if i["landmark"])),
                lat=row["lat"], lon=row["lon"])


def address_words(item: Mapping) -> str:
    """District, mahalla, zuqaq, house and the free text, as one line."""
    parts = (item["district"], item["mahalla"] and f"م {item['mahalla']}",
             item["zuqaq"] and f"ز {item['zuqaq']}", item["house"] and f"د {item['house']}",
             item["address_text"])
    return "، ".join(p for p in parts if p)


async def replan(conn: asyncpg.Connection, settings: Settings, branch: asyncpg.Record,
                 day: dt.date) -> planning.PlanOutcome:
    """Plan the day again now; a new version only when something it depends on changed."""
    return await planning.plan_branch_day(
        conn, settings, branch["code"], day, trigger="console",
        max_runtime_s=min(settings.route_plan_seconds, planning.REQUEST_PLAN_SECONDS))


async def couriers(conn: asyncpg.Connection, scope: Scope, branch: asyncpg.Record, page: int,
                   *, today: dt.date) -> tuple[list[CourierRow], bool]:
    """A page of the branch's couriers with their usual shift and coming days off / hours."""
    rows = await store.couriers(conn, scope, branch["id"], limit=PAGE_SIZE + 1,
                                offset=(page - 1) * PAGE_SIZE)
    shown = rows[:PAGE_SIZE]
    days = await store.coming_days(conn, scope, [r["id"] for r in shown], today)
    return [_courier_row(r, [dict(d) for d in days if d["staff_id"] == r["id"]])
            for r in shown], len(rows) > PAGE_SIZE


def _courier_row(row: asyncpg.Record, days: list[dict]) -> CourierRow:
    return CourierRow(
        username=row["username"], vehicle=row["vehicle"], capacity_items=row["capacity_items"],
        shift=f"{row['shift_start']:%H:%M}-{row['shift_end']:%H:%M}" if row["vehicle"] else None,
        days=days)


async def set_profile(conn: asyncpg.Connection, scope: Scope, branch: asyncpg.Record,
                      data: Mapping[str, str]) -> str:
    """Record a courier's usual shift from the form; returns the username."""
    form = forms.profile_form(data)
    async with conn.transaction():
        await _branch_courier(conn, scope, branch, form.username)
        await shifts.set_profile(conn, username=form.username, vehicle=form.vehicle,
                                 capacity=form.capacity, start=form.start, end=form.end)
    return form.username


async def set_day(conn: asyncpg.Connection, scope: Scope, branch: asyncpg.Record,
                  data: Mapping[str, str], *, now: dt.datetime | None = None) -> str:
    """Mark a coming day off, or give it other hours; returns the username."""
    form = forms.day_form(data, local_day(now or dt.datetime.now(dt.UTC)))
    async with conn.transaction():
        await _branch_courier(conn, scope, branch, form.username)
        await shifts.set_day(conn, username=form.username, day=form.day, off=form.off,
                             reason=form.reason, start=form.start, end=form.end)
    return form.username


async def clear_day(conn: asyncpg.Connection, scope: Scope, branch: asyncpg.Record,
                    data: Mapping[str, str], *, now: dt.datetime | None = None) -> str:
    """Back to the usual shift on a coming day; returns the username."""
    form = forms.clear_form(data, local_day(now or dt.datetime.now(dt.UTC)))
    async with conn.transaction():
        await _branch_courier(conn, scope, branch, form.username)
        await shifts.clear_day(conn, username=form.username, day=form.day)
    return form.username


async def _branch_courier(conn: asyncpg.Connection, scope: Scope, branch: asyncpg.Record,
                          username: str) -> None:
    # Unknown and another branch's courier read the same: the form reveals no other branch.
    if await store.get_branch_courier(conn, scope, username, branch["id"]) is None:
        raise forms.FormProblem("username", f"لا موزع بريد باسم {username} في هذا الفرع",
                                f"no courier {username} at this branch")
