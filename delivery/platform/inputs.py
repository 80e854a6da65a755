"""What no request may carry, checked once at the edge so that it never reaches the database.

Pure: bytes and strings in, checked values out, `MalformedRequest` (400: the body cannot be read)
or `InvalidInput` (422: a value breaks a rule, named by its field) otherwise.

- JSON bodies: UTF-8 only, nested at most `MAX_DEPTH` deep, no key twice in one object, no
  `NaN`/`Infinity`, integers within PostgreSQL's bigint, no control characters in text.
- Text anywhere (JSON, query, path, forms): no C0/C1 control characters but tab, line feed and
  carriage return (PostgreSQL refuses NUL in text and jsonb; the rest only hides things).
- Bidi overrides, embeddings and isolates (U+202A–U+202E, U+2066–U+2069) are removed: they let a
  citizen's address or a note read differently on the courier's screen than it was typed. The
  marks U+200E/U+200F (and U+061C) stay: Arabic keyboards type them around digits, and they open
  no embedding, so they cannot reorder the text around them.
- Times sent as query values must lie within `EARLIEST`…`LATEST` (a date far outside it is a
  typo or a probe, and its UTC conversion may not exist).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import msgspec

from delivery.platform.errors import FieldError, InvalidInput, MalformedRequest

MAX_DEPTH = 32
INT_MIN, INT_MAX = -(2**63), 2**63 - 1  # PostgreSQL bigint
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_INT_RANGE = f"must lie between {INT_MIN} and {INT_MAX}"

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
# A body needs walking only when its raw text may hold a control or bidi character, escaped
# (`\u0000`, `\u202e`) or not; most bodies are passed without it.
_SUSPECT = re.compile(r"\\u00[01]|\\u007[fF]|\\u00[89]|\\u20[26]|[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: str, field: str) -> str:
    """`value` without bidi controls; InvalidInput naming `field` if it holds a control character."""
    if CONTROL.search(value):
        raise InvalidInput(f"{field} holds a control character", errors=[_control(field)])
    return BIDI.sub("", value)


def check_int(value: int, field: str) -> None:
    """InvalidInput naming `field` unless `value` fits PostgreSQL's bigint."""
    if not INT_MIN <= value <= INT_MAX:
        raise InvalidInput(f"{field} is out of range", errors=[_out_of_range(field)])


def check_moment(value: datetime | date, field: str) -> None:
    """InvalidInput naming `field` unless `value` lies between EARLIEST and LATEST."""
    if isinstance(value, datetime):
        ok = _in_range(value if value.tzinfo else value.replace(tzinfo=UTC))
    else:
        ok = EARLIEST.date() <= value < LATEST.date()
    if not ok:
        raise InvalidInput(f"{field} is out of range", errors=[FieldError(
            field=field, message=f"must lie between {EARLIEST.year} and {LATEST.year}")])


def _in_range(value: datetime) -> bool:
    try:
        return EARLIEST <= value.astimezone(UTC) < LATEST
    except OverflowError:  # 9999-12-31T23:59-23:59 has no UTC time
        return False


# --- JSON bodies -----------------------------------------------------------------------------

class _Flagged:
    """A value the parser met that breaks a rule; the walk names its field."""

    __slots__ = ("error",)

    def __init__(self, error: str) -> None:
        self.error = error


class _Pairs(dict):
    """An object with a key sent twice (`dict` keeps the last, as msgspec would)."""

    duplicate: str = ""


def inspect_json(body: bytes) -> tuple[bytes, list[FieldError]]:
    """The body as it may be decoded (bidi controls removed) and every field that breaks a rule
    (control characters, out-of-range numbers, keys sent twice), or MalformedRequest when the
    body is no JSON this service reads (not UTF-8, not JSON, nested too deep)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedRequest(f"The body is not UTF-8 (byte {exc.start}).") from None
    flagged = False

    def flag(error: str) -> _Flagged:
        nonlocal flagged
        flagged = True
        return _Flagged(error)

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal flagged
        obj = _Pairs(items)
        if len(obj) != len(items):
            obj.duplicate = _first_repeated(k for k, _ in items)
            flagged = True
        return obj

    def integer(digits: str) -> int | _Flagged:
        try:
            value = int(digits)
        except ValueError:  # beyond Python's digit limit: far beyond any range
            return flag(_INT_RANGE)
        return value if INT_MIN <= value <= INT_MAX else flag(_INT_RANGE)

    def number(digits: str) -> float | _Flagged:
        value = float(digits)
        return value if abs(value) != float("inf") else flag("not a finite number")

    try:
        value = json.loads(text, object_pairs_hook=pairs, parse_int=integer, parse_float=number,
                           parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise MalformedRequest(f"The body is not valid JSON: {_why(exc)}") from None
    if _depth(value) > MAX_DEPTH:
        raise MalformedRequest(f"The body is nested more than {MAX_DEPTH} deep.")
    if not flagged and not _SUSPECT.search(text):
        return body, []
    errors: list[FieldError] = []
    cleaned = _walk(value, "", errors)
    return msgspec.json.encode(cleaned), errors


def faults_by_item(faults: list[FieldError], array: str) -> dict[int, list[FieldError]]:
    """The faults inside each item of the body's `array` (`/scans`), by index, for a handler
    that refuses items alone; InvalidInput naming them all when one lies outside every item."""
    by_item: dict[int, list[FieldError]] = {}
    for fault in faults:
        step = fault.field.removeprefix(array + "/").split("/")[0]
        if not fault.field.startswith(array + "/") or not step.isdigit():
            raise InvalidInput(f"Invalid: {fault.field}.", errors=faults)
        by_item.setdefault(int(step), []).append(fault)
    return by_item


def _first_repeated(keys: Iterator[str]) -> str:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            return key
        seen.add(key)
    return ""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _why(exc: Exception) -> str:
    return "nested too deep" if isinstance(exc, RecursionError) else str(exc)


def _depth(value: Any) -> int:
    """How deep containers nest (1 for a flat object), stopping past MAX_DEPTH."""
    deepest, level = 0, [value]
    while level and deepest <= MAX_DEPTH:
        deepest += 1
        level = [child for node in level for child in _children(node)
                 if isinstance(child, dict | list)]
    return deepest if isinstance(value, dict | list) else 0


def _children(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        return iter(node.values())
    return iter(node) if isinstance(node, list) else iter(())


def _walk(value: Any, at: str, errors: list[FieldError]) -> Any:
    """`value` with bidi controls removed from its text, each fault added to `errors`."""
    if isinstance(value, _Flagged):
        errors.append(FieldError(field=at, message=value.error))
        return None
    if isinstance(value, str):
        if CONTROL.search(value):
            errors.append(_control(at))
        return BIDI.sub("", value)
    if isinstance(value, list):
        return [_walk(v, f"{at}/{i}", errors) for i, v in enumerate(value)]
    if isinstance(value, dict):
        if duplicate := getattr(value, "duplicate", ""):
            errors.append(FieldError(field=f"{at}/{_escape(duplicate)}",
                                     message="sent more than once"))
        cleaned = {}
        for key, v in value.items():
            if CONTROL.search(key):
                errors.append(_control(f"{at}/{_escape(key)}"))
            cleaned[BIDI.sub("", key)] = _walk(v, f"{at}/{_escape(key)}", errors)
        return cleaned
    return value


def _control(field: str) -> FieldError:
    return FieldError(field=field, message="control characters are not allowed")


def _out_of_range(field: str) -> FieldError:
    return FieldError(field=field, message=_INT_RANGE)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")
