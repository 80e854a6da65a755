"""The API while PostgreSQL or Redis is away: a clear 503 where the truth is out of reach, and
everything that needs only PostgreSQL (intake, scans, the citizen's page) going on without Redis."""

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from delivery.demo.seed import seed_demo_sites
from delivery.platform import db
from delivery.web.app import create_app
from tests.custody_world import applied, build_world, submit
from tests.helpers import auth, create_agency, document
from tests.own_servers import OwnPostgres

pytestmark = pytest.mark.usefixtures("demo_sites")

TOKEN_OF = """
SELECT o.payload->'values'->>'token' FROM outbox o JOIN items i ON i.id = o.item_id
WHERE i.tracking_number = $1 AND o.payload->'values' ? 'token'
"""


def _unavailable(response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith(":unavailable")
    assert int(response.headers["retry-after"]) > 0


async def test_with_redis_down_documents_scans_and_the_citizen_page_go_on(settings, conn,
                                                                        own_redis):
    settings = msgspec.structs.replace(settings, redis_url=own_redis.url)
    async with AsyncTestClient(app=create_app(settings)) as client:
        world = await build_world(client, conn)  # staff sign in while Redis is up
        own_redis.stop()
        tn = await submit(client, world.key, "NO-REDIS-1")
        await applied(client, world.sorter, tn, "receive")
        page = await client.get(f"/t/{await conn.fetchval(TOKEN_OF, tn)}")
        assert page.status_code == 200 and tn in page.text
        # Signing in fails closed: the limits that stop password guessing live in Redis.
        _unavailable(await client.post("/v1/auth/login", json={
            "username": "sorter", "password": "wrong", "device_id": "dev-x"}))
        ready = await client.get("/ready")
        assert ready.status_code == 503 and ready.json()["redis"] == "down"


async def test_the_api_starts_and_takes_documents_while_redis_is_down(settings, conn,
                                                                     own_redis):
    settings = msgspec.structs.replace(settings, redis_url=own_redis.url)
    key = await create_agency(conn, "MOI-NOREDIS")
    own_redis.stop()
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.post("/v1/documents", json=document("NR-1"), headers=auth(key))
        assert response.status_code == 201, response.text
    own_redis.start()


async def test_with_postgresql_down_requests_get_503_with_retry_after_then_work_again(
        settings, tmp_path):
    postgres = OwnPostgres(tmp_path / "pg")
    settings = msgspec.structs.replace(settings, database_url=await postgres.start())
    conn = await db.connect(settings.database_url)
    await seed_demo_sites(conn)
    key = await create_agency(conn, "MOI-NOPG")
    await conn.close()
    try:
        async with AsyncTestClient(app=create_app(settings)) as client:
            assert (await client.get("/v1/documents", headers=auth(key))).status_code == 200
            await postgres.stop()
            _unavailable(await client.get("/v1/documents", headers=auth(key)))
            _unavailable(await client.post("/v1/documents", json=document("PG-1"),
                                           headers=auth(key)))
            assert (await client.get("/ready")).json()["postgres"] == "down"
            await postgres.start()
            again = await client.post("/v1/documents", json=document("PG-1"), headers=auth(key))
            assert again.status_code == 201, again.text
    finally:
        await postgres.stop()
