"""Staff accounts (created, deactivated, given a role, a new password) and logging them in,
with failed attempts limited (`lockout`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import msgspec
from redis.asyncio import Redis

from delivery.platform.errors import Conflict, FieldError, InvalidInput, NotFound, Unauthenticated
from delivery.platform.settings import Settings
from delivery.staff import lockout, model, store
from delivery.staff.auth import StaffUser, issue_token
from delivery.staff.model import StaffMember, StaffRole


class TokenOut(msgspec.Struct, frozen=True, kw_only=True):
    """A staff token for `Authorization: Bearer …`, valid `expires_in` seconds, with the role and
    site it carries."""

    access_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 (a scheme name, not a secret)
    role: str
    site: str | None
    governorate: str | None = None  # an inspector's or the help desk's


def configure_hashing(settings: Settings) -> None:
    """Hash this process's new passwords with the argon2 costs of `settings`."""
    model.configure_hashing(memory_kib=settings.argon2_memory_kib,
                            time_cost=settings.argon2_time_cost)


async def create_staff(conn: asyncpg.Connection, *, username: str, password: str, role: str,
                       site_code: str | None, governorate: str | None = None,
                       national: bool = False) -> StaffMember:
    """A new active account; the password is kept only as an argon2id hash. Supervisors and
    handheld roles belong to a site; inspectors to a governorate or (`national`) the whole
    country; the help desk to a governorate."""
    username = username.strip().lower()
    staff_role = _role(role)
    _require(model.USERNAME.match(username) is not None, "/username",
             "3-64 lower-case letters, digits, dots, dashes or underscores")
    _require_none(model.password_problem(password), "/password")
    site = await _site_for(conn, staff_role, site_code)
    governorate = await _governorate_for(conn, staff_role, governorate, national)
    password_hash = await asyncio.to_thread(model.hash_password, password)
    staff_id = await store.insert_staff(conn, username=username, password_hash=password_hash,
                                        role=staff_role, site_id=site["id"] if site else None,
                                        governorate=governorate)
    if staff_id is None:
        raise Conflict(f"username {username} is taken")
    member = await store.get_by_id(conn, staff_id)
    assert member is not None
    return member


async def deactivate(conn: asyncpg.Connection, *, username: str) -> None:
    """Deactivate an account: no more logins, and its tokens stop at their next request."""
    _found(await store.deactivate(conn, username.strip().lower()), username)


async def change_role(conn: asyncpg.Connection, *, username: str, role: str,
                      site_code: str | None, governorate: str | None = None,
                      national: bool = False) -> StaffMember:
    """Give an account a role at a site (or a governorate); its earlier tokens and console
    sessions stop at their next request."""
    username = username.strip().lower()
    staff_role = _role(role)
    site = await _site_for(conn, staff_role, site_code)
    governorate = await _governorate_for(conn, staff_role, governorate, national)
    _found(await store.set_role(conn, username, role=staff_role,
                                site_id=site["id"] if site else None,
                                governorate=governorate), username)
    member = await store.get_by_username(conn, username)
    assert member is not None
    return member


async def reset_password(conn: asyncpg.Connection, *, username: str, password: str) -> None:
    """Give an account a new password; its earlier tokens stop at their next request."""
    _require_none(model.password_problem(password), "/password")
    password_hash = await asyncio.to_thread(model.hash_password, password)
    _found(await store.set_password(conn, username.strip().lower(), password_hash), username)


async def login(conn: asyncpg.Connection, redis: Redis, settings: Settings, *, username: str,
                password: str, device_id: str, client_ip: str) -> TokenOut:
    """A token for this device if the password is right and the limits allow another attempt."""
    username = username.strip().lower()
    _require(model.DEVICE_ID.match(device_id) is not None, "/device_id",
             "1-64 letters, digits, dots, colons, dashes or underscores")
    await lockout.refuse_if_limited(redis, username, client_ip)
    stored = await store.password_hash(conn, username)
    if not await asyncio.to_thread(model.password_matches, stored, password):
        await lockout.count_failure(redis, username, client_ip)
        raise Unauthenticated("wrong username or password")
    member = await store.get_by_username(conn, username)
    assert member is not None
    await lockout.count_success(redis, username, client_ip)
    await store.note_device(conn, device_id, member.id)
    return _token(settings, member, device_id)


async def renew(conn: asyncpg.Connection, settings: Settings, staff: StaffUser) -> TokenOut:
    """A fresh token for the same account and device, for a token still valid and current (the
    caller's `current_staff` refused a deactivated or changed account): a handheld in use stays
    signed in without the password being typed again."""
    await store.note_device(conn, staff.device_id, staff.id)
    return _token(settings, staff, staff.device_id)


def _token(settings: Settings, member: StaffMember | StaffUser, device_id: str) -> TokenOut:
    token = issue_token(settings, member, device_id, datetime.now(UTC))
    return TokenOut(access_token=token, expires_in=settings.jwt_ttl_s, role=member.role,
                    site=member.site_code, governorate=member.governorate)


async def _site_for(conn: asyncpg.Connection, role: StaffRole,
                    site_code: str | None) -> asyncpg.Record | None:
    """The site a role is to belong to, if it fits the role."""
    site = await store.get_site(conn, site_code) if site_code else None
    _require(site_code is None or site is not None, "/branch", f"no site {site_code}")
    _require_none(model.site_problem(role, site["kind"] if site else None), "/branch")
    return site


async def _governorate_for(conn: asyncpg.Connection, role: StaffRole, governorate: str | None,
                           national: bool) -> str | None:
    """The governorate a role is to answer for (None: a site's role, or the whole country)."""
    governorate = governorate.strip().upper() if governorate else None
    _require_none(model.governorate_problem(role, governorate, national), "/governorate")
    _require(governorate is None or await store.governorate_exists(conn, governorate),
             "/governorate", f"no governorate {governorate}")
    return governorate


def _found(updated: bool, username: str) -> None:
    if not updated:
        raise NotFound(f"no staff account {username.strip().lower()}")


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
