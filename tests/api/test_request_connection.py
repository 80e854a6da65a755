"""A request's connection (the `conn` dependency) goes back to the pool however the request
ends: the handler answers, the handler raises, or an actor dependency refuses the request after
the connection was taken (Litestar then never resumes the dependency's generator)."""

import pytest

from tests.helpers import auth, create_agency, staff_token

pytestmark = pytest.mark.usefixtures("demo_sites")

MORE_THAN_THE_POOL = 12  # the app's pool holds at most 10 connections


def _in_use(client) -> int:
    pool = client.app.state.pool
    return pool.get_size() - pool.get_idle_size()


async def test_a_refused_agency_key_gives_the_connection_back_at_once(client, conn):
    key = await create_agency(conn, "MOI-PASSPORTS")
    for _ in range(MORE_THAN_THE_POOL):
        refused = await client.get("/v1/documents/IQ000000001", headers=auth("tsk_wrong"))
        assert refused.status_code == 401
        assert _in_use(client) == 0
    assert (await client.get("/v1/documents/", headers=auth(key))).status_code == 200


async def test_a_deactivated_staff_account_gives_the_connection_back_at_once(client, conn):
    headers = await staff_token(client, conn, username="sup1", role="supervisor",
                                site_code="BG-001")
    await conn.execute("UPDATE staff SET active = false WHERE username = 'sup1'")
    for _ in range(MORE_THAN_THE_POOL):
        assert (await client.get("/v1/supervisor/alerts", headers=headers)).status_code == 401
        assert _in_use(client) == 0


async def test_a_handler_that_raises_gives_the_connection_back(client, conn):
    key = await create_agency(conn, "MOI-PASSPORTS")
    for _ in range(MORE_THAN_THE_POOL):
        missing = await client.get("/v1/documents/IQ000000001", headers=auth(key))
        assert missing.status_code == 404
        assert _in_use(client) == 0
