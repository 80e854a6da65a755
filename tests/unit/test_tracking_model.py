"""Pure rules of the citizen's page: offers per state, working days, words, CSRF fields."""

import asyncio
import time
from datetime import UTC, date, datetime

import pytest

from delivery.custody.model import CHOICE_STATES, FINAL_STATES, State
from delivery.sites.calendar import working_days
from delivery.tracking import csrf, i18n
from delivery.tracking.api import NotFoundPacer
from delivery.tracking.model import (
    delivery_days,
    earliest_delivery_day,
    in_iraq,
    offers,
    parse_limit,
)


def test_working_days_skip_friday_saturday_and_holidays():
    wednesday = date(2026, 3, 4)
    days = working_days(wednesday, {date(2026, 3, 8)}, count=4)
    assert days == [date(2026, 3, 5), date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 11)]


def test_working_days_never_start_today():
    sunday = date(2026, 3, 1)
    assert working_days(sunday, set(), count=1) == [date(2026, 3, 2)]


WEDNESDAY = date(2026, 3, 4)  # the next working days: Thu 5, Sun 8, Mon 9, Tue 10, Wed 11


@pytest.mark.parametrize(("state", "earliest"), [
    (State.registered, date(2026, 3, 9)),  # still at the agency: third working day
    (State.received, date(2026, 3, 8)),  # at the sorting centre: second
    (State.in_transit, date(2026, 3, 5)),
    (State.at_branch, date(2026, 3, 5)),
    (State.delivery_failed, date(2026, 3, 5)),
])
def test_earliest_delivery_day_counts_working_days_for_the_road_still_ahead(state, earliest):
    assert earliest_delivery_day(state, WEDNESDAY, set()) == earliest


def test_earliest_delivery_day_skips_holidays():
    assert earliest_delivery_day(State.registered, WEDNESDAY, {date(2026, 3, 8)}) == \
        date(2026, 3, 10)


@pytest.mark.parametrize("state", [State.out_for_delivery, State.delivered, State.cancelled])
def test_no_delivery_day_lies_ahead_once_out_or_finished(state):
    assert earliest_delivery_day(state, WEDNESDAY, set()) is None
    assert delivery_days(state, WEDNESDAY, set()) == []


def test_days_offered_start_at_the_earliest_and_skip_holidays():
    assert delivery_days(State.registered, WEDNESDAY, {date(2026, 3, 11)}, count=3) == [
        date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 12)]
    assert delivery_days(State.at_branch, WEDNESDAY, set(), count=1) == [date(2026, 3, 5)]


@pytest.mark.parametrize("state", sorted(CHOICE_STATES))
def test_delivery_choice_is_open_in_every_choice_state(state):
    o = offers(state, "home", reported=False)
    assert o.choose_pickup and o.share_location and o.reschedule and not o.report


@pytest.mark.parametrize("state", sorted(set(State) - CHOICE_STATES))
def test_no_delivery_choice_outside_the_choice_states(state):
    o = offers(state, "home", reported=False)
    assert not (o.choose_home or o.choose_pickup or o.share_location or o.reschedule)


def test_branch_changes_only_before_dispatch():
    assert offers(State.received, "home", reported=False).change_branch
    assert not offers(State.in_transit, "home", reported=False).change_branch


def test_pickup_items_are_not_offered_location_or_day():
    o = offers(State.registered, "pickup", reported=False)
    assert o.choose_home and not o.share_location and not o.reschedule


def test_money_question_after_hand_over_once():
    assert offers(State.delivered, "home", reported=False).report
    assert not offers(State.delivered, "home", reported=True).report
    assert not any(offers(s, "home", reported=False).report
                   for s in FINAL_STATES - {State.delivered, State.collected})


def test_rate_limit_text_parses_and_refuses_nonsense():
    assert parse_limit("60/60") == (60, 60)
    with pytest.raises(ValueError):
        parse_limit("0/60")


def test_points_outside_iraq_are_recognised():
    assert in_iraq(33.31, 44.36) and not in_iraq(48.85, 2.35)


def test_arabic_and_kurdish_dates_use_arabic_indic_digits_english_western():
    moment = datetime(2026, 3, 5, 7, 30, tzinfo=UTC)  # 10:30 in Baghdad
    assert i18n.format_moment("ar", moment) == "الخميس ٥ آذار ٢٠٢٦، ١٠:٣٠"
    assert i18n.format_moment("en", moment) == "Thursday 5 March 2026, 10:30"
    assert "٢٠٢٦" in i18n.format_moment("ckb", moment)


def test_every_state_and_language_has_words():
    for language in i18n.LANGUAGES:
        assert all(i18n.state_phrase(language, s) for s in State)


def test_csrf_field_is_bound_to_the_cookie_and_the_item():
    key, cookie = b"k" * 32, csrf.new_cookie_value()
    field = csrf.form_token(key, cookie, b"item-1")
    assert csrf.is_valid(key, cookie, b"item-1", field)
    assert not csrf.is_valid(key, cookie, b"item-2", field)
    assert not csrf.is_valid(key, csrf.new_cookie_value(), b"item-1", field)
    assert not csrf.is_valid(key, None, b"item-1", field)


def test_not_found_pacer_waits_out_a_typical_page():
    pacer = NotFoundPacer(typical_s=0.0)
    for _ in range(50):
        pacer.observe(0.03)
    started = time.perf_counter()
    asyncio.run(pacer.pad(started))
    assert 0.025 <= time.perf_counter() - started < 0.2
