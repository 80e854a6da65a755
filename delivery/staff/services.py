"""Creating staff accounts and logging them in, with attempts limited per username and per IP."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import msgspec
from redis.asyncio import Redis

from delivery.platform.errors import Conflict, FieldError, InvalidInput, RateLimited, Unauthenticated
from delivery.platform.settings import Settings
from delivery.staff import model, store
from delivery.staff.auth import issue_token
from delivery.staff.model import StaffMember, StaffRole

# Failed logins per username, and all logins per client address, within one window.
USERNAME_FAILURES = 5
IP_ATTEMPTS = 30
WINDOW_S = 300


class TokenOut(msgspec.Struct, frozen=True, kw_only=True):
    """A staff token for `Authorization: Bearer …`, valid `expires_in` seconds, with the role and
    site it carries."""

    access_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 (a scheme name, not a secret)
    role: str
    site: str | None


def configure_hashing(settings: Settings) -> None:
    """Hash this process's new passwords with the argon2 costs of `settings`."""
    model.configure_hashing(memory_kib=settings.argon2_memory_kib,
                            time_cost=settings.argon2_time_cost)


async def create_staff(conn: asyncpg.Connection, *, username: str, password: str, role: str,
                       site_code: str | None) -> StaffMember:
    """A new active account; the password is kept only as an argon2id hash."""
    username = username.strip().lower()
    staff_role = _role(role)
    _require(model.USERNAME.match(username) is not None, "/username",
             "3-64 lower-case letters, digits, dots, dashes or underscores")
    _require_none(model.password_problem(password), "/password")
    site = await store.get_site(conn, site_code) if site_code else None
    _require(site_code is None or site is not None, "/branch", f"no site {site_code}")
    _require_none(model.site_problem(staff_role, site["kind"] if site else None), "/branch")
    password_hash = await asyncio.to_thread(model.hash_password, password)
    staff_id = await store.insert_staff(conn, username=username, password_hash=password_hash,
                                        role=staff_role, site_id=site["id"] if site else None)
    if staff_id is None:
        raise Conflict(f"username {username} is taken")
    member = await store.get_by_id(conn, staff_id)
    assert member is not None
    return member


async def login(conn: asyncpg.Connection, redis: Redis, settings: Settings, *, username: str,
                password: str, device_id: str, client_ip: str) -> TokenOut:
    """A token for this device if the password is right and the limits allow another attempt."""
    username = username.strip().lower()
    _require(model.DEVICE_ID.match(device_id) is not None, "/device_id",
             "1-64 letters, digits, dots, colons, dashes or underscores")
    user_key, ip_key = f"login:fail:user:{username}", f"login:ip:{client_ip}"
    await _refuse_if_over(redis, user_key, USERNAME_FAILURES)
    await _count(redis, ip_key)
    await _refuse_if_over(redis, ip_key, IP_ATTEMPTS + 1)
    stored = await store.password_hash(conn, username)
    if not await asyncio.to_thread(model.password_matches, stored, password):
        await _count(redis, user_key)
        raise Unauthenticated("wrong username or password")
    member = await store.get_by_username(conn, username)
    assert member is not None
    await store.note_device(conn, device_id, member.id)
    token = issue_token(settings, member, device_id, datetime.now(UTC))
    return TokenOut(access_token=token, expires_in=settings.jwt_ttl_s, role=member.role,
                    site=member.site_code)


async def _count(redis: Redis, key: str) -> None:
    # SET NX then INCR: the window starts at the first attempt, as EXPIRE NX would do, but this
    # also runs on Redis 6.2 (the embedded one), which has no EXPIRE NX.
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(key, 0, ex=WINDOW_S, nx=True)
        pipe.incr(key)
        await pipe.execute()


async def _refuse_if_over(redis: Redis, key: str, limit: int) -> None:
    count = int(await redis.get(key) or 0)
    if count >= limit:
        ttl = await redis.ttl(key)
        raise RateLimited("too many login attempts; try again later",
                          retry_after=max(int(ttl), 1))


def _role(role: str) -> StaffRole:
    try:
        return StaffRole(role)
    except ValueError:
        known = ", ".join(r.value for r in StaffRole)
        raise InvalidInput(f"unknown role {role!r}",
                           errors=[FieldError(field="/role", message=f"one of {known}")]) from None


def _require(ok: bool, field: str, message: str) -> None:
    if not ok:
        raise InvalidInput(message, errors=[FieldError(field=field, message=message)])


def _require_none(problem: str | None, field: str) -> None:
    if problem is not None:
        _require(False, field, problem)
