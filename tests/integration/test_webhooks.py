"""Agency webhooks: signed, retried until the agency's endpoint takes them, exactly one success."""

import hashlib
import hmac
import time

import msgspec
import pytest

from delivery.outbox.relay import relay_once
from delivery.worker import build_worker
from tests.fakes.receiver import WebhookReceiver
from tests.helpers import auth, create_agency, document

pytestmark = pytest.mark.usefixtures("demo_sites")


def _verify_independently(secret: str, header: str, body: bytes) -> bool:
    """Stripe-style check written from the contract, not from our signing module."""
    parts = dict(p.split("=", 1) for p in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(parts["t"])) < 300
    return fresh and hmac.compare_digest(expected, parts["v1"])


async def _drain(settings, conn, rounds: int = 40) -> None:
    """Relay ready rows and run a burst worker until nothing is left to do."""
    import arq

    from delivery.platform.runtime import redis_settings

    redis = await arq.create_pool(redis_settings(settings.redis_url))
    try:
        for _ in range(rounds):
            await conn.execute("UPDATE outbox SET available_at = now() WHERE status = 'pending'")
            moved = await relay_once(conn, redis)
            if moved:
                worker = build_worker(settings, burst=True, handle_signals=False)
                await worker.main()
                await worker.close()
            pending = await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE channel = 'webhook' AND status IN "
                "('pending', 'enqueued', 'sending')")
            if not pending:
                return
    finally:
        await redis.aclose()


async def test_failing_receiver_gets_exactly_one_successful_delivery_per_event(client, conn,
                                                                             settings):
    fast = msgspec.structs.replace(settings, outbox_retry_base_s=0.01)
    key = await create_agency(conn, "MOI-PASSPORTS")
    with WebhookReceiver(fail_first=3) as receiver:
        configured = await client.put("/v1/webhook", json={"url": receiver.url}, headers=auth(key))
        assert configured.status_code == 200, configured.text
        secret = configured.json()["secret"]
        for ref in ("W-1", "W-2"):
            await client.post("/v1/documents", json=document(ref), headers=auth(key))
        await _drain(fast, conn)
        successes = receiver.successes()
    assert len(receiver.requests) == 5  # three refused, then one per event
    events = [msgspec.json.decode(body) for _, body in successes]
    assert sorted(e["external_ref"] for e in events) == ["W-1", "W-2"]
    assert len({e["id"] for e in events}) == 2
    for headers, body in successes:
        assert _verify_independently(secret, headers["Tasheel-Signature"], body)
        assert not _verify_independently("whsec_wrong", headers["Tasheel-Signature"], body)
    log = (await client.get("/v1/webhook/deliveries", headers=auth(key))).json()
    assert len(log) == 5 and sum(d["succeeded"] for d in log) == 2
    assert {d["outcome"] for d in log} == {"done"}


async def test_deliveries_log_belongs_to_its_agency_only(client, conn):
    mine, other = await create_agency(conn, "A-ONE"), await create_agency(conn, "A-TWO")
    with WebhookReceiver() as receiver:
        await client.put("/v1/webhook", json={"url": receiver.url}, headers=auth(mine))
    assert (await client.get("/v1/webhook/deliveries", headers=auth(other))).json() == []


@pytest.mark.parametrize("url", [
    "http://10.0.0.5/hook", "https://127.0.0.2/hook", "https://169.254.169.254/latest",
    "https://[::1]/hook", "ftp://example.org/x", "not a url",
])
async def test_private_and_odd_destinations_are_refused(client, conn, url):
    key = await create_agency(conn, "MOI-PASSPORTS")
    response = await client.put("/v1/webhook", json={"url": url}, headers=auth(key))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "/url"
