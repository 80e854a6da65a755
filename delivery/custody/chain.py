"""Tamper-evident custody log: each event carries the SHA-256 of the previous event of its item.

An event is a mapping with the keys in `CHAINED_FIELDS` (a missing key counts as null) plus
`hash`. Hashes and `prev_hash` may be given as bytes or as hex text. The first event of an item
(`seq` 1) chains to `GENESIS_HASH`.

Every column of an event is hashed (`hash_version` 2). Events written before migration 0010 were
hashed without `event_code` and `emsevt` (`hash_version` 1, `CHAINED_FIELDS_V1`) and verify as
such: their version is covered by the next event's `prev_hash` and the item's recorded head, and
a chain may not go back from version 2 to version 1.
"""

import functools
import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

import msgspec

GENESIS_HASH = bytes(32)
FIRST_SEQ = 1

CHAINED_FIELDS_V1 = (
    "item_id",
    "seq",
    "action",
    "from_state",
    "to_state",
    "actor_id",
    "role",
    "device_id",
    "site",
    "device_at",
    "server_at",
    "payload",
    "prev_hash",
)
CHAINED_FIELDS = (*CHAINED_FIELDS_V1, "event_code", "emsevt", "hash_version")
HASH_VERSION = 2
_FIELDS_OF_VERSION = {1: CHAINED_FIELDS_V1, HASH_VERSION: CHAINED_FIELDS}
_TIMESTAMP_FIELDS = frozenset({"device_at", "server_at"})
# Fields whose text form is rewritten (hex case, time zone) even when given as text.
_NORMALISED_TEXT_FIELDS = _TIMESTAMP_FIELDS | {"prev_hash"}
_PLAIN_TYPES = (str, int, type(None))


class BreakKind(StrEnum):
    hash_mismatch = "hash_mismatch"
    prev_hash_mismatch = "prev_hash_mismatch"
    sequence_gap = "sequence_gap"
    head_mismatch = "head_mismatch"
    state_mismatch = "state_mismatch"
    version_mismatch = "version_mismatch"
    item_missing = "item_missing"


class ChainBreak(msgspec.Struct, frozen=True, kw_only=True):
    item_id: str
    seq: int
    kind: BreakKind
    detail: str


class Head(msgspec.Struct, frozen=True, kw_only=True):
    """What an item's row records of its chain: the number of events, the last one's hash and
    (when given) the state the last event led to."""

    length: int
    hash: bytes
    state: str | None = None


def canonical_event_bytes(event: Mapping[str, Any]) -> bytes:
    """Canonical JSON (sorted keys, no spaces, UTF-8) of the chained fields of `event`."""
    return msgspec.json.encode(_canonical_fields(event), order="sorted")


def event_hash(prev_hash: bytes | None, event: Mapping[str, Any]) -> bytes:
    """SHA-256 of `event` chained to `prev_hash` (None: the genesis hash)."""
    chained = {**event, "prev_hash": GENESIS_HASH if prev_hash is None else prev_hash}
    return hashlib.sha256(canonical_event_bytes(chained)).digest()


def first_event_hashes(event: Mapping[str, Any], item_ids: Iterable[int]) -> list[bytes]:
    """The hashes of copies of `event` that differ only in their item, each the first of its
    item's chain: `event_hash(None, {**event, "item_id": i})` for each i, normalised once."""
    fields = _canonical_fields({**event, "prev_hash": GENESIS_HASH})
    hashes = []
    for item_id in item_ids:
        fields["item_id"] = int(item_id)
        hashes.append(hashlib.sha256(msgspec.json.encode(fields, order="sorted")).digest())
    return hashes


def _canonical_fields(event: Mapping[str, Any]) -> dict[str, Any]:
    version = event.get("hash_version") or HASH_VERSION
    names = _FIELDS_OF_VERSION.get(version)
    if names is None:
        raise ValueError(f"unknown hash version {version}")
    fields = {}
    for name in names:
        value = version if name == "hash_version" else event.get(name)
        # Text, whole numbers and null are already canonical (the common case, taken cheaply).
        plain = type(value) in _PLAIN_TYPES and name not in _NORMALISED_TEXT_FIELDS
        fields[name] = value if plain else _field_value(name, value)
    return fields


class _Link(msgspec.Struct, frozen=True):
    """The last verified event of a chain: what the next one must follow."""

    seq: int
    hash: bytes
    version: int


_START = _Link(FIRST_SEQ - 1, GENESIS_HASH, 1)


def verify_item(item: str, events: Iterable[Mapping[str, Any]],
                head: Head | None = None) -> list[ChainBreak]:
    """The breaks of one item's chain, `events` in sequence order, named `item`: its first
    broken link, or else a recorded `head` that is not its last event (or no event at all); and
    a recorded state other than the one its last event led to."""
    last, first_break, final = _START, None, None
    for event in events:
        final = event
        if first_break is None:
            first_break = _check_link(item, event, last)
            last = _link_of(event) if first_break is None else last
    breaks = [first_break] if first_break is not None else []
    if first_break is None and head is not None:
        _check_head(item, last, head, breaks)
    if final is None and not breaks:
        breaks.append(ChainBreak(item_id=item, seq=0, kind=BreakKind.sequence_gap,
                                 detail="the item has no custody events"))
    if head is not None and head.state is not None and final is not None \
            and final["to_state"] != head.state:
        breaks.append(ChainBreak(
            item_id=item, seq=int(final["seq"]), kind=BreakKind.state_mismatch,
            detail=f"the item is {head.state}, its last event says {final['to_state']}"))
    return breaks


def verify_chain(
    events: Sequence[Mapping[str, Any]], heads: Mapping[str, bytes | str] | None = None
) -> list[ChainBreak]:
    """The first break of each item's chain; events in append order, items may interleave.

    `heads`, when given, maps an item id to the hash its row says is the latest: a chain whose
    tail was cut off is otherwise indistinguishable from a shorter one.
    """
    breaks: dict[str, ChainBreak] = {}
    last: dict[str, _Link] = {}
    for event in events:
        item_id = str(event["item_id"])
        if item_id in breaks:
            continue
        found = _check_link(item_id, event, last.get(item_id, _START))
        if found is not None:
            breaks[item_id] = found
        else:
            last[item_id] = _link_of(event)
    for item_id, head in (heads or {}).items():
        if item_id not in breaks and _as_bytes(head) != last.get(item_id, _START).hash:
            seq = last.get(item_id, _START).seq
            breaks[item_id] = ChainBreak(
                item_id=item_id, seq=seq, kind=BreakKind.head_mismatch,
                detail=f"the item's recorded head is not the hash of its last event ({seq})")
    return list(breaks.values())


def _link_of(event: Mapping[str, Any]) -> _Link:
    return _Link(int(event["seq"]), _as_bytes(event["hash"]),
                 event.get("hash_version") or HASH_VERSION)


def _check_link(item: str, event: Mapping[str, Any], previous: _Link) -> ChainBreak | None:
    seq, version = int(event["seq"]), event.get("hash_version") or HASH_VERSION
    if seq != previous.seq + 1:
        found = (BreakKind.sequence_gap, f"expected sequence {previous.seq + 1}, found {seq}")
    elif _as_bytes(event.get("prev_hash")) != previous.hash:
        found = (BreakKind.prev_hash_mismatch,
                 f"prev_hash is not the hash of event {previous.seq}")
    elif version < previous.version or version not in _FIELDS_OF_VERSION:
        found = (BreakKind.version_mismatch,
                 f"hash version {version} follows version {previous.version}")
    elif event_hash(previous.hash, event) != _as_bytes(event.get("hash")):
        found = (BreakKind.hash_mismatch, "stored hash does not match the event's content")
    else:
        return None
    return ChainBreak(item_id=item, seq=seq, kind=found[0], detail=found[1])


def _check_head(item: str, last: _Link, head: Head, breaks: list[ChainBreak]) -> None:
    if head.length != last.seq:
        detail = f"the item records {head.length} events, its log holds {last.seq}"
    elif _as_bytes(head.hash) != last.hash:
        detail = f"the item's recorded head is not the hash of its last event ({last.seq})"
    else:
        return
    breaks.append(ChainBreak(item_id=item, seq=last.seq, kind=BreakKind.head_mismatch,
                             detail=detail))


def _field_value(name: str, value: Any) -> Any:
    if name == "prev_hash":
        return _as_bytes(value).hex() if value is not None else None
    if name in _TIMESTAMP_FIELDS and isinstance(value, str):
        value = datetime.fromisoformat(value)
    return _normalize(value)


def _normalize(value: Any) -> Any:
    """Reduce a value to JSON types whose text is the same however the value was produced."""
    if value is None or isinstance(value, bool | str):
        return str(value) if isinstance(value, StrEnum) else value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("non-finite numbers cannot be chained")
        return value
    return _normalize_other(value)


def _normalize_other(value: Any) -> Any:
    if isinstance(value, datetime):
        return _rfc3339_utc(value)
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {_key(k): _normalize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalize(v) for v in value]
    raise TypeError(f"cannot chain a value of type {type(value).__name__}")


@functools.lru_cache(maxsize=256)  # a batch stamps all its events with one server time
def _rfc3339_utc(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("custody timestamps must carry a time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _decimal_text(number: Decimal) -> str:
    # As text, so that 1.50 and 1.5 hash alike and no JSON reader turns it into a float.
    if not number.is_finite():
        raise ValueError("non-finite numbers cannot be chained")
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _key(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError("payload keys must be text")
    return str(key)


def _as_bytes(value: bytes | str | None) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    return bytes.fromhex(value)
