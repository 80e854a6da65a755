"""Printable labels: the barcode on the PDF reads back as the item's S10 number or the bag's id
when printed at 203 dpi, the page and the PDF say where the thing goes and nothing about the
citizen, and only the sites that handle it can print it."""

from __future__ import annotations

import re

import pytest

from delivery.demo.seed import SORTING_CENTRE
from routing import store as sites
from tests.custody_world import applied, build_world, open_bag, submit
from tests.helpers import problem, problem_fields, staff_token
from tests.label_support import barcodes, pdf_pages, pdf_size_mm, pdf_text

pytestmark = pytest.mark.usefixtures("demo_sites")

CITIZEN = ("Ahmed Ali Hassan", "07701234567", "7701234567", "mahalla 314", "zuqaq 7")


async def _labelled(client, conn):
    """The world, an item received at the centre and a bag for its branch holding it."""
    world = await build_world(client, conn)
    tn = await submit(client, world.key, "PP-LABEL")
    await applied(client, world.sorter, tn, "receive")
    bag = await open_bag(world)
    await applied(client, world.sorter, tn, "bag", bag=bag)
    return world, tn, bag


async def test_the_item_label_pdf_scans_back_as_its_tracking_number(client, conn):
    world, tn, _ = await _labelled(client, conn)
    for size, mm in (("100x50", (100.0, 50.0)), ("100x150", (100.0, 150.0))):
        response = await client.get(f"/v1/labels/items/{tn}?format=pdf&size={size}",
                                    headers=world.sorter)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["cache-control"] == "private, no-store"
        assert pdf_size_mm(response.content) == mm
        [page] = pdf_pages(response.content)
        assert barcodes(page) == [tn]
        text = pdf_text(response.content)
        assert world.branch in text and "passport" in text
        assert tn in text.replace(" ", "")  # the human-readable line, grouped


async def test_the_bag_label_pdf_scans_back_as_the_bag_id_and_counts_its_items(client, conn):
    world, _, bag = await _labelled(client, conn)
    response = await client.get(f"/v1/labels/bags/{bag}", headers={
        **world.clerk, "Accept": "application/pdf"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    [page] = pdf_pages(response.content)
    assert barcodes(page) == [bag]
    text = pdf_text(response.content)
    for words in (world.branch, "from: SC-BG", "items: 1", "opened:", bag):
        assert words in text, (words, text)
    await applied(client, world.sorter, bag, "dispatch")
    dispatched = await client.get(f"/v1/labels/bags/{bag}?format=pdf", headers=world.clerk)
    assert "dispatched:" in pdf_text(dispatched.content)


async def test_the_page_is_arabic_first_self_contained_and_without_script(client, conn):
    world, tn, bag = await _labelled(client, conn)
    branch_ar = await conn.fetchval("SELECT name_ar FROM sites WHERE code = $1", world.branch)
    for url, code in ((f"/v1/labels/items/{tn}", tn), (f"/v1/labels/bags/{bag}", bag)):
        response = await client.get(url, headers=world.supervisor)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "private, no-store"
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'none'" in csp
        page = response.text
        assert '<html lang="ar" dir="rtl">' in page
        assert "@page { size: 100mm 50mm; margin: 0 }" in page
        assert "<svg" in page and 'dir="ltr"' in page
        assert branch_ar in page and world.branch in page and code in page
        assert "<script" not in page.lower()
        assert not re.search(r"""(src|href)\s*=|url\((?!#)|@import|https?://(?!www\.w3\.org)""",
                             page), "the page loads nothing"
    larger = await client.get(f"/v1/labels/items/{tn}?size=100x150", headers=world.supervisor)
    assert "@page { size: 100mm 150mm; margin: 0 }" in larger.text


async def test_no_personal_data_of_the_citizen_is_on_the_label(client, conn):
    world, tn, _ = await _labelled(client, conn)
    page = (await client.get(f"/v1/labels/items/{tn}", headers=world.sorter)).text
    pdf = await client.get(f"/v1/labels/items/{tn}?format=pdf", headers=world.sorter)
    for text in (page, pdf_text(pdf.content), pdf.content.decode("latin-1")):
        for secret in CITIZEN:
            assert secret not in text, secret


async def test_only_the_centre_that_sends_and_the_branch_that_receives_print_it(client, conn):
    world, tn, bag = await _labelled(client, conn)
    far_centre = await sites.insert_site(conn, **{**SORTING_CENTRE, "code": "SC-BA",
                                                  "governorate": "IQ-BA"})
    assert far_centre.code == "SC-BA"
    far_sorter = await staff_token(client, conn, username="far-sorter", role="sorting_clerk",
                                   site_code="SC-BA", device_id="dev-far")
    other_super = await staff_token(client, conn, username="other-super", role="supervisor",
                                    site_code=world.other_branch, device_id="dev-osup")
    admin = await staff_token(client, conn, username="boss", role="admin", site_code=None,
                              device_id="dev-admin")
    inspector = await staff_token(client, conn, username="insp", role="inspector",
                                  site_code=None, device_id="dev-insp", national=True)
    for url in (f"/v1/labels/items/{tn}", f"/v1/labels/bags/{bag}"):
        for allowed in (world.sorter, world.clerk, world.supervisor, admin):
            assert (await client.get(url, headers=allowed)).status_code == 200, url
        for stranger in (world.other_clerk, other_super, far_sorter):
            body = problem(await client.get(url, headers=stranger), 404)
            assert tn not in str(body.get("errors", "")), body
        # Roles that print no labels are refused before anything is looked up.
        for refused in (world.courier, inspector):
            problem(await client.get(url, headers=refused), 403)
    unknown = await client.get("/v1/labels/items/RR987654326IQ", headers=world.sorter)
    problem(unknown, 404)
    assert problem(await client.get("/v1/labels/bags/BAG9876543215", headers=world.sorter),
                   404)["detail"] == "no bag BAG9876543215"


async def test_a_malformed_code_or_an_unknown_size_or_format_is_named(client, conn):
    world, tn, bag = await _labelled(client, conn)
    cases = {
        "/v1/labels/items/RR123456789IQ": ["path:tracking_number"],  # wrong check digit
        "/v1/labels/items/hello": ["path:tracking_number"],
        "/v1/labels/bags/BAG0000000001": ["path:bag_id"],
        "/v1/labels/bags/RR123456785IQ": ["path:bag_id"],
        f"/v1/labels/items/{tn}?size=A4": ["query:size"],
        f"/v1/labels/bags/{bag}?size=100x50mm": ["query:size"],
        f"/v1/labels/items/{tn}?format=png": ["query:format"],
        f"/v1/labels/items/{tn}?format=pdf&copies=2": ["query:copies"],
        f"/v1/labels/items/{tn}?size=4x6&format=svg": ["query:size", "query:format"],
    }
    for url, fields in cases.items():
        assert problem_fields(problem(await client.get(url, headers=world.sorter), 422)) == \
            fields, url
