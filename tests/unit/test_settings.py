"""Settings an operator can get wrong are refused at start, naming the variable and the limit."""

import pytest

from delivery.platform.settings import Settings
from notifications.links import MAX_TRACKING_URL_CHARS, TOKEN_CHARS

BASE = {"TASHEEL_SECRET_KEY": "k"}
# The longest base URL whose links (`{base}/t/{token}`) still fit every message in two segments.
LIMIT = MAX_TRACKING_URL_CHARS - len("/t/") - TOKEN_CHARS


def test_a_public_base_url_too_long_for_two_sms_segments_is_refused_naming_it_and_the_limit():
    too_long = "https://tracking.tasheel-post.gov.iq/sms"
    with pytest.raises(ValueError, match=f"PUBLIC_BASE_URL is {len(too_long)} characters") as e:
        Settings.from_env({**BASE, "PUBLIC_BASE_URL": too_long})
    assert f"at most {LIMIT}" in str(e.value)


def test_the_longest_public_base_url_the_sms_budget_allows_is_accepted():
    longest = "https://t" + "x" * (LIMIT - len("https://t.iq")) + ".iq"
    assert len(longest) == LIMIT
    assert Settings.from_env({**BASE, "PUBLIC_BASE_URL": longest + "/"}).public_base_url == longest


def test_a_public_base_url_that_is_not_a_web_address_is_refused_naming_it():
    with pytest.raises(ValueError, match="PUBLIC_BASE_URL"):
        Settings.from_env({**BASE, "PUBLIC_BASE_URL": "tasheel.gov.iq"})


@pytest.mark.parametrize("window", ["22-08", "22:00", "25:00-08:00", "08:00-08:00", "night"])
def test_a_malformed_quiet_hours_window_is_refused_naming_it(window):
    with pytest.raises(ValueError, match="SMS_QUIET_HOURS"):
        Settings.from_env({**BASE, "SMS_QUIET_HOURS": window})


@pytest.mark.parametrize("window", ["", "21:30-07:00"])
def test_no_quiet_hours_or_a_window_is_accepted(window):
    assert Settings.from_env({**BASE, "SMS_QUIET_HOURS": window}).sms_quiet_hours == window


def test_a_map_tile_url_is_an_http_address_with_its_three_placeholders():
    url = "https://tiles.example/{z}/{x}/{y}.png"
    assert Settings.from_env({"MAP_TILE_URL": url}).map_tile_url == url
    assert Settings.from_env({}).map_tile_url is None
    for bad in ("tiles.example/{z}/{x}/{y}.png", "https://tiles.example/tiles.png",
                "javascript:{z}{x}{y}"):
        with pytest.raises(ValueError, match="MAP_TILE_URL"):
            Settings.from_env({"MAP_TILE_URL": bad})
