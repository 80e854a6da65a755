"""The citizen's page as a citizen meets it: their language, an official header, the free-of-charge
line, the current step first, their own choices shown, and only what still applies."""

import re
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from delivery.custody import log
from delivery.sites import calendar
from delivery.tracking.i18n import BAGHDAD
from delivery.web.app import create_app
from tests.api.tracking_support import new_item

pytestmark = pytest.mark.usefixtures("demo_sites")
HTML = {"Accept": "text/html,application/xhtml+xml"}


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def lang_of(html: str) -> str:
    return re.search(r'<html lang="([a-z]+)"', html).group(1)


# --- 1. one language rule for page and SMS ---------------------------------------------------

async def test_an_erbil_citizen_with_no_language_gets_a_sorani_page_like_their_sms(client, conn):
    token, _ = await new_item(conn, governorate="IQ-AR")
    assert lang_of((await client.get(f"/t/{token}")).text) == "ckb"
    assert (await client.get(f"/v1/track/{token}")).json()["language"] == "ckb"


async def test_an_english_agencys_citizen_gets_an_english_page(client, conn):
    token, _ = await new_item(conn, agency_language="en")
    assert lang_of((await client.get(f"/t/{token}")).text) == "en"
    assert (await client.get(f"/v1/track/{token}")).json()["language"] == "en"


async def test_the_agencys_word_for_the_citizen_comes_before_the_region(client, conn):
    token, _ = await new_item(conn, governorate="IQ-AR", language="ar", agency_language="en")
    assert lang_of((await client.get(f"/t/{token}")).text) == "ar"


async def test_the_citizens_own_choice_comes_before_the_agencys(client, conn):
    token, _ = await new_item(conn, language="ar", chosen_language="ckb")
    assert lang_of((await client.get(f"/t/{token}")).text) == "ckb"


async def test_switching_language_is_kept_on_the_item_so_the_sms_follow(client, conn, settings):
    token, item_id = await new_item(conn)
    await client.get(f"/t/{token}?lang=ckb")
    assert await conn.fetchval("SELECT chosen_language FROM items WHERE id = $1", item_id) == "ckb"
    async with AsyncTestClient(app=create_app(settings)) as other_phone:  # no cookie there
        assert lang_of((await other_phone.get(f"/t/{token}")).text) == "ckb"
        await other_phone.get(f"/v1/track/{token}?lang=en")
    assert await conn.fetchval("SELECT chosen_language FROM items WHERE id = $1", item_id) == "en"


async def test_asking_again_for_the_same_language_writes_nothing(client, conn):
    token, item_id = await new_item(conn, chosen_language="ckb")
    before = await conn.fetchval("SELECT xmin::text FROM items WHERE id = $1", item_id)
    await client.get(f"/t/{token}?lang=ckb")
    assert await conn.fetchval("SELECT xmin::text FROM items WHERE id = $1", item_id) == before


async def test_an_unsupported_language_is_not_stored(client, conn):
    token, item_id = await new_item(conn)
    await client.get(f"/t/{token}?lang=fr")
    assert await conn.fetchval("SELECT chosen_language FROM items WHERE id = $1", item_id) is None


# --- 2. an official service, said on every page ----------------------------------------------

async def test_every_page_names_the_service_and_the_ministry(client, conn):
    token, _ = await new_item(conn)
    pages = [(await client.get(f"/t/{token}")).text,
             (await client.get("/t/no-such-token-at-all-0000")).text,
             (await client.post(f"/t/{token}/schedule", data={"csrf": "x"})).text]
    for html in pages:
        header = re.search(r"<header.*?</header>", html, re.S).group(0)
        assert "البريد العراقي" in header and "وزارة الاتصالات" in header


async def test_the_too_many_requests_page_names_them_too(conn, settings):
    token, _ = await new_item(conn)
    app = create_app(msgspec.structs.replace(settings, tracking_page_limit="1/60"))
    async with AsyncTestClient(app=app) as client:
        await client.get(f"/t/{token}")
        refused = await client.get(f"/t/{token}")
    assert refused.status_code == 429
    assert "وزارة الاتصالات" in re.search(r"<header.*?</header>", refused.text, re.S).group(0)


async def test_configured_names_and_helpline_replace_the_defaults(conn, settings):
    token, _ = await new_item(conn)
    app = create_app(msgspec.structs.replace(
        settings, service_name="بريد الاختبار", ministry_name="وزارة الاختبار",
        helpline="+964 5000"))
    async with AsyncTestClient(app=app) as client:
        for url in (f"/t/{token}", f"/t/{token}?lang=en", "/t/no-such-token-at-all-0000"):
            header = re.search(r"<header.*?</header>", (await client.get(url)).text,
                               re.S).group(0)
            assert "بريد الاختبار" in header and "وزارة الاختبار" in header
            assert 'href="tel:+9645000"' in header


async def test_without_a_helpline_no_phone_link_is_shown(client, conn):
    token, _ = await new_item(conn)
    assert 'href="tel:' not in (await client.get(f"/t/{token}")).text


# --- 3. delivery is free, near the top -------------------------------------------------------

async def test_free_of_charge_line_comes_before_the_page_content(client, conn, settings):
    token, _ = await new_item(conn, state="at_branch")
    html = (await client.get(f"/t/{token}")).text
    free = html.index('id="free"')
    assert "مجاناً" in html[free:free + 400] and free < html.index("<h1")


async def test_free_line_points_to_the_report_form_when_it_is_open(client, conn):
    token, _ = await new_item(conn, state="delivered")
    html = (await client.get(f"/t/{token}")).text
    free_line = re.search(r'<p[^>]*id="free".*?</p>', html, re.S).group(0)
    assert 'href="#form-report"' in free_line


async def test_free_line_points_to_the_helpline_otherwise(conn, settings):
    token, _ = await new_item(conn, state="at_branch")
    app = create_app(msgspec.structs.replace(settings, helpline="5000"))
    async with AsyncTestClient(app=app) as client:
        html = (await client.get(f"/t/{token}?lang=en")).text
    free_line = re.search(r'<p[^>]*id="free".*?</p>', html, re.S).group(0)
    assert "free of charge" in free_line and 'href="tel:5000"' in free_line


# --- 4. the current step first; optional forms folded ----------------------------------------

@pytest.mark.parametrize(("state", "mode", "current"), [
    ("registered", "home", "accepted"),
    ("received", "home", "sorting"),
    ("in_transit", "home", "sorting"),
    ("at_branch", "home", "branch"),
    ("out_for_delivery", "home", "courier"),
    ("ready_for_pickup", "pickup", "ready"),
    ("delivered", "home", "hands"),
])
async def test_the_step_list_marks_the_current_step(client, conn, state, mode, current):
    token, _ = await new_item(conn, state=state, mode=mode)
    html = (await client.get(f"/t/{token}")).text
    marked = re.findall(r'<li id="step-(\w+)"[^>]*aria-current="step"', html)
    assert marked == [current]
    assert html.index('id="steps"') < html.index('id="next"') < html.index('id="timeline"')


async def test_ready_for_pickup_names_the_branch_step_as_ready(client, conn):
    token, _ = await new_item(conn, state="ready_for_pickup", mode="pickup")
    html = (await client.get(f"/t/{token}?lang=en")).text
    assert "Ready at the branch" in html and "With the courier" not in html


async def test_optional_forms_are_folded_and_the_choice_to_make_is_open(client, conn):
    token, _ = await new_item(conn, state="registered", mode=None)
    html = (await client.get(f"/t/{token}")).text
    folded = re.findall(r"<details[^>]*>.*?</details>", html, re.S)
    assert any('id="form-location"' in d for d in folded)
    assert any('id="form-schedule"' in d for d in folded)
    first_form = re.search(r'<form[^>]*id="([\w-]+)"', html).group(1)
    assert first_form in ("form-home", "form-pickup")
    assert not any(f'id="{first_form}"' in d for d in folded)


# --- 5. saved choices are shown as chosen ----------------------------------------------------

async def test_schedule_form_preselects_the_saved_day_and_window(client, conn):
    token, item_id = await new_item(conn, state="at_branch")
    days = (await client.get(f"/v1/track/{token}")).json()["choices"]["days"]
    await conn.execute("UPDATE items SET delivery_day = $2, delivery_window = 'afternoon' "
                       "WHERE id = $1", item_id, datetime.fromisoformat(days[2]["date"]).date())
    html = (await client.get(f"/t/{token}")).text
    assert re.findall(r'<option value="([\d-]+)" selected', html) == [days[2]["date"]]
    assert re.findall(r'name="window" value="(\w+)"[^>]* checked', html) == ["afternoon"]


async def test_nothing_is_preselected_when_nothing_was_chosen(client, conn):
    token, _ = await new_item(conn, state="at_branch")
    html = (await client.get(f"/t/{token}")).text
    assert "selected" not in re.search(r'<form[^>]*id="form-schedule".*?</form>', html,
                                       re.S).group(0)
    assert not re.findall(r'name="window"[^>]* checked', html)


async def test_pickup_form_preselects_the_current_branch(client, conn):
    token, _ = await new_item(conn, state="registered", mode="pickup")
    html = (await client.get(f"/t/{token}")).text
    assert re.findall(r'name="branch" value="([\w-]+)"[^>]* checked', html) == ["BG-002"]


# --- 6. nothing that no longer applies -------------------------------------------------------

@pytest.mark.parametrize(("state", "mode"), [
    ("collected", "pickup"), ("delivered", "pickup"), ("returning", "pickup"),
    ("cancelled", "pickup"),
])
async def test_what_to_bring_and_the_deadline_go_once_they_no_longer_apply(client, conn, state,
                                                                          mode):
    token, _ = await new_item(conn, state=state, mode=mode, hold_days=5)
    html = (await client.get(f"/t/{token}?lang=en")).text
    assert "What to bring" not in html and 'id="deadline"' not in html
    assert (await client.get(f"/v1/track/{token}")).json()["bring"] == []


async def test_what_to_bring_and_the_deadline_show_while_the_item_waits(client, conn):
    token, _ = await new_item(conn, state="ready_for_pickup", mode="pickup", hold_days=5)
    html = (await client.get(f"/t/{token}?lang=en")).text
    assert "What to bring" in html and 'id="deadline"' in html


# --- 7. only days the item can make ----------------------------------------------------------

async def _expected_first_day(conn, lead: int):
    today = datetime.now(BAGHDAD).date()
    stored = await calendar.stored_holidays(conn, today, today + timedelta(days=60), "IQ-BG")
    return calendar.working_days(today, stored, lead)[-1]


@pytest.mark.parametrize(("state", "lead"), [("registered", 3), ("received", 2),
                                             ("at_branch", 1)])
async def test_days_offered_start_when_the_item_can_be_there(client, conn, state, lead):
    token, _ = await new_item(conn, state=state)
    days = (await client.get(f"/v1/track/{token}")).json()["choices"]["days"]
    assert days[0]["date"] == (await _expected_first_day(conn, lead)).isoformat()
    assert len(days) == 5


async def test_a_day_before_the_item_can_arrive_is_refused_naming_the_day(client, conn):
    token, item_id = await new_item(conn, state="registered")
    too_soon = await _expected_first_day(conn, 1)
    html = (await client.get(f"/t/{token}")).text
    assert f'value="{too_soon.isoformat()}"' not in html
    response = await client.post(f"/t/{token}/schedule", data={
        "csrf": csrf_of(html), "day": too_soon.isoformat(), "window": "morning"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["day"]
    assert await conn.fetchval("SELECT delivery_day FROM items WHERE id = $1", item_id) is None


async def test_a_browser_posting_a_day_no_longer_offered_is_sent_back_to_the_page(client, conn):
    token, _ = await new_item(conn, state="registered")
    too_soon = await _expected_first_day(conn, 1)
    html = (await client.get(f"/t/{token}")).text
    response = await client.post(f"/t/{token}/schedule", headers=HTML, data={
        "csrf": csrf_of(html), "day": too_soon.isoformat(), "window": "morning"},
        follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].endswith("?m=invalid")


# --- 9. small and self-contained ---------------------------------------------------------------

LONG_NAME = "عبد الرحمن عبد الستار عبد الكريم عبد الجبار الجبوري"
EXTERNAL = re.compile(r'(?:src|href|action)="(?!/|#|\?|tel:|geo:)([^"]*)"')


async def test_the_largest_page_is_under_30_kb_and_loads_nothing_from_elsewhere(
        conn, settings, record_property):
    token, item_id = await new_item(conn, state="delivery_failed", mode="home", name=LONG_NAME)
    # A long history: several more attempts, each failed.
    moment = datetime.now(UTC)
    await log.append(conn, [log.Event(
        item_id=item_id, action=action, from_state=before, to_state=after, event_code=code,
        emsevt=None, actor_role="courier", server_at=moment + timedelta(minutes=n))
        for n, (action, before, after, code) in enumerate([
            ("take", "delivery_failed", "out_for_delivery", "taken"),
            ("fail", "out_for_delivery", "delivery_failed", "delivery_failed")] * 4)])
    await conn.execute("UPDATE items SET district = $2, delivery_day = current_date + 3, "
                       "delivery_window = 'morning', mahalla = '999' WHERE id = $1", item_id,
                       "حي " + LONG_NAME)
    await conn.execute("UPDATE sites SET name_ar = $1 WHERE code = 'BG-002'",
                       "مكتب بريد " + LONG_NAME)
    app = create_app(msgspec.structs.replace(
        settings, helpline="+964 800 123 4567",
        service_name="الشركة العامة للبريد والتوفير - البريد العراقي",
        ministry_name="جمهورية العراق - وزارة الاتصالات"))
    async with AsyncTestClient(app=app) as client:
        for lang in ("ar", "ckb", "en"):
            html = (await client.get(f"/t/{token}?lang={lang}")).text
            for form in ("form-pickup", "form-location", "form-schedule"):
                assert f'id="{form}"' in html
            record_property(f"bytes_{lang}", len(html.encode()))  # shown with --junitxml
            assert len(html.encode()) < 30 * 1024, f"{lang}: {len(html.encode())} bytes"
            assert EXTERNAL.findall(html) == []
            assert "http://" not in html and "https://" not in html


async def test_opening_hours_read_as_a_range_in_words(client, conn):
    token, _ = await new_item(conn, state="at_branch")
    assert "بين ٠٨:٠٠ و١٤:٠٠" in (await client.get(f"/t/{token}")).text
    assert "between 08:00 and 14:00" in (await client.get(f"/t/{token}?lang=en")).text
