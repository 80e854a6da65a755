"""The one table of what a citizen is told holds together with the custody table and the texts."""

from delivery.custody.citizen_messages import CODE_KINDS, MESSAGES, REQUESTED, STILL_APPLIES, Urgency
from delivery.custody.model import ENTRY, TRANSITIONS
from notifications import render

EVENTS = {t.event_code for t in TRANSITIONS.values()} | {t.event_code for t in ENTRY.values()}


def test_every_event_in_the_table_is_a_custody_event_or_the_planners_day_passed():
    assert set(MESSAGES) - EVENTS == {"day_passed"}


def test_every_kind_has_texts_and_says_when_it_no_longer_applies():
    kinds = {m.kind for messages in MESSAGES.values() for m in messages}
    kinds |= {m.kind for m in REQUESTED.values()}
    assert kinds == set(render.KINDS) == set(STILL_APPLIES)


def test_exactly_the_messages_that_carry_a_code_go_at_any_hour():
    for messages in (*MESSAGES.values(), REQUESTED.values()):
        for message in messages:
            assert (message.urgency == Urgency.code) == ("code" in render.REQUIRED[message.kind])


def test_hand_overs_to_the_citizen_ask_the_money_question_later():
    for event in ("delivered", "collected"):
        assert [m.urgency for m in MESSAGES[event]] == [Urgency.daytime, Urgency.after_handover]


def test_the_help_desks_code_goes_at_any_hour_like_every_code():
    assert render.HELPDESK_CODE in CODE_KINDS
