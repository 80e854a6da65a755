"""The out-for-delivery SMS quotes the planned window when the item is on today's plan."""

from __future__ import annotations

import datetime as dt

import pytest

from delivery.planning import services, store
from delivery.planning.model import BAGHDAD
from tests.fakes.twilio import FakeTwilio
from tests.integration.planning_support import (
    BRANCH,
    add_courier,
    add_item,
    branch_point,
    early_on,
)
from tests.integration.sms_support import add_sms, drain, twilio_settings


@pytest.fixture
def fake():
    with FakeTwilio() as server:
        yield server


async def test_the_out_for_delivery_sms_carries_the_planned_window(conn, settings, demo_sites,
                                                                   fake):
    day = dt.datetime.now(BAGHDAD).date()
    lat, lon = await branch_point(conn)
    await add_courier(conn, "rider")
    planned = await add_item(conn, lat=lat + 0.01, lon=lon, phone="+9647701111111")
    unplanned = await add_item(conn, lat=None, lon=None, phone="+9647702222222",
                               district=None)
    await services.plan_branch_day(conn, settings, BRANCH, day, max_runtime_s=0.2,
                                   now=early_on(day))
    window = await store.planned_window(conn, planned)
    assert window is not None
    await conn.execute("UPDATE items SET state = 'out_for_delivery' WHERE id = ANY($1::bigint[])",
                       [planned, unplanned])
    for item in (planned, unplanned):
        await add_sms(conn, item, "out_for_delivery", code="482913")

    await drain(twilio_settings(settings, fake), conn)

    bodies = {m.to: m.body for m in fake.messages}
    start, end = window.split("-")
    assert f"بين {start} و{end}" in bodies["+9647701111111"]
    assert "482913" in bodies["+9647702222222"] and "بين" not in bodies["+9647702222222"]
