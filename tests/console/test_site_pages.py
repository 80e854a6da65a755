"""The supervisor's site view in the console: their own site's counts and lists, acknowledging
an alert, retrying a dead letter; another site's alert or dead letter is not found."""

from __future__ import annotations

import re

import pytest
from litestar.testing import AsyncTestClient

from delivery.custody.model import State
from delivery.web.app import create_app
from tests.console_support import console_login
from tests.custody_world import applied, build_world, submit, to_branch
from tests.integration.journey_support import fake  # noqa: F401 (a fixture)
from tests.integration.sms_support import drain, outbox_row, twilio_settings

pytestmark = pytest.mark.usefixtures("demo_sites")


@pytest.fixture
async def world(client, conn):
    return await build_world(client, conn)


@pytest.fixture
async def other_client(settings):
    """A second browser, with a cookie jar of its own."""
    async with AsyncTestClient(app=create_app(settings)) as browser:
        yield browser


async def _age(conn, tn: str, hours: int) -> None:
    """As if the item's last change were `hours` ago (time passing, not a product write)."""
    await conn.execute("UPDATE items SET updated_at = now() - make_interval(hours => $2) "
                       "WHERE tracking_number = $1", tn, hours)


def _count(html: str, state: str) -> int:
    return int(re.search(rf'id="count-{state}">(\d+)<', html).group(1))


async def _stuck_item(world, conn) -> str:
    tn = await submit(world.client, world.key, "PP-STUCK")
    await applied(world.client, world.sorter, tn, "receive")
    await _age(conn, tn, 30)
    return tn


async def _dead_letter(world, settings, conn, fake) -> int:  # noqa: F811
    """Intake's first SMS to the citizen, stopped after Twilio refused it."""
    tn = await submit(world.client, world.key, "PP-SMS")
    fake.fail_next(10, status=503)
    await drain(twilio_settings(settings, fake, sms_max_attempts=1, sms_quiet_hours=""), conn)
    return await conn.fetchval("SELECT o.id FROM outbox o JOIN items i ON i.id = o.item_id "
                               "WHERE i.tracking_number = $1 AND o.status = 'dead'", tn)


async def test_a_branch_supervisor_sees_every_state_counted_and_lists_of_their_items(
        world, conn):
    tns = [await submit(world.client, world.key, f"PP-{i}") for i in range(2)]
    await to_branch(world, tns)
    ops = await console_login(world.client, conn, username="sup-a", role="supervisor",
                              site=world.branch)
    page = await ops.get("/ops/site")
    assert page.status_code == 200 and 'dir="rtl"' in page.text
    assert all(f'id="count-{s}"' in page.text for s in State)
    assert (_count(page.text, "at_branch"), _count(page.text, "registered"),
            _count(page.text, "lost")) == (2, 1, 0)
    listed = await ops.get("/ops/site/items?state=at_branch")
    assert listed.status_code == 200
    assert all(f'href="/ops/items/{tn}"' in listed.text for tn in tns)
    assert "+964" not in listed.text
    english = await ops.get("/ops/site?lang=en")
    assert "Items by state" in english.text and 'dir="ltr"' in english.text
    assert (await ops.get("/ops/site/items?state=nonsense")).status_code == 404
    assert (await ops.get(f"/ops/site?site={world.other_branch}")).status_code == 404


async def test_stuck_items_are_grouped_by_state_and_listed_with_how_late(world, conn):
    tn = await _stuck_item(world, conn)
    ops = await console_login(world.client, conn, username="sup-a", role="supervisor",
                              site=world.branch)
    page = await ops.get("/ops/site")
    assert 'id="stuck"' in page.text and "/ops/site/stuck?state=received" in page.text
    stuck = await ops.get("/ops/site/stuck?state=received&lang=en")
    assert tn in stuck.text and "Over the limit" in stuck.text


async def test_acknowledging_an_alert_records_who_and_moves_it_out_of_the_open_list(
        world, conn, other_client):
    tn = await _stuck_item(world, conn)
    ops = await console_login(world.client, conn, username="sup-a", role="supervisor",
                              site=world.branch)
    open_page = await ops.get("/ops/site/alerts")
    assert tn in open_page.text
    since = re.search(r'name="since" value="([^"]+)"', open_page.text).group(1)
    alert = {"kind": "stuck", "subject": tn, "since": since}
    theirs = await console_login(other_client, conn, username="sup-b", role="supervisor",
                                 site=world.other_branch)
    refused = await theirs.post("/ops/site/alerts/acknowledge", data=alert)
    assert refused.status_code == 404
    done = await ops.post("/ops/site/alerts/acknowledge", data=alert)
    assert done.status_code == 303 and done.headers["location"] == "/ops/site/alerts"
    assert tn not in (await ops.get("/ops/site/alerts")).text
    seen = await ops.get("/ops/site/alerts/acknowledged")
    assert tn in seen.text and "sup-a" in seen.text
    forged = await ops.client.post("/ops/site/alerts/acknowledge", data=alert,
                                   follow_redirects=False)
    assert forged.status_code == 403  # no CSRF field


async def test_a_supervisor_retries_their_dead_letter_and_another_site_cannot(
        world, conn, settings, fake, other_client):  # noqa: F811
    outbox_id = await _dead_letter(world, settings, conn, fake)
    ops = await console_login(world.client, conn, username="sup-a", role="supervisor",
                              site=world.branch)
    listed = await ops.get("/ops/site/dead-letters")
    assert f'id="dead-{outbox_id}"' in listed.text and "+964" not in listed.text
    theirs = await console_login(other_client, conn, username="sup-b", role="supervisor",
                                 site=world.other_branch)
    assert f'id="dead-{outbox_id}"' not in (await theirs.get("/ops/site/dead-letters")).text
    refused = await theirs.post(f"/ops/site/dead-letters/{outbox_id}/retry")
    assert refused.status_code == 404
    assert (await outbox_row(conn, outbox_id))["status"] == "dead"
    retried = await ops.post(f"/ops/site/dead-letters/{outbox_id}/retry")
    assert retried.status_code == 303
    assert (await outbox_row(conn, outbox_id))["status"] == "pending"
    assert f'id="dead-{outbox_id}"' not in (await ops.get("/ops/site/dead-letters")).text


async def test_an_administrator_chooses_a_site_and_the_links_keep_it(world, conn):
    ops = await console_login(world.client, conn, username="root", role="admin")
    choose = await ops.get("/ops/site")
    assert choose.status_code == 200 and 'name="site"' in choose.text
    page = await ops.get(f"/ops/site?site={world.branch}")
    assert page.status_code == 200 and f"/ops/site/alerts?site={world.branch}" in page.text
    unknown = await ops.get("/ops/site?site=XX-999")
    assert unknown.status_code == 422 and "لا يوجد موقع بهذا الرمز" in unknown.text
    assert 'value="XX-999"' in unknown.text


async def test_other_console_roles_are_refused(world, conn):
    ops = await console_login(world.client, conn, username="insp", role="inspector",
                              governorate="IQ-BG")
    assert (await ops.get("/ops/site")).status_code == 403
