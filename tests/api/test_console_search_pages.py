"""The console's search and item pages as their users meet them: signed in through /ops/login,
items made by intake and moved by handheld scans."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest

from tests.console_support import console_login
from tests.integration.console_search_support import tamper_payload, two_governorates

pytestmark = pytest.mark.usefixtures("demo_sites")

BAGHDAD_TIME = ZoneInfo("Asia/Baghdad")


def results(html: str) -> list[str]:
    """The tracking numbers a results page links to, in order."""
    return re.findall(r'href="/ops/items/([A-Z0-9]+)"', html)


async def test_a_supervisor_finds_their_item_by_each_kind_with_pii_masked(client, conn):
    items = await two_governorates(client, conn)
    ops = await console_login(client, conn, username="sup", role="supervisor",
                              site=items.world.branch)
    tn = items.baghdad
    for typed in (f" {tn[:2].lower()} {tn[2:].lower()} ", "MOI-BG-0001", "2468", "05552468",
                  "07705552468"):
        page = await ops.get("/ops/search", params={"q": typed})
        assert page.status_code == 200, typed
        assert results(page.text) == [tn], typed
    page = await ops.get("/ops/search", params={"q": "2468"})
    assert "+964 *** *** *468" in page.text and "A. A. H." in page.text
    assert "5552468" not in page.text and "Ahmed" not in page.text


async def test_a_basra_supervisor_finds_no_baghdad_item_and_its_page_is_a_404(client, conn):
    items = await two_governorates(client, conn)
    ops = await console_login(client, conn, username="basra", role="supervisor", site="BA-001")
    for typed in (items.baghdad, "MOI-BG-0001", "2468", "07705552468"):
        page = await ops.get("/ops/search", params={"q": typed})
        assert page.status_code == 200 and results(page.text) == [], typed
    assert results((await ops.get("/ops/search", params={"q": "6543"})).text) == [items.basra]
    hidden = await ops.get(f"/ops/items/{items.baghdad}")
    unknown = await ops.get("/ops/items/RR999999990IQ")
    assert hidden.status_code == unknown.status_code == 404
    # The same page, but for the address asked (echoed in the language link).
    assert hidden.text.replace(items.baghdad, "TN") == unknown.text.replace("RR999999990IQ", "TN")
    assert await conn.fetchval("SELECT count(*) FROM ops_reads") == 0


async def test_governorate_and_national_viewers_see_their_part_of_the_country(client, conn):
    items = await two_governorates(client, conn)
    desk = await console_login(client, conn, username="desk", role="helpdesk",
                               governorate="IQ-BG")
    assert results((await desk.get("/ops/search", params={"q": "MOI-BA-0001"})).text) == []
    assert results((await desk.get("/ops/search", params={"q": "MOI-BG-0001"})).text) == [
        items.baghdad]
    national = await console_login(client, conn, username="nat", role="inspector",
                                   national=True)
    assert results((await national.get("/ops/search", params={"q": "MOI-BA-0001"})).text) == [
        items.basra]


@pytest.mark.parametrize("typed", ["12", "<script>alert(1)</script>", "x" * 200,
                                   "RR123456789IQ", "'; DROP TABLE items; --"])
async def test_nonsense_or_too_short_queries_get_the_page_with_a_message(client, conn, typed):
    ops = await console_login(client, conn, username="admin1", role="admin", site="SC-BG")
    page = await ops.get("/ops/search", params={"q": typed, "page": "abc"})
    assert page.status_code == 422
    assert 'id="message"' in page.text and "<script>alert" not in page.text


async def test_the_timeline_shows_each_event_in_baghdad_time_with_actor_device_and_place(
        client, conn):
    items = await two_governorates(client, conn)
    ops = await console_login(client, conn, username="insp", role="inspector",
                              governorate="IQ-BG")
    page = await ops.get(f"/ops/items/{items.baghdad.lower()}", params={"lang": "en"})
    assert page.status_code == 200
    text = page.text
    assert "chain verified" in text
    received = await conn.fetchrow(
        "SELECT e.server_at FROM custody_events e JOIN items i ON i.id = e.item_id "
        "WHERE i.tracking_number = $1 AND e.event_code = 'received'", items.baghdad)
    local = received["server_at"].astimezone(BAGHDAD_TIME).strftime("%Y-%m-%d %H:%M")
    assert re.search(rf'<time dir="ltr" datetime="[^"]+">{local}</time><strong>Received at the '
                     r"sorting centre</strong>", text)
    assert "sorting clerk · <bdi dir=\"ltr\">sorter</bdi>" in text and "dev-sorter" in text
    assert "courier · <bdi dir=\"ltr\">courier</bdi>" in text and "dev-courier" in text
    assert "Delivery attempt failed" in text and "reason: absent" in text
    assert f"bag: {items.bag}" in text and "Registered by the agency" in text
    assert "+964 *** *** *468" in text and "5552468" not in text
    insp = await conn.fetchval("SELECT id FROM staff WHERE username = 'insp'")
    read = await conn.fetchrow("SELECT r.staff_id, i.tracking_number FROM ops_reads r "
                               "JOIN items i ON i.id = r.item_id")
    assert (read["staff_id"], read["tracking_number"]) == (insp, items.baghdad)


async def test_a_rewritten_event_shows_the_chain_broken(client, conn):
    items = await two_governorates(client, conn)
    await tamper_payload(conn, items.baghdad, 3, {"bag": "FORGED", "scan_id": "s-x"})
    ops = await console_login(client, conn, username="insp", role="inspector", national=True)
    page = await ops.get(f"/ops/items/{items.baghdad}", params={"lang": "en"})
    assert page.status_code == 200
    assert "chain broken" in page.text and "chain verified" not in page.text
    assert "#3: stored hash does not match" in page.text


async def test_a_long_result_list_is_paginated(client, conn):
    items = await two_governorates(client, conn)
    from tests.custody_world import submit

    for n in range(21):
        await submit(client, items.world.key, f"MANY-{n:02d}", phone="07700009999")
    ops = await console_login(client, conn, username="adm", role="admin", site="SC-BG")
    first = await ops.get("/ops/search", params={"q": "9999"})
    second = await ops.get("/ops/search", params={"q": "9999", "page": "2"})
    assert len(results(first.text)) == 20 and len(results(second.text)) == 1
    assert 'rel="next"' in first.text and 'rel="prev"' in second.text
    assert not set(results(first.text)) & set(results(second.text))


async def test_each_reveal_of_the_citizens_phone_shows_on_the_item_page(client, conn):
    from tests.custody_world import build_world, out_for_delivery, submit

    world = await build_world(client, conn)
    tn = await submit(client, world.key, "PP-1")
    await out_for_delivery(world, tn)
    ops = await console_login(client, conn, username="sup.ops", role="supervisor",
                              site=world.branch)
    assert 'id="reveals"' not in (await ops.get(f"/ops/items/{tn}?lang=en")).text
    for _ in range(2):
        revealed = await client.post(f"/v1/items/{tn}/phone", headers=world.courier)
        assert revealed.status_code == 200
    page = await ops.get(f"/ops/items/{tn}?lang=en")
    assert page.status_code == 200 and "Phone revealed" in page.text
    section = page.text.split('id="reveals"')[1].split("</ol>")[0]
    assert section.count("<li>") == 2
    assert ">courier</bdi>" in section and "dev-courier" in section
    assert "+9647701234567" not in page.text and "7701234567" not in page.text
    assert "كشف رقم الهاتف" in (await ops.get(f"/ops/items/{tn}?lang=ar")).text


async def test_the_item_page_links_a_new_document_and_the_old_one_taken_back(client, conn):
    from tests.custody_world import applied, build_world, last4, last_code, out_for_delivery
    from tests.helpers import auth, document

    world = await build_world(client, conn)
    body = {**document("PP-RENEW"), "old_document": {"number": "A1234567"}}
    tn = (await client.post("/v1/documents", json=body, headers=auth(world.key))).json()[
        "tracking_number"]
    await out_for_delivery(world, tn)
    ops = await console_login(client, conn, username="sup.old", role="supervisor",
                              site=world.branch)
    assert 'id="old-document"' not in (await ops.get(f"/ops/items/{tn}?lang=en")).text
    await applied(client, world.courier, tn, "deliver", otp=await last_code(conn, tn),
                  id_last4=await last4(conn, tn), old_document_number="A1234567")
    old_tn = await conn.fetchval("SELECT tracking_number FROM items WHERE external_ref = $1",
                                 "PP-RENEW#old")

    new_page = await ops.get(f"/ops/items/{tn}?lang=en")
    assert new_page.status_code == 200
    link = new_page.text.split('id="old-document"')[1].split("</dd>")[0]
    assert f'href="/ops/items/{old_tn}"' in link and "Old document taken back" in new_page.text
    old_page = await ops.get(f"/ops/items/{old_tn}?lang=ar")
    assert old_page.status_code == 200
    back = old_page.text.split('id="old-document-of"')[1].split("</dd>")[0]
    assert f'href="/ops/items/{tn}"' in back and "الوثيقة الجديدة التي استبدلتها" in old_page.text
