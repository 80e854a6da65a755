"""Staff roles, which kind of site each works at, and password hashing (argon2id)."""

from __future__ import annotations

import re
from enum import StrEnum

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
DEVICE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 256

# argon2id with the library's RFC 9106 "low memory" profile: 64 MiB, 3 passes.
_HASHER = PasswordHasher()
# Verified against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = _HASHER.hash("tasheel: no such user")


class StaffRole(StrEnum):
    sorting_clerk = "sorting_clerk"
    branch_clerk = "branch_clerk"
    courier = "courier"
    supervisor = "supervisor"
    admin = "admin"


# The kinds of site a role may belong to; an administrator may belong to none.
SITE_KINDS: dict[StaffRole, frozenset[str]] = {
    StaffRole.sorting_clerk: frozenset({"sorting_centre"}),
    StaffRole.branch_clerk: frozenset({"branch"}),
    StaffRole.courier: frozenset({"branch"}),
    StaffRole.supervisor: frozenset({"branch", "sorting_centre"}),
    StaffRole.admin: frozenset({"branch", "sorting_centre"}),
}


class StaffMember(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    username: str
    role: str
    site_id: int | None
    site_code: str | None
    site_kind: str | None
    active: bool


def hash_password(password: str) -> str:
    """An argon2id hash (PHC string with its salt and parameters)."""
    return _HASHER.hash(password)


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Whether `password` is the one hashed; None (no such user) costs the same and fails."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
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
    if site_kind is None:
        return None if role is StaffRole.admin else f"a {role} must belong to a site"
    if site_kind not in SITE_KINDS[role]:
        return f"a {role} works at a {' or '.join(sorted(SITE_KINDS[role]))}, not a {site_kind}"
    return None
