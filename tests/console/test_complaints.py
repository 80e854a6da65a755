"""The inspectors' complaints in the console: a complaint made on the citizen's page reaches the
inspectors of its governorate, who read it (each read kept), handle it and reopen it; the branch
it is about, its supervisor and an administrator of that branch included, never sees it."""

from __future__ import annotations

import re

import pytest

from tests.api.test_tracking_forms import form
from tests.api.tracking_support import new_item
from tests.console_support import console_login

pytestmark = pytest.mark.usefixtures("demo_sites")
WORDS = "the courier asked for 25,000 dinars"


async def _complaint(client, conn) -> int:
    token, _ = await new_item(conn, state="delivered", branch="BG-002")
    status, _ = await form(client, token, "report", {"asked": "yes", "complaint": WORDS})
    assert status == 303
    return await conn.fetchval("SELECT id FROM citizen_reports")


async def test_an_inspector_reads_handles_and_reopens_a_complaint(client, conn):
    report = await _complaint(client, conn)
    noor = await console_login(client, conn, username="noor", role="inspector",
                               governorate="IQ-BG")
    queue = await noor.get("/ops/complaints")
    assert queue.status_code == 200 and f'id="complaint-{report}"' in queue.text
    assert "نعم" in queue.text  # asked for money: first, and marked
    page = await noor.get(f"/ops/complaints/{report}")
    assert page.status_code == 200 and WORDS in page.text
    assert "t-courier" in page.text  # the staff who handled the item, from the custody log
    reads = await conn.fetch("SELECT staff_id FROM complaint_reads WHERE report_id = $1", report)
    assert len(reads) == 2  # once in the queue, once opened

    handled = await noor.post(f"/ops/complaints/{report}/handled",
                              data={"outcome": "referred", "note": "sent to the directorate"})
    assert handled.status_code == 303
    page = await noor.get(handled.headers["location"])
    assert "أحيلت إلى جهة التحقيق" in page.text and "sent to the directorate" in page.text
    assert 'id="reopen"' in page.text
    assert f'id="complaint-{report}"' not in (await noor.get("/ops/complaints")).text

    no_reason = await noor.post(f"/ops/complaints/{report}/reopen", data={"note": " "})
    assert no_reason.status_code == 422
    reopened = await noor.post(f"/ops/complaints/{report}/reopen",
                               data={"note": "the citizen called again"})
    assert reopened.status_code == 303
    history = (await noor.get(f"/ops/complaints/{report}?lang=en")).text
    assert re.search(r"noor: handled it.*noor: reopened it", history, re.S)
    assert 'id="handle"' in history


async def test_a_handling_without_an_outcome_is_refused_and_nothing_changes(client, conn):
    report = await _complaint(client, conn)
    noor = await console_login(client, conn, username="noor", role="inspector",
                               governorate="IQ-BG")
    refused = await noor.post(f"/ops/complaints/{report}/handled", data={"note": "x"})
    assert refused.status_code == 422
    assert await conn.fetchval("SELECT handled_at FROM citizen_reports") is None


async def test_the_branch_supervisor_can_neither_see_nor_close_it(client, conn):
    report = await _complaint(client, conn)
    boss = await console_login(client, conn, username="boss", role="supervisor", site="BG-002")
    for path in ("/ops/complaints", f"/ops/complaints/{report}"):
        response = await boss.get(path)
        assert response.status_code == 403 and WORDS not in response.text
    closed = await boss.post(f"/ops/complaints/{report}/handled", data={"outcome": "unfounded"})
    assert closed.status_code == 403
    assert await conn.fetchval("SELECT handled_at FROM citizen_reports") is None


async def test_an_administrator_of_the_implicated_branch_does_not_see_it(client, conn):
    report = await _complaint(client, conn)
    local = await console_login(client, conn, username="local-admin", role="admin",
                                site="BG-002")
    for path in ("/ops/complaints", f"/ops/complaints/{report}"):
        response = await local.get(path)
        assert response.status_code == 403 and WORDS not in response.text
    closed = await local.post(f"/ops/complaints/{report}/handled", data={"outcome": "unfounded"})
    assert closed.status_code == 403
    assert await conn.fetchval("SELECT handled_at FROM citizen_reports") is None


async def test_an_inspector_of_another_governorate_sees_nothing_of_it(client, conn):
    report = await _complaint(client, conn)
    basra = await console_login(client, conn, username="basra", role="inspector",
                                governorate="IQ-BA")
    assert f'id="complaint-{report}"' not in (await basra.get("/ops/complaints")).text
    assert (await basra.get(f"/ops/complaints/{report}")).status_code == 404
    closed = await basra.post(f"/ops/complaints/{report}/handled", data={"outcome": "unfounded"})
    assert closed.status_code == 404
    national = await console_login(client, conn, username="nat", role="inspector", national=True)
    assert WORDS in (await national.get(f"/ops/complaints/{report}")).text
