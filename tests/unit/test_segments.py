from decimal import Decimal

import pytest

from notifications.segments import cost, count_segments


def test_plain_ascii_up_to_160_characters_is_one_gsm7_segment():
    result = count_segments("a" * 160)
    assert (result.encoding, result.units, result.segments) == ("GSM-7", 160, 1)


def test_161_gsm7_characters_need_two_segments_of_153():
    assert count_segments("a" * 161).segments == 2
    assert count_segments("a" * 306).segments == 2
    assert count_segments("a" * 307).segments == 3


def test_extension_characters_take_two_septets_each():
    result = count_segments("{}[]~|^€\\\f")
    assert result.encoding == "GSM-7"
    assert result.units == 20


def test_basic_table_accents_stay_gsm7_but_other_accents_force_ucs2():
    assert count_segments("Ça coûte 5£ à Zürich").encoding == "UCS-2"  # û is not in GSM-7
    assert count_segments("Ça marche à Zürich, 5£ ¿sì?").encoding == "GSM-7"


def test_escape_sequence_is_not_split_across_segments():
    # 152 plain septets then one '€' (2 septets): 154 > 153, so the euro starts segment two.
    text = "a" * 152 + "€" + "a" * 152
    result = count_segments(text)
    assert result.units == 306
    assert result.segments == 3  # a naive 306 / 153 would say 2


def test_arabic_text_is_ucs2_with_70_and_67_limits():
    assert count_segments("ب" * 70).segments == 1
    assert count_segments("ب" * 71).segments == 2
    assert count_segments("ب" * 134).segments == 2
    assert count_segments("ب" * 135).segments == 3


def test_characters_outside_the_bmp_count_two_utf16_units():
    result = count_segments("😀" * 35)
    assert (result.encoding, result.units, result.segments) == ("UCS-2", 70, 1)


def test_surrogate_pair_is_not_split_across_segments():
    text = "ب" * 66 + "😀" + "ب" * 66  # the emoji would straddle units 67 and 68
    result = count_segments(text)
    assert result.units == 134
    assert result.segments == 3


def test_one_arabic_letter_turns_a_latin_message_into_ucs2():
    assert count_segments("Code 123456 " + "ب").encoding == "UCS-2"


def test_escape_character_itself_is_not_sendable_as_gsm7():
    assert count_segments("a\x1bb").encoding == "UCS-2"


def test_cost_multiplies_exactly():
    assert cost(3, Decimal("0.0415")) == Decimal("0.1245")
    assert cost(2, "0.1") == Decimal("0.2")


def test_cost_refuses_float_prices():
    with pytest.raises(TypeError):
        cost(2, 0.1)


def test_counts_of_every_length_match_packing_one_character_at_a_time():
    def packed(units: int, single: int, per_segment: int) -> int:
        segments, used = 1, 0
        for _ in range(units):
            if used + 1 > per_segment:
                segments, used = segments + 1, 0
            used += 1
        return 1 if units <= single else segments

    for length in range(0, 4 * 160):
        assert count_segments("a" * length).segments == packed(length, 160, 153)
        assert count_segments("ب" * length).segments == packed(length, 70, 67)
