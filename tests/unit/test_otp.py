from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from delivery.custody.otp import (
    MAX_WRONG_ATTEMPTS,
    OtpVerdict,
    check_otp,
    new_otp,
    normalize_otp,
    otp_mac,
    verify_otp,
)

KEY = b"k" * 32
ITEM = "RR000000015IQ"


def test_codes_are_six_ascii_digits():
    for _ in range(1000):
        code = new_otp()
        assert len(code) == 6 and code.isascii() and code.isdigit()


def test_every_digit_position_is_roughly_uniform():
    samples = 20_000
    counts = [Counter() for _ in range(6)]
    for _ in range(samples):
        for position, digit in enumerate(new_otp()):
            counts[position][digit] += 1
    for position_counts in counts:
        expected = samples / 10
        chi_square = sum((position_counts[d] - expected) ** 2 / expected for d in "0123456789")
        # 9 degrees of freedom: the chance of exceeding 40 by luck is about 1 in 200,000.
        assert chi_square < 40


def test_the_right_code_verifies():
    code = new_otp()
    assert verify_otp(KEY, ITEM, code, 1, otp_mac(KEY, ITEM, code, 1))


def test_a_code_of_an_earlier_generation_fails():
    mac = otp_mac(KEY, ITEM, "123456", 2)
    assert not verify_otp(KEY, ITEM, "123456", 1, mac)


def test_the_mac_differs_per_item_per_generation_and_per_key():
    base = otp_mac(KEY, ITEM, "123456", 1)
    assert base != otp_mac(KEY, "RR000000029IQ", "123456", 1)
    assert base != otp_mac(KEY, ITEM, "123456", 2)
    assert base != otp_mac(b"j" * 32, ITEM, "123456", 1)
    assert len(base) == 32


def test_a_code_for_another_item_fails():
    mac = otp_mac(KEY, "RR000000029IQ", "123456", 1)
    assert not verify_otp(KEY, ITEM, "123456", 1, mac)


def test_item_ids_cannot_be_shifted_into_the_generation():
    assert otp_mac(KEY, "A1", "123456", 23) != otp_mac(KEY, "A12", "123456", 3)


@given(st.from_regex(r"[0-9]{6}", fullmatch=True), st.from_regex(r"[0-9]{6}", fullmatch=True))
def test_a_different_code_fails(right, candidate):
    mac = otp_mac(KEY, ITEM, right, 1)
    assert verify_otp(KEY, ITEM, candidate, 1, mac) == (candidate == right)


def test_arabic_indic_and_spaced_codes_are_read_as_digits():
    mac = otp_mac(KEY, ITEM, "123456", 1)
    assert verify_otp(KEY, ITEM, "١٢٣٤٥٦", 1, mac)
    assert verify_otp(KEY, ITEM, "۱۲۳ ۴۵۶", 1, mac)
    assert verify_otp(KEY, ITEM, " 123 456 ", 1, mac)


@pytest.mark.parametrize("candidate", ["", "12345", "1234567", "12345a", "12-456", "¹²³⁴⁵⁶"])
def test_malformed_candidates_fail(candidate):
    assert normalize_otp(candidate) is None
    assert not verify_otp(KEY, ITEM, candidate, 1, otp_mac(KEY, ITEM, "123456", 1))


def test_short_keys_are_refused():
    with pytest.raises(ValueError):
        otp_mac(b"short", ITEM, "123456", 1)


def test_a_matching_code_is_accepted_before_the_limit():
    check = check_otp(wrong_attempts=MAX_WRONG_ATTEMPTS - 1, locked=False, matched=True)
    assert check.verdict == OtpVerdict.accept


def test_wrong_codes_count_down_then_lock():
    wrong, verdicts = 0, []
    for _ in range(MAX_WRONG_ATTEMPTS):
        check = check_otp(wrong_attempts=wrong, locked=False, matched=False)
        verdicts.append((check.verdict, check.attempts_left))
        wrong = check.wrong_attempts
    assert verdicts == [
        (OtpVerdict.reject, 4),
        (OtpVerdict.reject, 3),
        (OtpVerdict.reject, 2),
        (OtpVerdict.reject, 1),
        (OtpVerdict.locked, 0),
    ]
    assert check_otp(wrong_attempts=wrong, locked=False, matched=True).verdict == OtpVerdict.locked


@given(st.integers(0, 20), st.booleans(), st.booleans())
def test_a_locked_code_never_accepts_and_counts_never_go_down(wrong, locked, matched):
    check = check_otp(wrong_attempts=wrong, locked=locked, matched=matched)
    if locked or wrong >= MAX_WRONG_ATTEMPTS:
        assert check.verdict == OtpVerdict.locked
    assert check.wrong_attempts >= wrong
    if check.verdict == OtpVerdict.locked:
        assert check.attempts_left == 0
    else:
        assert check.attempts_left == MAX_WRONG_ATTEMPTS - check.wrong_attempts > 0
