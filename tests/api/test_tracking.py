"""The citizen's page: the right words and choices per language and state, nothing private."""

import re

import pytest

from tests.api.tracking_support import DORA, KARKH, new_item

pytestmark = pytest.mark.usefixtures("demo_sites")


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def test_arabic_page_is_rtl_with_the_document_state_and_branch_in_plain_words(
        client, conn):
    token, _ = await new_item(conn, state="at_branch")
    response = await client.get(f"/t/{token}")
    assert response.status_code == 200
    html = response.text
    assert '<html lang="ar" dir="rtl">' in html
    assert "جواز السفر" in html and "وصلت إلى فرع البريد" in html
    assert "مكتب بريد الكرخ" in html and 'href="geo:33.32000,44.38000' in html
    assert "الأحد – الخميس" in html and "٠٨:٠٠" in html


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", ('<html lang="en" dir="ltr">', "At the post office branch", "Karkh Post Office")),
    ("ckb", ('<html lang="ckb" dir="rtl">', "گەیشتە لقی پۆست", "پۆستەخانەی کەرخ")),
    ("ar", ('<html lang="ar" dir="rtl">', "وصلت إلى فرع البريد", "مكتب بريد الكرخ")),
])
async def test_each_language_renders_its_own_words_and_direction(client, conn, lang, expected):
    token, _ = await new_item(conn, state="at_branch")
    html = (await client.get(f"/t/{token}?lang={lang}")).text
    for text in expected:
        assert text in html


async def test_language_choice_is_remembered_in_a_cookie(client, conn):
    token, _ = await new_item(conn)
    first = await client.get(f"/t/{token}?lang=en")
    assert "tsk_lang=en" in first.headers.get("set-cookie", "")
    again = await client.get(f"/t/{token}")
    assert '<html lang="en" dir="ltr">' in again.text


async def test_citizen_language_from_the_agency_is_the_default(client, conn):
    token, _ = await new_item(conn, language="ckb")
    assert '<html lang="ckb" dir="rtl">' in (await client.get(f"/t/{token}")).text


async def test_english_dates_use_western_digits_and_arabic_uses_arabic_indic(client, conn):
    token, _ = await new_item(conn, state="received")
    english = (await client.get(f"/t/{token}?lang=en")).text
    arabic = (await client.get(f"/t/{token}?lang=ar")).text
    assert re.search(r"<time[^>]*>\w+ \d{1,2} \w+ 20\d\d, \d\d:\d\d</time>", english)
    assert re.search(r"<time[^>]*>[^<]*[٠-٩]{4}، [٠-٩]{2}:[٠-٩]{2}</time>", arabic)


FORMS = ("form-home", "form-pickup", "form-location", "form-schedule", "form-report")


@pytest.mark.parametrize(("state", "mode", "offered"), [
    ("registered", "home", {"form-pickup", "form-location", "form-schedule"}),
    ("registered", None, {"form-home", "form-pickup", "form-location", "form-schedule"}),
    ("registered", "pickup", {"form-home", "form-pickup"}),
    ("at_branch", "home", {"form-pickup", "form-location", "form-schedule"}),
    ("delivery_failed", "home", {"form-pickup", "form-location", "form-schedule"}),
    ("out_for_delivery", "home", set()),
    ("ready_for_pickup", "pickup", set()),
    ("delivered", "home", {"form-report"}),
    ("collected", "pickup", {"form-report"}),
    ("returning", "pickup", set()),
    ("cancelled", "home", set()),
])
async def test_choices_are_offered_only_when_the_state_allows_them(client, conn, state, mode,
                                                                  offered):
    token, _ = await new_item(conn, state=state, mode=mode)
    html = (await client.get(f"/t/{token}")).text
    assert {f for f in FORMS if f'id="{f}"' in html} == offered


async def test_pickup_after_dispatch_offers_only_the_branch_holding_the_item(client, conn):
    token, _ = await new_item(conn, state="at_branch")
    body = (await client.get(f"/v1/track/{token}")).json()
    assert [b["code"] for b in body["choices"]["pickup_branches"]] == ["BG-002"]
    token, _ = await new_item(conn, state="registered")
    body = (await client.get(f"/v1/track/{token}")).json()
    codes = [b["code"] for b in body["choices"]["pickup_branches"]]
    assert len(codes) == 4 and codes[0] == "BG-002"
    distances = [b["distance_km"] for b in body["choices"]["pickup_branches"]]
    assert distances == sorted(distances)


async def test_without_a_point_the_nearest_branches_are_those_of_the_governorate_capital(
        client, conn):
    token, _ = await new_item(conn, point=None)
    body = (await client.get(f"/v1/track/{token}?lang=en")).json()
    codes = [b["code"] for b in body["choices"]["pickup_branches"]]
    assert "BG-001" in codes and len(codes) >= 4


async def test_personal_data_is_masked_and_the_one_time_code_never_shown(client, conn):
    token, item_id = await new_item(conn, state="out_for_delivery")
    await conn.execute("UPDATE items SET otp_mac = '\\xdeadbeef', national_id_last4 = '5678' "
                       "WHERE id = $1", item_id)
    for path in (f"/t/{token}", f"/v1/track/{token}"):
        text = (await client.get(path)).text
        assert "A. A. H." in text and "*567" in text
        for secret in ("Ahmed", "7701234", "mahalla 314", "5678", "deadbeef", "otp"):
            assert secret not in text


async def test_json_carries_the_same_content_as_the_page(client, conn):
    token, _ = await new_item(conn, state="at_branch", hold_days=10)
    body = (await client.get(f"/v1/track/{token}?lang=en")).json()
    html = (await client.get(f"/t/{token}?lang=en")).text
    assert body["state"] == {"code": "at_branch", "label": "At the post office branch"}
    assert body["branch"]["name"] in html and body["document_type"]["label"] in html
    assert [e["code"] for e in body["timeline"]] == ["registered", "received", "dispatched",
                                                      "arrived"]
    assert body["pickup_deadline"]["label"] in html
    assert all(e["label"] in html for e in body["timeline"])


async def test_what_to_bring_follows_the_document_type(client, conn):
    token, _ = await new_item(conn, state="ready_for_pickup", mode="pickup")
    passport = (await client.get(f"/v1/track/{token}?lang=en")).json()["bring"]
    token, _ = await new_item(conn, state="ready_for_pickup", mode="pickup",
                              document_type="vehicle_registration")
    vehicle = (await client.get(f"/v1/track/{token}?lang=en")).json()["bring"]
    assert "Handed only to the holder in person" in passport
    assert any("Someone else may collect it" in line for line in vehicle)


async def test_unknown_token_is_a_plain_404_page(client, conn):
    await new_item(conn)
    for token in ("A" * 22, "short", "x" * 200):
        response = await client.get(f"/t/{token}")
        assert response.status_code == 404
        assert "text/html" in response.headers["content-type"]
        assert "هذا الرابط غير صحيح" in response.text
        assert response.headers["cache-control"] == "private, no-store"
    response = await client.get("/v1/track/" + "A" * 22)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_page_headers_forbid_caching_framing_and_foreign_scripts(client, conn):
    token, _ = await new_item(conn)
    headers = (await client.get(f"/t/{token}")).headers
    assert headers["cache-control"] == "private, no-store"
    assert headers["referrer-policy"] == "same-origin"
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp


async def test_page_is_self_contained_and_under_30_kb(client, conn):
    token, _ = await new_item(conn, mode=None)
    html = (await client.get(f"/t/{token}")).text
    script = (await client.get("/static/tracking/geo.js")).content
    assert len(html.encode()) + len(script) < 30 * 1024
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<link" not in html and "@import" not in html and "url(" not in html


async def test_page_html_has_no_inline_event_handlers_or_inline_scripts(client, conn):
    token, _ = await new_item(conn, mode=None)
    html = (await client.get(f"/t/{token}")).text
    assert not re.search(r"\son[a-z]+\s*=", html)
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/tracking/geo.js" defer>']


async def test_a_point_shared_after_dispatch_is_kept_but_the_branch_stays(client, conn):
    token, item_id = await new_item(conn, state="at_branch", point=KARKH)
    html = (await client.get(f"/t/{token}")).text
    await client.post(f"/t/{token}/location", data={
        "csrf": csrf_of(html), "lat": str(DORA[0]), "lon": str(DORA[1])})
    row = await conn.fetchrow("SELECT i.lat, s.code FROM items i JOIN sites s ON s.id = i.branch_id "
                              "WHERE i.id = $1", item_id)
    assert row["lat"] == DORA[0] and row["code"] == "BG-002"
