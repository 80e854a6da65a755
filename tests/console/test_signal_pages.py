"""The integrity signals page in the console: inspectors of Baghdad see Baghdad's figures with
the far courier marked and click through to the items; an inspector of Basra sees nothing of
them; other roles and bad input get a page saying so."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tests.console_support import console_login
from tests.integration.signals_support import build

pytestmark = pytest.mark.usefixtures("demo_sites")


def _links(html: str, signal: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="(/ops/signals/items\?[^"]+)"', html)
            if f"signal={signal.replace(':', '%3A')}&" in unescape(h)]


def _tracking_numbers(html: str) -> list[str]:
    return sorted(re.findall(r'href="/ops/items/([A-Z]{2}\d{9}[A-Z]{2})"', html))


async def test_an_inspector_sees_the_figures_the_outlier_and_the_items_behind_them(world, citizen,
                                                                                  conn):
    built = await build(world, citizen, conn)
    console = await console_login(world.client, conn, username="noor", role="inspector",
                                  governorate="IQ-BG")
    page = await console.get("/ops/signals")
    assert page.status_code == 200, page.text
    html = page.text
    assert 'dir="rtl"' in html and "مؤشرات النزاهة" in html and "<script" not in html
    far = html.split('id="staff-far"')[1].split("</details>")[0]
    assert "<svg" in far and "⚠ غير معتاد" in far
    assert re.search(r'class="outlier">\s*<td><span class="flag">⚠ غير معتاد</span> courier<', far)
    [far_link] = [h for h in _links(html, "far") if "courier=courier&" in h]
    listed = await console.get(far_link)
    assert listed.status_code == 200
    assert _tracking_numbers(listed.text) == sorted(built.far)
    [money] = [h for h in _links(html, "money_yes") if f"branch={world.branch}&" in h]
    assert _tracking_numbers((await console.get(money)).text) == [built.money]
    [absent] = {h for h in _links(html, "failed:absent") if "courier=courier&" in h}  # twice
    assert _tracking_numbers((await console.get(absent)).text) == [built.absent]
    english = await console.get("/ops/signals?lang=en")
    assert "Integrity signals" in english.text and "⚠ unusual" in english.text


async def test_an_inspector_of_basra_sees_nothing_of_baghdad(world, citizen, conn):
    built = await build(world, citizen, conn)
    console = await console_login(world.client, conn, username="basra", role="inspector",
                                  governorate="IQ-BA")
    page = await console.get("/ops/signals")
    assert page.status_code == 200
    assert world.branch not in page.text and "courier2" not in page.text
    assert "/ops/signals/items" not in page.text
    listed = await console.get(f"/ops/signals/items?signal=far&branch={world.branch}")
    assert listed.status_code == 200 and _tracking_numbers(listed.text) == []
    assert built.far[0] not in listed.text


async def test_a_supervisor_may_not_open_the_signals(world, conn):
    console = await console_login(world.client, conn, username="sam", role="supervisor",
                                  site=world.branch)
    assert (await console.get("/ops/signals")).status_code == 403
    assert (await console.get("/ops/signals/items?signal=far")).status_code == 403


@pytest.mark.parametrize("query", ["from=2026-13-01", "from=2026-12-07&to=2026-12-01",
                                   "from=0001-01-01&to=0001-01-02", "from=2020-01-01&to=2026-01-01"])
async def test_a_bad_period_shows_the_last_thirty_days_with_a_message(world, conn, query):
    console = await console_login(world.client, conn, username="ned", role="admin")
    page = await console.get(f"/ops/signals?{query}&lang=en")
    assert page.status_code == 422
    assert "The dates are not valid" in page.text and 'name="from"' in page.text


async def test_an_unknown_signal_is_said_so_not_a_failure(world, conn):
    console = await console_login(world.client, conn, username="ned", role="admin")
    page = await console.get("/ops/signals/items?signal=%3Cscript%3E&lang=en")
    assert page.status_code == 422 and "There is no signal of that name" in page.text
    assert "<script>" not in page.text
