"""Staff roles, which kind of site each works at, and password hashing (argon2id)."""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
DEVICE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 256

# argon2id with the RFC 9106 "low memory" profile by default: 64 MiB, 3 passes, 4 lanes.
PRODUCTION_MEMORY_KIB = 65536
PRODUCTION_TIME_COST = 3


@lru_cache
def password_hasher(memory_kib: int = PRODUCTION_MEMORY_KIB,
                    time_cost: int = PRODUCTION_TIME_COST) -> PasswordHasher:
    """The argon2id hasher with these costs."""
    return PasswordHasher(memory_cost=memory_kib, time_cost=time_cost)


@lru_cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    # Verified against when the username is unknown, so both cases take the same time.
    return hasher.hash("tasheel: no such user")


_active = [password_hasher()]


def configure_hashing(*, memory_kib: int, time_cost: int) -> None:
    """Hash new passwords of this process with these costs (settings ARGON2_*)."""
    _active[0] = password_hasher(memory_kib, time_cost)


class StaffRole(StrEnum):
    sorting_clerk = "sorting_clerk"
    branch_clerk = "branch_clerk"
    courier = "courier"
    supervisor = "supervisor"
    admin = "admin"
    inspector = "inspector"  # a governorate, or the whole country; never a site
    helpdesk = "helpdesk"  # a governorate; never a site


# The kinds of site a role may belong to; an administrator may belong to none.
SITE_KINDS: dict[StaffRole, frozenset[str]] = {
    StaffRole.sorting_clerk: frozenset({"sorting_centre"}),
    StaffRole.branch_clerk: frozenset({"branch"}),
    StaffRole.courier: frozenset({"branch"}),
    StaffRole.supervisor: frozenset({"branch", "sorting_centre"}),
    StaffRole.admin: frozenset({"branch", "sorting_centre"}),
    StaffRole.inspector: frozenset(),
    StaffRole.helpdesk: frozenset(),
}
# Roles that answer for a governorate rather than a site: independent of every branch.
GOVERNORATE_ROLES = frozenset({StaffRole.inspector, StaffRole.helpdesk})


class StaffAccount(msgspec.Struct, frozen=True, kw_only=True):
    """Who a member of staff is: their account, role and site."""

    id: int
    username: str
    role: str
    site_id: int | None
    site_code: str | None
    site_kind: str | None
    governorate: str | None = None  # an inspector's or the help desk's; None: not that kind


class StaffMember(StaffAccount, frozen=True, kw_only=True):
    """An account as stored, whether or not it may still log in."""

    active: bool
    token_gen: int = 0  # moved on by each change that ends earlier tokens


def hash_password(password: str) -> str:
    """An argon2id hash (PHC string with its salt and parameters)."""
    return _active[0].hash(password)


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Whether `password` is the one hashed; None (no such user) costs the same and fails."""
    hasher = _active[0]  # a stored hash names its own costs; the dummy uses the current ones
    try:
        return hasher.verify(stored_hash or _dummy_hash(hasher), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD_CHARS:
        return f"a password needs at least {MIN_PASSWORD_CHARS} characters"
    if len(password) > MAX_PASSWORD_CHARS:
        return f"a password may have at most {MAX_PASSWORD_CHARS} characters"
    return None


def site_problem(role: StaffRole, site_kind: str | None) -> str | None:
    """Why a role cannot belong to a site of this kind (None: it can)."""
    if role in GOVERNORATE_ROLES:
        return None if site_kind is None else f"a {role} belongs to no site, only a governorate"
    if site_kind is None:
        return None if role is StaffRole.admin else f"a {role} must belong to a site"
    if site_kind not in SITE_KINDS[role]:
        return f"a {role} works at a {' or '.join(sorted(SITE_KINDS[role]))}, not a {site_kind}"
    return None


def governorate_problem(role: StaffRole, governorate: str | None, national: bool) -> str | None:
    """Why a role cannot have this governorate, or the whole country (None: it can)."""
    if role not in GOVERNORATE_ROLES:
        return (f"a {role} belongs to a site, not a governorate"
                if governorate or national else None)
    if governorate and national:
        return "either a governorate or the whole country, not both"
    if role is StaffRole.inspector:
        return None if governorate or national else \
            "an inspector needs a governorate, or the whole country (--national)"
    return None if governorate else f"a {role} needs a governorate"
