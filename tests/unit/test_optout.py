import pytest

from notifications.optout import classify_inbound


@pytest.mark.parametrize(
    "body",
    [
        "STOP",
        "stop",
        "  Stop  ",
        "UNSUBSCRIBE",
        "END",
        "QUIT",
        "STOPALL",
        "REVOKE",
        "OPTOUT",
        "CANCEL",
        "stop.",
    ],
)
def test_twilio_opt_out_words_stop(body):
    assert classify_inbound(body) == "stop"


@pytest.mark.parametrize("body", ["START", "start", "UNSTOP", " Unstop\n"])
def test_twilio_opt_in_words_start(body):
    assert classify_inbound(body) == "start"


@pytest.mark.parametrize(
    "body", ["توقف", "إيقاف", "ايقاف", "الغاء", "إلغاء", "إلغاء الاشتراك", "تَوَقَّفْ", "توقـــف"]
)
def test_arabic_opt_out_words_stop_in_any_spelling(body):
    assert classify_inbound(body) == "stop"


@pytest.mark.parametrize("body", ["ابدأ", "ابدا", "إبدأ", "بدء"])
def test_arabic_opt_in_words_start(body):
    assert classify_inbound(body) == "start"


@pytest.mark.parametrize("body", ["وەستان", "ڕاگرتن", "راگرتن", "وهستان"])
def test_sorani_opt_out_words_stop_whatever_the_keyboard(body):
    assert classify_inbound(body) == "stop"


@pytest.mark.parametrize(
    "body",
    ["ڕاوەستە", "ڕاوەستان",  # as typed on a Sorani keyboard
     "راوەستە", "راوهستان", "راوه\u200cسته",  # an Arabic keyboard, with or without a ZWNJ
     "ڕاوەستە.", " ڕاوەستان! "],
)
def test_sorani_common_stop_words_raawasta_and_raawastan_stop(body):
    assert classify_inbound(body) == "stop"


@pytest.mark.parametrize("body", ["دەستپێکردن", "دهستپيكردن"])
def test_sorani_opt_in_words_start(body):
    assert classify_inbound(body) == "start"


@pytest.mark.parametrize("body", ["1", " 1 ", "١", "۱"])
def test_one_in_any_digits_chooses_home_delivery(body):
    assert classify_inbound(body) == "choose_home"


@pytest.mark.parametrize("body", ["2", "٢", "۲."])
def test_two_in_any_digits_chooses_pickup(body):
    assert classify_inbound(body) == "choose_pickup"


@pytest.mark.parametrize(
    "body", ["", "hello", "please stop sending", "12", "3", "yes", "شكرا", "متى يصل الجواز؟"]
)
def test_anything_else_is_not_a_command(body):
    assert classify_inbound(body) is None
