"""The street map's policy and data: only Tasheel's scripts, only the tile host's images, and
data that cannot end the element it sits in."""

from __future__ import annotations

import datetime as dt
import json

import msgspec

from delivery.console.routes.map import map_data, page_csp
from delivery.console.routes.services import CourierDay, DayView, Stop

CONSOLE_CSP = ("default-src 'none'; style-src 'sha256-abc'; script-src 'self'; img-src 'self'; "
               "connect-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
AT = dt.datetime(2026, 12, 7, 6, tzinfo=dt.UTC)


def _view(username: str) -> DayView:
    stop = Stop(seq=1, arrival=AT, window_start=AT, window_end=AT, carried=False, call_ahead=False,
                tracking_numbers=["RR000000001IQ"], address="", landmark="", lat=33.3, lon=44.4)
    courier = CourierDay(username=username, vehicle="car", capacity_items=5, shift_start=AT,
                         shift_end=AT, distance_m=1, duration_s=1, stops=[stop])
    return DayView(branch="BG-002", day=AT.date(), version=1, planned_at=AT, trigger="cron",
                   items_routed=1, depot=(33.31, 44.41), couriers=[courier], left_out=[])


def test_with_a_map_the_policy_adds_the_tile_host_for_images_and_nothing_for_scripts():
    csp = dict(p.split(" ", 1) for p in page_csp(CONSOLE_CSP, "https://t.example/{z}/{x}/{y}.png")
               .split("; "))
    assert csp["script-src"] == "'self'" and csp["img-src"] == "'self' https://t.example"
    assert csp["style-src"] == "'self' 'sha256-abc'" and csp["connect-src"] == "'none'"


def test_without_a_map_only_the_own_style_sheet_is_added():
    csp = page_csp(CONSOLE_CSP, None)
    assert "style-src 'self' 'sha256-abc'" in csp and "img-src 'self';" in csp


def test_the_map_data_cannot_close_its_script_element():
    text = str(map_data(_view("a</script><b>"), "https://t.example/{z}/{x}/{y}.png"))
    assert "<" not in text and ">" not in text
    data = json.loads(text)
    assert data["couriers"][0]["name"] == "a</script><b>"
    assert data["couriers"][0]["rounds"] == [{"dash": None, "stops": [[33.3, 44.4]]}]
    assert data["depot"] == [33.31, 44.41]


def test_the_map_draws_a_couriers_carried_round_and_the_rest_apart():
    view = _view("ali")
    first = [msgspec.structs.replace(s, carried=True, seq=n, lat=33.2 + n / 100)
             for n, s in enumerate(view.couriers[0].stops * 2, start=1)]
    later = msgspec.structs.replace(view.couriers[0].stops[0], seq=3)
    courier = msgspec.structs.replace(view.couriers[0], stops=[*first, later])
    data = json.loads(str(map_data(msgspec.structs.replace(view, couriers=[courier]),
                                   "https://t.example/{z}/{x}/{y}.png")))
    rounds = data["couriers"][0]["rounds"]
    assert [len(r["stops"]) for r in rounds] == [2, 1]
    assert rounds[0]["dash"] is None and rounds[1]["dash"]
