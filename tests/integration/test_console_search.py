"""The console's search and item timeline behind the pages: scope, masking, the record of
reads, the chain's verdict, and the phone-tail index."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from delivery.console.scope import Scope
from delivery.console.search import services
from delivery.console.search.model import BadQuery
from delivery.staff.auth import StaffUser
from tests.integration.console_search_support import tamper_payload, two_governorates

pytestmark = pytest.mark.usefixtures("demo_sites")

EVERYTHING = Scope(everything=True)
BAGHDAD = Scope(governorate="IQ-BG")
BASRA = Scope(governorate="IQ-BA")


def reader(conn_id: int) -> StaffUser:
    return StaffUser(id=conn_id, username="insp", role="inspector", site_id=None, site_code=None,
                     site_kind=None, governorate=None, device_id="browser")


async def found(conn, text: str, scope: Scope) -> list[str]:
    results = await services.search(conn, text=text, scope=scope)
    return [i.tracking_number for i in results.items]


async def test_each_kind_of_query_finds_the_item_in_scope_with_pii_masked(client, conn):
    items = await two_governorates(client, conn)
    for text in (items.baghdad.lower(), "MOI-BG-0001", "2468", "05552468", "07705552468"):
        assert await found(conn, text, BAGHDAD) == [items.baghdad], text
    line = (await services.search(conn, text="2468", scope=BAGHDAD)).items[0]
    assert line.phone == "+964 *** *** *468" and line.citizen == "A. A. H."
    assert line.state == "delivery_failed" and line.branch == items.world.branch


async def test_nothing_of_another_governorate_is_found_by_any_kind(client, conn):
    items = await two_governorates(client, conn)
    for text in (items.baghdad, "MOI-BG-0001", "2468", "07705552468"):
        assert await found(conn, text, BASRA) == [], text
    assert await found(conn, "6543", BASRA) == [items.basra]


async def test_unusable_text_is_refused_before_any_query(conn):
    with pytest.raises(BadQuery):
        await services.search(conn, text="12", scope=EVERYTHING)


async def test_the_phone_tail_search_can_use_its_index_with_any_parameters(client, conn):
    await two_governorates(client, conn)
    async with conn.transaction():
        # The plan PostgreSQL keeps for the prepared statement, whatever the values: each of
        # the three ways to match has its index. Seen here:
        #   BitmapOr
        #     ->  Bitmap Index Scan on items_tracking_number_key  Index Cond: (tracking_number = $1)
        #     ->  Bitmap Index Scan on items_external_ref  Index Cond: (external_ref = $2)
        #     ->  Bitmap Index Scan on items_phone_tail
        #           Index Cond: (((reverse(citizen_phone))::text >= $3) AND (... < $4))
        # A test table is small enough to read whole: forbid that, and reading a whole index
        # in order, so the plan shows what a big table gets.
        await conn.execute("SET LOCAL enable_seqscan = off")
        await conn.execute("SET LOCAL enable_indexscan = off")
        await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        await conn.execute(f"PREPARE search AS {services.store.SEARCH}")
        plan = "\n".join(r[0] for r in await conn.fetch(
            "EXPLAIN EXECUTE search(NULL, NULL, '7654', '7655', true, NULL, NULL, 21, 0)"))
        await conn.execute("DEALLOCATE search")
    assert "Index Scan on items_phone_tail" in plan, plan
    assert "reverse(citizen_phone))::text >= $3" in plan, plan


async def test_an_item_page_is_recorded_and_out_of_scope_is_none(client, conn):
    items = await two_governorates(client, conn)
    now = datetime.now(UTC)
    staff_id = await conn.fetchval("SELECT id FROM staff WHERE username = 'super'")
    page = await services.read_item(conn, tracking_number=items.baghdad, staff=reader(staff_id),
                                    scope=BAGHDAD, now=now)
    assert page is not None and page.verified
    assert [e.event_code for e in page.events][-1] == "delivery_failed"
    assert await services.read_item(conn, tracking_number=items.baghdad, staff=reader(staff_id),
                                    scope=BASRA, now=now) is None
    assert await conn.fetchval("SELECT count(*) FROM ops_reads") == 1


async def test_a_rewritten_event_breaks_the_chain(client, conn):
    items = await two_governorates(client, conn)
    await tamper_payload(conn, items.baghdad, 2, {"bag": "FORGED"})
    staff_id = await conn.fetchval("SELECT id FROM staff WHERE username = 'super'")
    page = await services.read_item(conn, tracking_number=items.baghdad, staff=reader(staff_id),
                                    scope=EVERYTHING, now=datetime.now(UTC))
    assert page is not None and not page.verified
    assert page.breaks[0].startswith("#2:")
