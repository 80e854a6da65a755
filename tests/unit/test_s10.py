import pytest
from hypothesis import given
from hypothesis import strategies as st

from delivery.custody import s10

PUBLISHED = [
    "EE876543216CA", "CP654321092GM", "VA456789015KG", "RT395449360DE", "EE123456785KR",
    "RR876543216ER", "CV010000155UA", "RR012808877PH", "RR072705659PL", "RT011231107HK",
    "RB123456785US",
]

serials = st.integers(min_value=0, max_value=s10.MAX_SERIAL)
indicators = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2)


@pytest.mark.parametrize("number", PUBLISHED)
def test_published_examples_validate(number):
    assert s10.is_valid(number)
    assert str(s10.parse(number)) == number


def test_published_example_with_a_wrong_check_digit_fails():
    assert not s10.is_valid("EA123456789US")
    with pytest.raises(ValueError, match="expected 5"):
        s10.parse("EA123456789US")


def test_remainder_giving_eleven_yields_check_digit_five():
    # 4*8 + 5*6 + 6*4 + 7*2 + 8*3 + 9*5 + 0*9 + 1*7 = 176 = 16 * 11, so C = 11.
    assert s10.check_digit("45678901") == 5


def test_remainder_giving_ten_yields_check_digit_zero():
    # 3*8 + 9*6 + 5*4 + 4*2 + 4*3 + 9*5 + 3*9 + 6*7 = 232 = 21 * 11 + 1, so C = 10.
    assert s10.check_digit("39544936") == 0


def test_make_tracking_number_builds_the_example_of_the_design():
    assert s10.make_tracking_number(12345678) == "RR123456785IQ"
    assert s10.make_tracking_number(0, "EE", "IQ") == "EE000000005IQ"


def test_parse_returns_the_parts():
    assert s10.parse("CV010000155UA") == s10.S10(
        service="CV", serial=1000015, check=5, country="UA"
    )


@pytest.mark.parametrize("serial", [-1, s10.MAX_SERIAL + 1, True, 1.0, "12345678"])
def test_make_refuses_serials_outside_eight_digits(serial):
    with pytest.raises(ValueError, match="serial"):
        s10.make_tracking_number(serial)


@pytest.mark.parametrize("indicator", ["rr", "R", "RRR", "R1", "ÄR", ""])
def test_make_refuses_a_service_indicator_that_is_not_two_capital_letters(indicator):
    with pytest.raises(ValueError, match="service indicator"):
        s10.make_tracking_number(1, indicator)


def test_make_refuses_a_bad_country_code():
    with pytest.raises(ValueError, match="country code"):
        s10.make_tracking_number(1, "RR", "IRQ")


@pytest.mark.parametrize(
    "text",
    [
        "", "RR123456785I", "RR123456785IQQ", "rr123456785iq", "R1123456785IQ",
        "RR12345678XIQ", " RR123456785IQ", "RR١٢٣٤٥٦٧٨٥IQ",
    ],
)
def test_malformed_numbers_are_refused_with_a_message(text):
    with pytest.raises(ValueError, match="two capital letters"):
        s10.parse(text)
    assert not s10.is_valid(text)


def test_non_strings_are_not_valid():
    assert not s10.is_valid(None)
    assert not s10.is_valid(123456785)


@pytest.mark.parametrize("serial8", ["1234567", "123456789", "1234567a", "١٢٣٤٥٦٧٨"])
def test_check_digit_needs_eight_ascii_digits(serial8):
    with pytest.raises(ValueError):
        s10.check_digit(serial8)


@given(serial=serials, service=indicators, country=indicators)
def test_made_numbers_parse_back_to_their_parts(serial, service, country):
    parsed = s10.parse(s10.make_tracking_number(serial, service, country))
    assert (parsed.service, parsed.serial, parsed.country) == (service, serial, country)


def _with_digit(number: str, position: int, digit: int) -> str:
    return number[:position] + str(digit) + number[position + 1 :]


@given(serial=serials, position=st.integers(2, 10), shift=st.integers(1, 9))
def test_a_single_changed_digit_is_detected_unless_the_check_digit_is_five(
    serial, position, shift
):
    number = s10.make_tracking_number(serial)
    changed = _with_digit(number, position, (int(number[position]) + shift) % 10)
    if number[10] != "5" or position == 10:
        assert not s10.is_valid(changed)


def test_check_digit_five_hides_some_single_digit_changes():
    # Remainders 0 (C = 11) and 6 (C = 5) both give the digit 5: a blind spot of S10 itself.
    assert s10.is_valid("RR000000005IQ")
    assert s10.is_valid("RR900000005IQ")


def test_every_single_digit_change_of_a_number_without_check_digit_five_is_detected():
    number = "RR123456710IQ"  # weighted sum 155 = 14 * 11 + 1: check digit 0
    assert s10.is_valid(number)
    for position in range(2, 11):
        for digit in range(10):
            if str(digit) != number[position]:
                assert not s10.is_valid(_with_digit(number, position, digit))
