"""Stuck items: a threshold per state an item can rest in, and how late each stuck item is."""

from datetime import UTC, datetime, timedelta

import pytest

from delivery.custody.context import custody_context
from delivery.custody.model import ACTIVE_STATES, State
from delivery.custody.stuck import (
    DEFAULT_STUCK_AFTER,
    Bucket,
    bucket_of,
    cutoffs,
    parse_stuck_after,
)
from delivery.platform.settings import Settings

H = timedelta(hours=1)


def test_every_state_an_item_can_rest_in_has_a_default_and_final_states_have_none():
    assert set(parse_stuck_after("")) == ACTIVE_STATES
    assert parse_stuck_after("") == DEFAULT_STUCK_AFTER
    assert State.delivered not in DEFAULT_STUCK_AFTER


def test_a_setting_overrides_only_the_states_it_names():
    thresholds = parse_stuck_after(" at_branch=6 , out_for_delivery=1.5")
    assert thresholds[State.at_branch] == 6 * H
    assert thresholds[State.out_for_delivery] == 1.5 * H
    assert thresholds[State.registered] == DEFAULT_STUCK_AFTER[State.registered]


@pytest.mark.parametrize("text", [
    "at_branch", "at_branch=", "at_branch=two", "at_branch=0", "at_branch=-3", "at_branch=nan",
    "at_branch=inf", "lunch=4", "delivered=24", "at_branch=4,at_branch=5", "=4",
])
def test_a_malformed_value_an_unknown_or_final_state_is_refused_naming_the_setting(text):
    with pytest.raises(ValueError, match="STUCK_AFTER_HOURS"):
        parse_stuck_after(text)


def test_the_process_refuses_to_start_with_a_bad_threshold():
    settings = Settings.from_env({"TASHEEL_SECRET_KEY": "k", "STUCK_AFTER_HOURS": "lunch=4"})
    with pytest.raises(ValueError, match="STUCK_AFTER_HOURS: unknown state 'lunch'"):
        custody_context(settings)


def test_the_setting_reaches_the_custody_context():
    settings = Settings.from_env({"TASHEEL_SECRET_KEY": "k", "STUCK_AFTER_HOURS": "received=2"})
    assert custody_context(settings).stuck_after[State.received] == 2 * H


@pytest.mark.parametrize(("age", "bucket"), [
    (24 * H, None), (25 * H, Bucket.over), (48 * H, Bucket.over), (49 * H, Bucket.double),
    (7 * 24 * H, Bucket.double), (7 * 24 * H + H, Bucket.week),
])
def test_a_day_threshold_buckets_past_it_past_twice_it_and_past_a_week(age, bucket):
    assert bucket_of(age, 24 * H) == bucket


def test_a_threshold_near_a_week_is_not_a_week_late_before_twice_its_threshold():
    ten_days = 240 * H
    assert bucket_of(12 * 24 * H, ten_days) == Bucket.over
    assert bucket_of(21 * 24 * H, ten_days) == Bucket.week


def test_cutoffs_are_the_times_before_which_an_items_last_change_puts_it_in_each_bucket():
    now = datetime(2026, 12, 7, 10, tzinfo=UTC)
    assert cutoffs(now, 24 * H) == (now - 24 * H, now - 48 * H, now - 7 * 24 * H)
