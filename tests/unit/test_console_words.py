"""The console names every state and every custody action in both its languages, and writes
times in Baghdad's, left to right inside Arabic."""

import datetime as dt

from delivery.console import words
from delivery.console.layout import baghdad
from delivery.custody.model import Action, State


def test_every_state_and_action_has_arabic_and_english_words():
    assert set(words.STATES) == {s.value for s in State}
    assert {a.value for a in Action} <= set(words.ACTIONS)
    for ar, en in [*words.STATES.values(), *words.ACTIONS.values()]:
        assert ar and en and ar != en


def test_times_are_shown_in_baghdad():
    shown = baghdad(dt.datetime(2026, 12, 7, 21, 30, tzinfo=dt.UTC))
    assert ">2026-12-08 00:30<" in shown and 'dir="ltr"' in shown
