"""Domain errors: what went wrong, in data; `problems.py` decides how HTTP says it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import takewhile

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


# --- where in a JSON body an error is --------------------------------------------------------

_MSGSPEC_PATH = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[\.\.\.\]")
_FIELD_IN_MESSAGE = re.compile(r"(?:unknown|missing required) field `([^`]+)`")


def decode_errors_to_field_errors(
    error: msgspec.ValidationError, prefix: str = "",
) -> list[FieldError]:
    """msgspec's "… - at `$.documents[17].citizen.phone`" as a FieldError at a JSON pointer."""
    text = str(error)
    message, _, path = text.rpartition(" - at `")
    if not message:
        message, path = text, "$`"
    return [FieldError(field=prefix + pointer_of(path.removesuffix("`"), message),
                       message=message)]


def pointer_of(path: str, message: str) -> str:
    """The JSON pointer of the field a msgspec error at `path` (`$.scans[1].at`) is about."""
    pointer = msgspec_path_to_pointer(path)
    if field := _FIELD_IN_MESSAGE.search(message):
        # Point at the field itself rather than at the object that lacks or has it.
        pointer += "/" + _escape_pointer(field[1])
    return pointer


def msgspec_path_to_pointer(path: str) -> str:
    """`$.documents[17].citizen.phone` → `/documents/17/citizen/phone`."""
    # msgspec writes a mapping's key as `[...]`; the pointer can only go as deep as the mapping.
    steps = takewhile(lambda m: m[0] != "[...]", _MSGSPEC_PATH.finditer(path.removeprefix("$")))
    return "".join("/" + _escape_pointer(m[1] or m[2]) for m in steps)


def _escape_pointer(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")
