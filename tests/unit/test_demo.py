"""The demo day's cast and its printed walk."""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata

import msgspec

from delivery.custody.doctypes import DEFAULT_DOCUMENT_TYPES
from delivery.custody.model import State
from delivery.demo.cast import FATES, STAFF, demo_documents
from delivery.demo.walk import (
    CourierRoute,
    DemoDay,
    DemoStaff,
    Highlight,
    Page,
    render_walk,
    route_day,
)
from delivery.intake.validate import batch_elements
from delivery.staff.model import GOVERNORATE_ROLES, SITE_KINDS, StaffRole

MANSOUR = (33.315, 44.35)


def _near(lat: float, lon: float) -> bool:
    return abs(lat - MANSOUR[0]) < 0.01 and abs(lon - MANSOUR[1]) < 0.01


def test_the_same_seed_gives_the_same_documents_every_time():
    first = demo_documents(random.Random(7), MANSOUR, _near)
    assert demo_documents(random.Random(7), MANSOUR, _near) == first
    assert demo_documents(random.Random(8), MANSOUR, _near) != first


def test_documents_cover_every_state_with_arabic_names_iraqi_mobiles_and_points_inside():
    docs = demo_documents(random.Random(1), MANSOUR, _near)

    assert 36 <= len(docs) <= 48 and len(docs) == len(FATES)
    assert {d.fate.state for d in docs} == {s.value for s in State}
    assert len({d.phone for d in docs}) == len(docs)
    for d in docs:
        assert re.fullmatch(r"0770\d{7}", d.phone)
        assert all(unicodedata.name(ch).startswith("ARABIC") for ch in d.name if ch != " ")
        assert _near(d.lat, d.lon)
    body = msgspec.json.encode({"documents": [d.body() for d in docs]})
    judged = [e.judged() for e in batch_elements(body, types=DEFAULT_DOCUMENT_TYPES,
                                                 governorates={"IQ-BG"})]
    assert [errors for _, errors in judged if errors] == []


def test_there_is_a_demo_account_for_every_role_at_a_site_it_may_work_at():
    kinds = {"SC-BG": "sorting_centre"}
    assert {role for _, role, _ in STAFF} == {r.value for r in StaffRole}
    for _, role, site in STAFF:
        if StaffRole(role) in GOVERNORATE_ROLES:
            assert site is None
        else:
            assert kinds.get(site, "branch") in SITE_KINDS[StaffRole(role)]


def test_the_route_is_for_today_until_noon_in_baghdad_then_for_tomorrow():
    morning = dt.datetime(2026, 3, 1, 6, 0, tzinfo=dt.UTC)  # 09:00 in Baghdad
    evening = dt.datetime(2026, 3, 1, 15, 0, tzinfo=dt.UTC)  # 18:00
    after_midnight = dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.UTC)  # 01:30 on 2 March
    assert route_day(morning) == dt.date(2026, 3, 1)
    assert route_day(evening) == dt.date(2026, 3, 2)
    assert route_day(after_midnight) == dt.date(2026, 3, 2)


def test_the_walk_shows_the_key_each_account_documents_to_follow_and_pages():
    day = DemoDay(
        agency_code="DEMO-PASSPORTS", agency_key="tsk_abcdefghij_" + "k" * 43, branch="BG-006",
        branch_name="Mansour Post Office", centre="SC-BG",
        staff=(DemoStaff(username="sorter", role="sorting_clerk", site="SC-BG", password="p1" * 8),
               DemoStaff(username="admin", role="admin", site=None, password="p2" * 8)),
        states={"delivered": 2, "registered": 3},
        highlights=(Highlight(tracking_number="RR000000014IQ", state="delivered", note="n"),),
        pages=(Page(url="http://127.0.0.1:8000/t/" + "x" * 22, note="choose"),),
        route_day=dt.date(2026, 3, 1),
        routes=(CourierRoute(username="courier1", stops=5, items=6),))

    walk = render_walk(day, "http://127.0.0.1:9000")

    assert "tsk_abcdefghij_" + "k" * 43 in walk
    assert re.search(r"^\s+sorter\s+sorting_clerk\s+SC-BG\s+(p1){8}$", walk, re.MULTILINE)
    assert re.search(r"^\s+admin\s+admin\s+-\s+(p2){8}$", walk, re.MULTILINE)
    assert "5 documents: registered 3, delivered 2" in walk  # in the order of the states
    assert "RR000000014IQ" in walk and "/t/" + "x" * 22 in walk
    assert "route for 2026-03-01: courier1 5 stops (6 items)" in walk
    assert "http://127.0.0.1:9000/v1/ops/routes/BG-006/2026-03-01" in walk
    assert "http://127.0.0.1:9000/v1/routes/mine?date=2026-03-01" in walk
