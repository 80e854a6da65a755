"""What the console's search box understands: a tracking number however typed, phone digits,
an agency reference; and the clear refusals of what it cannot use."""

from __future__ import annotations

import pytest

from delivery.console.search.model import (
    BadQuery,
    Search,
    classify,
    payload_parts,
    phone_tail_range,
)


@pytest.mark.parametrize("typed", ["RR123456785IQ", "rr123456785iq", " RR 1234 5678 5 IQ ",
                                   "rr-12345678-5-iq"])
def test_a_tracking_number_is_found_in_any_case_and_spacing(typed):
    assert classify(typed) == Search(tracking_number="RR123456785IQ")


def test_a_tracking_number_with_a_wrong_check_digit_is_refused_with_a_reason():
    with pytest.raises(BadQuery, match="check digit"):
        classify("RR123456789IQ")


@pytest.mark.parametrize("typed", ["4567", "34567", "01234567"])
def test_four_to_eight_digits_are_a_phone_tail_or_a_reference(typed):
    assert classify(typed) == Search(phone_tail=typed, reference=typed)


def test_digits_typed_in_groups_are_a_phone_tail_only():
    assert classify(" 1234 567 ") == Search(phone_tail="1234567")


def test_arabic_indic_digits_count_as_digits():
    assert classify("٤٥٦٧").phone_tail == "4567"


@pytest.mark.parametrize("typed", ["07701234567", "+9647701234567", "9647701234567"])
def test_a_whole_iraqi_mobile_number_searches_its_last_eight_digits(typed):
    assert classify(typed).phone_tail == "01234567"


def test_a_long_number_that_is_not_a_phone_is_a_reference_only():
    assert classify("2026000123456") == Search(reference="2026000123456")


def test_anything_else_is_an_agency_reference_exactly_as_typed():
    assert classify("  MOI-PP-2026/000123 ") == Search(reference="MOI-PP-2026/000123")


@pytest.mark.parametrize(("typed", "why"), [
    ("", "Type a tracking number"), ("   ", "Type a tracking number"), (None, "Type a"),
    ("123", "Too short"), ("ab", "Too short"), ("x" * 65, "Too long"),
    ("<script>", "neither"), ("DROP TABLE items;", "neither"), ("%_%", "neither"),
])
def test_too_short_too_long_or_nonsense_is_refused_in_both_languages(typed, why):
    with pytest.raises(BadQuery, match=why) as refused:
        classify(typed)
    assert refused.value.ar


def test_a_phone_tail_is_a_range_of_reversed_numbers():
    assert phone_tail_range("4567") == ("7654", "7655")
    low, high = phone_tail_range("1239")
    assert low <= "93217704469+" < high  # reverse("+9644077123 9"… ends in 1239)
    assert not low <= "03217704469+" < high


def test_the_payload_shows_reason_and_bag_and_never_the_proofs_internals():
    parts = payload_parts({"scan_id": "s-1", "reason": "not_home", "bag": "BG1",
                           "proof": {"by": "ali", "point": {"lat": 1}, "id_checked": True}})
    assert parts == [("reason", "not_home"), ("bag", "BG1"),
                     ("proof", "code checked, ID checked")]


def test_every_event_of_the_custody_table_has_words_and_every_actor_a_name():
    from delivery.console.search.model import ACTORS, EVENTS, STAFF_ROLES
    from delivery.custody.model import ENTRY, TRANSITIONS, Role

    codes = {t.event_code for t in (*TRANSITIONS.values(), *ENTRY.values())}
    assert codes <= set(EVENTS), codes - set(EVENTS)
    assert set(Role) <= STAFF_ROLES | set(ACTORS), set(Role) - STAFF_ROLES - set(ACTORS)



def test_an_event_is_told_in_words_and_an_unknown_code_as_itself():
    from delivery.console.search.model import event_words

    assert event_words("delivery_failed") == ("تعذّر التوصيل", "Delivery attempt failed")
    assert event_words("something_new") == ("something_new", "something_new")
