"""/metrics behind METRICS_TOKEN: a bearer token when set, as before when not."""

import msgspec
from litestar.testing import AsyncTestClient

from delivery.web.app import create_app

TOKEN = "a-long-scraper-token"


async def test_with_a_token_set_metrics_need_it(settings):
    guarded = msgspec.structs.replace(settings, metrics_token=TOKEN)
    async with AsyncTestClient(app=create_app(guarded)) as client:
        await client.get("/health")
        missing = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    for refused in (missing, wrong):
        assert refused.status_code == 401
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "tasheel_requests_total" not in refused.text
    assert right.status_code == 200 and "tasheel_requests_total" in right.text


async def test_without_a_token_metrics_stay_open(client):
    await client.get("/health")
    assert (await client.get("/metrics")).status_code == 200
