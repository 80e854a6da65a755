import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from delivery.custody.chain import (
    GENESIS_HASH,
    BreakKind,
    Head,
    canonical_event_bytes,
    event_hash,
    first_event_hashes,
    verify_chain,
    verify_item,
)

BAGHDAD = timezone(timedelta(hours=3))
T0 = datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC)


def _event(item_id, seq, action, **extra):
    return {
        "item_id": item_id,
        "seq": seq,
        "action": action,
        "from_state": "registered",
        "to_state": "received",
        "actor_id": 7,
        "role": "sorting_clerk",
        "device_id": "HH-0042",
        "site": "SC-BG",
        "device_at": T0 + timedelta(minutes=seq),
        "server_at": T0 + timedelta(minutes=seq, seconds=3),
        "payload": {"note": "ملاحظة", "seq": seq},
        **extra,
    }


def _sealed(events):
    """Chain events per item the way the store appends them."""
    heads, sealed = {}, []
    for event in events:
        prev = heads.get(event["item_id"], GENESIS_HASH)
        digest = event_hash(prev, event)
        sealed.append({**event, "prev_hash": prev.hex(), "hash": digest.hex()})
        heads[event["item_id"]] = digest
    return sealed


def _two_item_log():
    actions = ["receive", "bag", "dispatch", "arrive", "shelve"]
    raw = []
    for seq, action in enumerate(actions, start=1):
        raw += [_event("RR000000015IQ", seq, action), _event("RR000000029IQ", seq, action)]
    return _sealed(raw)


def test_canonical_bytes_follow_the_documented_encoding():
    event = _event("RR000000015IQ", 1, "receive", prev_hash=GENESIS_HASH,
                   event_code="received", emsevt="EMC")
    expected = (
        '{"action":"receive","actor_id":7,"device_at":"2026-03-01T09:31:00.123456Z",'
        '"device_id":"HH-0042","emsevt":"EMC","event_code":"received",'
        '"from_state":"registered","hash_version":2,"item_id":"RR000000015IQ",'
        '"payload":{"note":"ملاحظة","seq":1},"prev_hash":"' + "00" * 32 + '",'
        '"role":"sorting_clerk",'
        '"seq":1,"server_at":"2026-03-01T09:31:03.123456Z","site":"SC-BG","to_state":"received"}'
    ).encode()
    assert canonical_event_bytes(event) == expected
    assert event_hash(None, event) == hashlib.sha256(expected).digest()


def test_events_hashed_before_every_column_was_covered_verify_as_they_were_hashed():
    event = _event("RR000000015IQ", 1, "receive", prev_hash=GENESIS_HASH,
                   event_code="received", emsevt="EMC", hash_version=1)
    expected = (
        '{"action":"receive","actor_id":7,"device_at":"2026-03-01T09:31:00.123456Z",'
        '"device_id":"HH-0042","from_state":"registered","item_id":"RR000000015IQ",'
        '"payload":{"note":"ملاحظة","seq":1},"prev_hash":"' + "00" * 32 + '",'
        '"role":"sorting_clerk",'
        '"seq":1,"server_at":"2026-03-01T09:31:03.123456Z","site":"SC-BG","to_state":"received"}'
    ).encode()
    assert canonical_event_bytes(event) == expected


def test_every_column_changes_the_hash():
    event = _event("X", 1, "receive", event_code="received", emsevt="EMC")
    for name, other in (("event_code", "delivered"), ("emsevt", "EMH"), ("hash_version", 1)):
        assert event_hash(None, {**event, name: other}) != event_hash(None, event), name


def test_a_chain_may_not_go_back_to_the_older_hash_version():
    old = _sealed([_event("X", 1, "receive", hash_version=1)])
    log = _sealed([_event("X", 1, "receive"), _event("X", 2, "bag", hash_version=1)])
    assert verify_chain(old + _sealed([_event("Y", 1, "receive")])) == []
    (found,) = verify_chain(log)
    assert (found.seq, found.kind) == (2, BreakKind.version_mismatch)


def test_the_same_instant_in_another_zone_or_as_text_hashes_alike():
    event = _event("RR000000015IQ", 1, "receive")
    in_baghdad = {**event, "device_at": event["device_at"].astimezone(BAGHDAD)}
    as_text = {**event, "server_at": event["server_at"].astimezone(BAGHDAD).isoformat()}
    assert event_hash(None, in_baghdad) == event_hash(None, event) == event_hash(None, as_text)


def test_fields_outside_the_chain_do_not_change_the_hash():
    event = _event("RR000000015IQ", 1, "receive")
    assert event_hash(None, {**event, "hash": "ff", "id": 99}) == event_hash(None, event)


def test_equal_decimals_hash_alike_and_stay_text():
    a = _event("X", 1, "receive", payload={"fee": Decimal("1.50")})
    b = _event("X", 1, "receive", payload={"fee": Decimal("1.5")})
    assert canonical_event_bytes(a) == canonical_event_bytes(b)
    assert b'"fee":"1.5"' in canonical_event_bytes(a)


def test_naive_timestamps_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        canonical_event_bytes(_event("X", 1, "receive", device_at=datetime(2026, 1, 1)))


def test_non_finite_numbers_are_refused():
    with pytest.raises(ValueError):
        canonical_event_bytes(_event("X", 1, "receive", payload={"lat": float("nan")}))


def test_each_link_depends_on_the_previous_hash():
    event = _event("X", 2, "bag")
    assert event_hash(b"\x01" * 32, event) != event_hash(b"\x02" * 32, event)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_payload_key_order_never_changes_the_bytes(payload):
    reordered = dict(reversed(list(payload.items())))
    a = canonical_event_bytes(_event("X", 1, "receive", payload=payload))
    b = canonical_event_bytes(_event("X", 1, "receive", payload=reordered))
    assert a == b
    assert json.loads(a)["payload"] == payload


def test_an_untouched_log_verifies():
    assert verify_chain(_two_item_log()) == []


def test_an_edited_event_is_reported_at_its_sequence():
    log = _two_item_log()
    log[4] = {**log[4], "payload": {"note": "edited", "seq": 3}}
    (found,) = verify_chain(log)
    assert (found.item_id, found.seq, found.kind) == ("RR000000015IQ", 3, BreakKind.hash_mismatch)


def test_an_edited_and_rehashed_event_breaks_the_next_link():
    log = _two_item_log()
    edited = {**log[4], "actor_id": 8}
    log[4] = {**edited, "hash": event_hash(bytes.fromhex(edited["prev_hash"]), edited).hex()}
    (found,) = verify_chain(log)
    assert (found.seq, found.kind) == (4, BreakKind.prev_hash_mismatch)


def test_a_removed_event_is_reported():
    log = _two_item_log()
    del log[5]  # the second item's event 3
    (found,) = verify_chain(log)
    assert (found.item_id, found.seq, found.kind) == ("RR000000029IQ", 4, BreakKind.sequence_gap)


def test_a_removed_event_with_renumbered_successors_is_reported():
    log = [e for e in _two_item_log() if e["item_id"] == "RR000000015IQ"]
    del log[1]
    log = [{**e, "seq": i} for i, e in enumerate(log, start=1)]
    (found,) = verify_chain(log)
    assert found.seq == 2
    assert found.kind in (BreakKind.prev_hash_mismatch, BreakKind.hash_mismatch)


def test_reordered_events_are_reported():
    log = _two_item_log()
    log[2], log[4] = log[4], log[2]  # first item's events 2 and 3 swapped
    (found,) = verify_chain(log)
    assert (found.item_id, found.seq, found.kind) == ("RR000000015IQ", 3, BreakKind.sequence_gap)


def test_reordered_events_with_swapped_numbers_are_reported():
    log = _two_item_log()
    log[2], log[4] = {**log[4], "seq": 2}, {**log[2], "seq": 3}
    (found,) = verify_chain(log)
    assert (found.item_id, found.seq) == ("RR000000015IQ", 2)


def test_only_the_first_break_of_each_item_is_reported():
    log = _two_item_log()
    log[2] = {**log[2], "action": "x"}
    log[6] = {**log[6], "action": "y"}
    log[3] = {**log[3], "action": "z"}
    found = verify_chain(log)
    assert [(b.item_id, b.seq) for b in found] == [("RR000000015IQ", 2), ("RR000000029IQ", 2)]


def test_a_cut_off_tail_is_caught_by_the_recorded_head():
    log = _two_item_log()
    heads = {"RR000000015IQ": log[-2]["hash"], "RR000000029IQ": log[-1]["hash"]}
    assert verify_chain(log, heads) == []
    (found,) = verify_chain(log[:-1], heads)
    assert (found.item_id, found.kind) == ("RR000000029IQ", BreakKind.head_mismatch)


def test_a_chain_that_does_not_start_at_genesis_is_reported():
    log = _two_item_log()[2:]
    assert {(b.seq, b.kind) for b in verify_chain(log)} == {(2, BreakKind.sequence_gap)}


@given(item_ids=st.lists(st.integers(min_value=1, max_value=2**62), min_size=1, max_size=20),
       payload=st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5),
                               max_size=3))
def test_first_events_hashed_together_hash_as_each_alone(item_ids, payload):
    # Intake hashes a batch's first events in one pass; each must verify as if made alone.
    shared = {**_event(0, 1, "register", payload=payload), "server_at": T0.astimezone(BAGHDAD)}
    assert first_event_hashes(shared, item_ids) == [
        event_hash(None, {**shared, "item_id": item_id}) for item_id in item_ids]


def _one_item():
    return [e for e in _two_item_log() if e["item_id"] == "RR000000015IQ"]


def _head_of(log, state="received"):
    return Head(length=log[-1]["seq"], hash=bytes.fromhex(log[-1]["hash"]), state=state)


def test_an_item_whose_head_and_state_match_its_last_event_verifies():
    log = _one_item()
    assert verify_item("RR000000015IQ", log, _head_of(log)) == []


def test_an_item_missing_its_last_event_breaks_its_head_and_state():
    log = _one_item()
    head = _head_of(log, state="delivered")
    found = verify_item("RR000000015IQ", log[:-1], head)
    assert [(b.seq, b.kind) for b in found] == [(4, BreakKind.head_mismatch),
                                                (4, BreakKind.state_mismatch)]
    assert "records 5 events, its log holds 4" in found[0].detail


def test_an_item_without_events_is_broken_whatever_its_head_says():
    log = _one_item()
    assert [b.kind for b in verify_item("T", [], _head_of(log))] == [BreakKind.head_mismatch]
    empty = Head(length=0, hash=GENESIS_HASH, state="registered")
    assert [b.kind for b in verify_item("T", [], empty)] == [BreakKind.sequence_gap]


def test_a_forged_last_event_chained_correctly_breaks_the_head():
    log = _one_item()
    head = _head_of(log)
    forged = _sealed([*[{k: v for k, v in e.items() if k not in ("hash", "prev_hash")}
                        for e in log], _event("RR000000015IQ", 6, "collect")])
    assert [b.kind for b in verify_item("RR000000015IQ", forged, head)] == [
        BreakKind.head_mismatch]


def test_the_state_is_compared_even_when_a_link_is_broken():
    log = _one_item()
    log[1] = {**log[1], "action": "x"}
    found = verify_item("RR000000015IQ", log, _head_of(log, state="delivered"))
    assert [(b.seq, b.kind) for b in found] == [(2, BreakKind.hash_mismatch),
                                                (5, BreakKind.state_mismatch)]
