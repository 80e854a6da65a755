"""The help desk's rules for confirming who is on the line."""

from datetime import UTC, datetime, timedelta

from delivery.console.helpdesk.model import (
    CHOICE_WINDOW,
    CODE_LIFETIME,
    MAX_WRONG_CODES,
    Check,
    CheckState,
    Verdict,
    code_mac,
    judge,
    may_choose,
    state_of,
)
from delivery.platform.privacy import mask_phone

KEY = b"k" * 32
SENT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def check(code="123456", *, wrong=0, confirmed_at=None, staff_id=7) -> Check:
    return Check(item_id=1, staff_id=staff_id, sent_at=SENT, wrong_attempts=wrong,
                 confirmed_at=confirmed_at,
                 code_mac=code_mac(KEY, item_id=1, staff_id=staff_id, sent_at=SENT, code=code))


def test_the_code_read_out_is_accepted_while_it_lives():
    assert judge(KEY, check(), "123456", SENT + CODE_LIFETIME - timedelta(seconds=1)) \
        == Verdict.accepted


def test_arabic_indic_digits_typed_by_the_desk_are_the_same_code():
    assert judge(KEY, check(), "١٢٣٤٥٦", SENT) == Verdict.accepted


def test_a_code_ten_minutes_old_is_expired_even_when_right():
    assert judge(KEY, check(), "123456", SENT + CODE_LIFETIME) == Verdict.expired


def test_the_fifth_wrong_code_locks_the_check_and_the_right_one_no_longer_opens_it():
    assert judge(KEY, check(wrong=MAX_WRONG_CODES - 2), "000000", SENT) == Verdict.wrong
    assert judge(KEY, check(wrong=MAX_WRONG_CODES - 1), "000000", SENT) == Verdict.locked
    assert judge(KEY, check(wrong=MAX_WRONG_CODES), "123456", SENT) == Verdict.locked


def test_a_code_sent_for_another_member_of_staff_does_not_match():
    other = check(staff_id=8)
    mine = Check(**{**{f: getattr(other, f) for f in other.__struct_fields__}, "staff_id": 7})
    assert judge(KEY, mine, "123456", SENT) == Verdict.wrong


def test_without_a_code_nothing_is_accepted():
    assert judge(KEY, None, "123456", SENT) == Verdict.no_code


def test_choices_are_open_for_fifteen_minutes_after_the_right_code():
    confirmed = check(confirmed_at=SENT)
    assert may_choose(confirmed, SENT + CHOICE_WINDOW - timedelta(seconds=1))
    assert not may_choose(confirmed, SENT + CHOICE_WINDOW)
    assert state_of(confirmed, SENT + CHOICE_WINDOW) == CheckState.lapsed
    assert not may_choose(check(), SENT)
    assert not may_choose(None, SENT)


def test_the_desk_sees_the_last_four_digits_of_the_phone_only():
    assert mask_phone("+9647701234567", 4) == "+964 *** *** 4567"
    assert mask_phone("+9647701234567") == "+964 *** *** *567"
