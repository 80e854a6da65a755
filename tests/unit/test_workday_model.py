"""The working day's rules as values: who may see a citizen's phone, the shelf's states, its
cursor."""

from datetime import UTC, datetime, timedelta

import pytest

from delivery.platform.cursors import decode_cursor, encode_cursor
from delivery.platform.errors import InvalidInput, NotAllowed
from delivery.workday.model import (
    ItemHeld,
    days_waiting,
    refuse_phone,
    shelf_state,
)

ME = 7


def _reason(item: ItemHeld | None) -> str | None:
    try:
        refuse_phone(item, ME, "RR123456785IQ")
    except NotAllowed as refused:
        return refused.extra["reason"]
    return None


def test_only_the_courier_who_took_the_item_out_for_delivery_sees_the_phone():
    assert _reason(ItemHeld(state="out_for_delivery", courier_id=ME, handover_action=None)) is None
    assert _reason(ItemHeld(state="out_for_delivery", courier_id=ME,
                            handover_action="to_courier")) == "not_taken"
    assert _reason(ItemHeld(state="delivery_failed", courier_id=ME,
                            handover_action=None)) == "not_out_for_delivery"


def test_anyone_elses_item_and_no_item_are_refused_alike():
    assert _reason(None) == "not_yours"
    assert _reason(ItemHeld(state="out_for_delivery", courier_id=8,
                            handover_action=None)) == "not_yours"
    assert _reason(ItemHeld(state="delivered", courier_id=ME, handover_action=None)) == "not_yours"


def test_the_shelf_takes_its_five_states_only():
    assert shelf_state(None) == "ready_for_pickup"
    assert shelf_state("returning") == "returning"
    with pytest.raises(InvalidInput):
        shelf_state("delivered")


def test_a_cursor_comes_back_as_it_went_and_a_forged_one_is_refused():
    at = datetime(2026, 3, 1, 6, 30, tzinfo=UTC)
    assert decode_cursor(encode_cursor(at, 4211)) == (at, 4211)
    for forged in ("bm9wZQ", "WyIyMDI2LTAzLTAxVDA2OjMwOjAwIiwxXQ", "!!"):
        with pytest.raises(InvalidInput):
            decode_cursor(forged)


def test_days_waiting_are_whole_days():
    now = datetime(2026, 3, 4, 9, tzinfo=UTC)
    assert days_waiting(now - timedelta(days=2, hours=23), now) == 2
    assert days_waiting(now + timedelta(minutes=1), now) == 0
