"""The couriers' forms in the console: what a supervisor may type, and the message when not."""

from __future__ import annotations

import datetime as dt

import pytest

from delivery.console.routes.forms import FormProblem, clear_form, day_form, profile_form

TODAY = dt.date(2026, 12, 7)


def test_a_profile_reads_whole():
    form = profile_form({"username": " Ali ", "vehicle": "car", "capacity": "30",
                         "start": "08:30", "end": "15:30"})
    assert (form.username, form.vehicle, form.capacity, form.start, form.end) == (
        "ali", "car", 30, "08:30", "15:30")


@pytest.mark.parametrize(("data", "field"), [
    ({"start": "15:30", "end": "08:30"}, "end"),
    ({"start": "09:00", "end": "09:00"}, "end"),
    ({"start": "8h", "end": "15:30"}, "start"),
    ({"capacity": "0"}, "capacity"),
    ({"capacity": "-3"}, "capacity"),
    ({"vehicle": "camel"}, "vehicle"),
    ({"username": ""}, "username"),
])
def test_a_profile_that_does_not_read_names_its_field(data, field):
    good = {"username": "ali", "vehicle": "car", "capacity": "30", "start": "08:30",
            "end": "15:30"}
    with pytest.raises(FormProblem) as problem:
        profile_form(good | data)
    assert problem.value.field == field and problem.value.ar and problem.value.en


def test_a_day_off_needs_a_reason_and_no_hours():
    form = day_form({"username": "ali", "day": "2026-12-08", "kind": "off", "reason": "sick"},
                    TODAY)
    assert form.off and form.reason == "sick" and form.start is None
    with pytest.raises(FormProblem, match="reason"):
        day_form({"username": "ali", "day": "2026-12-08", "kind": "off"}, TODAY)


def test_other_hours_must_end_after_they_start():
    form = day_form({"username": "ali", "day": "2026-12-07", "kind": "hours", "start": "10:00",
                     "end": "14:00"}, TODAY)
    assert not form.off and (form.start, form.end) == ("10:00", "14:00")
    with pytest.raises(FormProblem, match="end after"):
        day_form({"username": "ali", "day": "2026-12-08", "kind": "hours", "start": "14:00",
                  "end": "10:00"}, TODAY)


@pytest.mark.parametrize("day", ["2026-12-06", "yesterday", ""])
def test_a_past_or_unreadable_day_is_refused(day):
    with pytest.raises(FormProblem) as problem:
        day_form({"username": "ali", "day": day, "kind": "off", "reason": "sick"}, TODAY)
    assert problem.value.field == "day"
    with pytest.raises(FormProblem):
        clear_form({"username": "ali", "day": day}, TODAY)
