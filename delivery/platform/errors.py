"""Domain errors: what went wrong, in data; `problems.py` decides how HTTP says it."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec


class FieldError(msgspec.Struct, frozen=True, kw_only=True):
    """A field at fault, named by its JSON pointer (`/documents/3/citizen/phone`)."""

    field: str
    message: str


class DomainError(Exception):
    """Base of every error a caller can cause and be told about."""

    def __init__(self, detail: str, *, errors: Sequence[FieldError] = (), **extra: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = tuple(errors)
        self.extra = extra


class InvalidInput(DomainError):
    """The request is well-formed but its content breaks a rule."""


class MalformedRequest(DomainError):
    """The request body cannot be read at all (not JSON, wrong shape)."""


class NotFound(DomainError):
    """Nothing the caller may see goes by that name."""


class Conflict(DomainError):
    """The request contradicts what is already recorded."""


class NotAllowed(DomainError):
    """The caller is known but may not do this."""


class Unauthenticated(DomainError):
    """The caller did not prove who they are."""


class RateLimited(DomainError):
    """Too many attempts; `retry_after` seconds until the next one may succeed."""

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.retry_after = retry_after


class PayloadTooLarge(DomainError):
    """The request carries more than one call may."""
