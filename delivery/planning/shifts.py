"""Couriers' shifts as data: a usual profile per courier and per-day exceptions (off sick, …)."""

from __future__ import annotations

import datetime as dt

import asyncpg
import msgspec

from delivery.planning import store
from delivery.planning.model import DAY_S, VEHICLES, Shift, hours_s
from delivery.platform.errors import FieldError, InvalidInput, NotFound
from delivery.platform.settings import Settings


class Profile(msgspec.Struct, frozen=True, kw_only=True):
    """A courier's usual working day."""

    username: str
    vehicle: str
    capacity_items: int
    start: str
    end: str


async def set_profile(conn: asyncpg.Connection, *, username: str, vehicle: str, capacity: int,
                      start: str, end: str) -> Profile:
    """Record a courier's vehicle, bag capacity and usual shift."""
    courier = await _courier(conn, username)
    start_s, end_s = _shift(start, end)
    _check(vehicle in VEHICLES, "/vehicle", f"one of {', '.join(VEHICLES)}")
    _check(capacity > 0, "/capacity", "at least one item")
    await conn.execute(store.UPSERT_PROFILE, courier["id"], vehicle, capacity, _time(start_s),
                       _time(end_s))
    return Profile(username=courier["username"], vehicle=vehicle, capacity_items=capacity,
                   start=start, end=end)


async def set_day(conn: asyncpg.Connection, *, username: str, day: dt.date, off: bool,
                  reason: str = "", vehicle: str | None = None, capacity: int | None = None,
                  start: str | None = None, end: str | None = None) -> None:
    """Mark one day off (`off=True`) or give it other hours, bag or vehicle than usual."""
    courier = await _courier(conn, username)
    span = _shift(start, end) if start and end else None
    _check((start is None) == (end is None), "/start", "give both start and end, or neither")
    _check(vehicle is None or vehicle in VEHICLES, "/vehicle", f"one of {', '.join(VEHICLES)}")
    _check(capacity is None or capacity > 0, "/capacity", "at least one item")
    await conn.execute(store.UPSERT_DAY, courier["id"], day, off, reason, vehicle, capacity,
                       _time(span[0]) if span else None, _time(span[1]) if span else None)


async def clear_day(conn: asyncpg.Connection, *, username: str, day: dt.date) -> bool:
    """Back to the usual profile for that day; False when there was no exception."""
    courier = await _courier(conn, username)
    return (await conn.execute(store.DELETE_DAY, courier["id"], day)) != "DELETE 0"


async def shifts_on(conn: asyncpg.Connection, settings: Settings, branch_id: int,
                    day: dt.date) -> list[Shift]:
    """The branch's couriers working on `day`, with that day's vehicle, bag and hours."""
    defaults = _defaults(settings)
    rows = await conn.fetch(store.SELECT_SHIFTS, branch_id, day)
    return [shift_of(row, defaults) for row in rows if not row["off"]]


def shift_of(row: asyncpg.Record, defaults: Shift) -> Shift:
    """The day's shift: the day's exception over the profile over the defaults."""
    start = _first(row["day_start"], row["shift_start"])
    end = _first(row["day_end"], row["shift_end"])
    return Shift(
        courier_id=row["id"], username=row["username"],
        vehicle=_first(row["day_vehicle"], row["vehicle"]) or defaults.vehicle,
        capacity_items=_first(row["day_capacity"], row["capacity_items"]) or
        defaults.capacity_items,
        start_s=_seconds(start) if start is not None else defaults.start_s,
        end_s=_seconds(end) if end is not None else defaults.end_s,
    )


def _defaults(settings: Settings) -> Shift:
    start, end = hours_s(settings.courier_default_shift)
    return Shift(courier_id=0, username="", vehicle=settings.courier_default_vehicle,
                 capacity_items=settings.courier_default_capacity, start_s=start, end_s=end)


def _first(*values):
    return next((v for v in values if v is not None), None)


def _seconds(value: dt.time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _time(seconds: int) -> dt.time:
    return dt.time(seconds // 3600, seconds % 3600 // 60)


def _shift(start: str | None, end: str | None) -> tuple[int, int]:
    try:
        span = hours_s(f"{start}-{end}")
        if span[1] < DAY_S:
            return span
    except ValueError:
        pass
    raise InvalidInput("the shift must be HH:MM to a later HH:MM", errors=[
        FieldError(field="/start", message=f"{start}-{end} is not a shift")])


async def _courier(conn: asyncpg.Connection, username: str) -> asyncpg.Record:
    row = await conn.fetchrow(store.SELECT_COURIER, username.strip().lower())
    if row is None or row["role"] != "courier":
        raise NotFound(f"no courier {username}")
    return row


def _check(ok: bool, field: str, message: str) -> None:
    if not ok:
        raise InvalidInput(f"{field.strip('/')}: {message}",
                           errors=[FieldError(field=field, message=message)])

