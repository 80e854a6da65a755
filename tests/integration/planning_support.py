"""A branch's delivery day for planning tests: items at the branch, couriers with profiles."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import secrets

import msgspec

from delivery.planning import shifts
from delivery.planning.model import BAGHDAD
from delivery.staff import services as staff
from tests.helpers import create_agency

BRANCH = "BG-002"  # the demo Karkh branch
_SERIAL = itertools.count(1)

INSERT_ITEM = """
INSERT INTO items (tracking_number, agency_id, external_ref, fingerprint, comparable,
    document_type, state, citizen_name, citizen_phone, governorate, district, address_text,
    landmark, lat, lon, delivery_mode, branch_id, assignment_rule, token_hash, delivery_day,
    delivery_window, courier_id)
VALUES ($1, $2, $3, $4, '{}', 'passport', $5, $6, $7, 'IQ-BG', $18, $8, $9, $10, $11, $12,
    (SELECT id FROM sites WHERE code = $13), 'test', $14, $15, $16, $17)
RETURNING id
"""


class Spot(msgspec.Struct, frozen=True, kw_only=True):
    lat: float
    lon: float


async def agency_id(conn) -> int:
    """The test agency (created once per test database state)."""
    found = await conn.fetchval("SELECT id FROM agencies WHERE code = 'PLAN-TEST'")
    if found is None:
        await create_agency(conn, "PLAN-TEST")
        found = await conn.fetchval("SELECT id FROM agencies WHERE code = 'PLAN-TEST'")
    return found


async def add_item(conn, *, lat: float | None, lon: float | None, phone: str | None = None,
                   window: str | None = None, day: dt.date | None = None,
                   state: str = "at_branch", mode: str = "home", courier_id: int | None = None,
                   branch: str = BRANCH, name: str = "Ahmed Ali Hassan",
                   district: str | None = "Karkh", address_text: str | None = None) -> int:
    """One item at the branch; returns its id."""
    n = next(_SERIAL)
    return await conn.fetchval(
        INSERT_ITEM, f"RR{n:09d}IQ", await agency_id(conn), f"ref-{n}-{secrets.token_hex(3)}",
        b"f", state, name, phone or f"+96477{n:08d}", address_text or f"mahalla {n}, zuqaq 2",
        "near the mosque", lat, lon, mode, branch, secrets.token_bytes(16), day, window,
        courier_id, district)


def spots_around(lat: float, lon: float, count: int, *, radius_m: float,
                 rng: random.Random) -> list[Spot]:
    """Points spread uniformly over a disc around (lat, lon)."""
    spots = []
    for _ in range(count):
        r, angle = radius_m * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        spots.append(Spot(lat=lat + r * math.cos(angle) / 111_320,
                          lon=lon + r * math.sin(angle) / (111_320 * math.cos(math.radians(lat)))))
    return spots


async def branch_point(conn, code: str = BRANCH) -> tuple[float, float]:
    row = await conn.fetchrow("SELECT lat, lon FROM sites WHERE code = $1", code)
    return row["lat"], row["lon"]


async def add_courier(conn, username: str, *, vehicle: str = "motorcycle", capacity: int = 40,
                      start: str = "08:30", end: str = "15:30", branch: str = BRANCH) -> int:
    """A courier of the branch with a profile; returns the staff id."""
    member = await staff.create_staff(conn, username=username, password="correct horse battery",
                                      role="courier", site_code=branch)
    await shifts.set_profile(conn, username=username, vehicle=vehicle, capacity=capacity,
                             start=start, end=end)
    return member.id


def tomorrow() -> dt.date:
    """A day that is in the future whatever the time in Baghdad now."""
    return dt.datetime.now(BAGHDAD).date() + dt.timedelta(days=1)


def early_on(day: dt.date) -> dt.datetime:
    """05:00 in Baghdad on `day`: before any shift starts."""
    return dt.datetime.combine(day, dt.time(5), tzinfo=BAGHDAD).astimezone(dt.UTC)
