import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from delivery.custody.bags import (
    InvalidBagId,
    bag_serial,
    damm_check_digit,
    is_valid_bag_id,
    looks_like_bag,
    new_bag_id,
    parse_bag_id,
)

# UPU S10 as reference/S10.md describes it: two letters, nine digits, two letters.
S10_SHAPE = re.compile(r"[A-Z]{2}[0-9]{9}[A-Z]{2}")
PUBLISHED_S10 = [
    "EE876543216CA", "CP654321092GM", "VA456789015KG", "RT395449360DE", "EE123456785KR",
    "RR876543216ER", "CV010000155UA", "RR012808877PH", "RR072705659PL", "RT011231107HK",
    "RB123456785US",
]  # fmt: skip

serials = st.integers(min_value=0, max_value=999_999_999)


def _sample_ids(count=1500):
    rng = random.Random(20260301)
    return [new_bag_id(rng.randrange(10**9)) for _ in range(count)] + [new_bag_id(0)]


def test_damm_digit_of_the_published_example():
    # Damm's worked example: 572 → check digit 4.
    assert damm_check_digit("572") == "4"
    assert is_valid_bag_id("BAG0000005724")


@given(serials)
def test_new_ids_validate_and_carry_their_serial(serial):
    bag_id = new_bag_id(serial)
    assert is_valid_bag_id(bag_id)
    assert bag_serial(bag_id) == serial
    assert len(bag_id) == 13


@given(serials)
def test_bag_ids_never_have_the_s10_shape(serial):
    bag_id = new_bag_id(serial)
    assert S10_SHAPE.fullmatch(bag_id) is None
    assert looks_like_bag(bag_id)


@given(st.from_regex(S10_SHAPE, fullmatch=True))
def test_no_s10_number_is_routed_to_the_bag_path(item):
    assert not looks_like_bag(item)
    assert not is_valid_bag_id(item)


def test_published_s10_numbers_are_items():
    for item in PUBLISHED_S10:
        assert not looks_like_bag(item)


def test_every_single_digit_substitution_is_caught():
    for bag_id in _sample_ids():
        for position in range(3, len(bag_id)):
            for digit in "0123456789":
                if digit != bag_id[position]:
                    typo = bag_id[:position] + digit + bag_id[position + 1 :]
                    assert not is_valid_bag_id(typo), typo


def test_every_adjacent_transposition_is_caught():
    for bag_id in _sample_ids():
        for position in range(3, len(bag_id) - 1):
            a, b = bag_id[position], bag_id[position + 1]
            if a != b:
                swapped = bag_id[:position] + b + a + bag_id[position + 2 :]
                assert not is_valid_bag_id(swapped), swapped


def test_all_two_digit_transpositions_are_caught_in_every_position():
    # Covers the pairs Luhn misses (09 ↔ 90) whatever the sample above happened to contain.
    for position in range(9):
        for a, b in ((x, y) for x in "0123456789" for y in "0123456789" if x != y):
            digits = "0" * position + a + b + "0" * (7 - position)
            swapped = "0" * position + b + a + "0" * (7 - position)
            good = "BAG" + digits + damm_check_digit(digits)
            assert not is_valid_bag_id("BAG" + swapped + good[-1])


@pytest.mark.parametrize(
    "code", ["", "BAG", "BAG000000572", "BAG00000057240", "bag0000005724", "BAG 0000005724",
             "BG0000005724", "XAG0000005724", "BAG000000572X"],
)  # fmt: skip
def test_malformed_ids_are_invalid(code):
    assert not is_valid_bag_id(code)


def test_scanned_codes_are_normalized_before_parsing():
    assert parse_bag_id(" bag 000000572 4 ") == "BAG0000005724"
    assert looks_like_bag(" bag0000005724")


def test_a_bag_like_code_with_a_bad_check_is_routed_to_bags_and_refused_there():
    assert looks_like_bag("BAG0000005725")
    with pytest.raises(InvalidBagId):
        parse_bag_id("BAG0000005725")


@pytest.mark.parametrize("serial", [-1, 10**9])
def test_serials_outside_nine_digits_are_refused(serial):
    with pytest.raises(ValueError):
        new_bag_id(serial)
