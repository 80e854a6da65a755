"""Agency webhooks: signed, retried until the agency's endpoint takes them, exactly one success."""

import hashlib
import hmac
import ipaddress
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


async def _drain(settings, conn, rounds: int = 40, resolve=None) -> None:
    """Relay ready rows and run a burst worker until nothing is left to do."""
    import arq

    from delivery.platform.runtime import redis_settings

    redis = await arq.create_pool(redis_settings(settings.redis_url))
    try:
        for _ in range(rounds):
            await conn.execute("UPDATE outbox SET available_at = now() WHERE status = 'pending'")
            moved = await relay_once(conn, redis)
            if moved:
                worker = build_worker(settings, burst=True, handle_signals=False, resolve=resolve)
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
    # private IPv4 addresses wrapped in IPv6: NAT64, local NAT64, 6to4, mapped, compatible, Teredo
    "https://[64:ff9b::a00:1]/hook", "https://[64:ff9b::7f00:1]/hook", "https://[64:ff9b:1::1]/",
    "https://[2002:a00:1::1]/hook", "https://[2002:7f00:1::]/hook", "https://[::ffff:10.0.0.1]/",
    "https://[::10.0.0.1]/hook", "https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/hook",
    # IPv6 special ranges
    "https://[fc00::1]/", "https://[fe80::1]/", "https://[fec0::1]/hook", "https://[ff02::1]/",
    "https://[ff0e::1]/hook", "https://[::]/hook",
    # IPv4 special ranges
    "https://0.0.0.0/hook", "https://100.64.0.1/", "https://192.0.0.8/", "https://198.18.0.1/",
    "https://224.0.0.1/", "https://240.0.0.1/", "https://255.255.255.255/",
    # integer, hex and octal spellings of 127.0.0.1
    "https://2130706433/hook", "https://0x7f.1/hook", "https://017700000001/hook",
    "http://2130706433/", "http://0x7f.1/", "http://017700000001/",
])
async def test_private_and_odd_destinations_are_refused(client, conn, url):
    key = await create_agency(conn, "MOI-PASSPORTS")
    response = await client.put("/v1/webhook", json={"url": url}, headers=auth(key))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "/url"


class _Resolver:
    """Stands in for DNS: answers from a list, one answer per call, the last one repeated."""

    def __init__(self, *answers: str) -> None:
        self.answers, self.calls = [ipaddress.ip_address(a) for a in answers], 0

    async def __call__(self, host: str, port: int) -> list:
        self.calls += 1
        return [self.answers[min(self.calls, len(self.answers)) - 1]]


async def _point_webhook_at(conn, url: str) -> None:
    """A webhook whose host resolved to a public address when it was registered."""
    await conn.execute("UPDATE agencies SET webhook_url = $1, webhook_secret = 'whsec_test' "
                       "WHERE code = 'MOI-PASSPORTS'", url)


async def test_a_host_that_rebinds_to_loopback_is_never_connected_to(client, conn, settings):
    key = await create_agency(conn, "MOI-PASSPORTS")
    rebinding = _Resolver("1.1.1.1", "127.0.0.1")  # public for the check, loopback afterwards
    with WebhookReceiver() as receiver:
        await _point_webhook_at(conn, f"https://localhost:{receiver.port}/tasheel-hook")
        await client.post("/v1/documents", json=document("R-1"), headers=auth(key))
        await _drain(settings, conn, rounds=1, resolve=rebinding)
    assert receiver.connections == 0
    assert rebinding.calls == 1  # resolved once; the connection went to the address checked
    log = (await client.get("/v1/webhook/deliveries", headers=auth(key))).json()
    assert [d["succeeded"] for d in log] == [False]


async def test_a_host_that_turned_private_is_refused_at_delivery(client, conn, settings):
    key = await create_agency(conn, "MOI-PASSPORTS")
    with WebhookReceiver() as receiver:
        await _point_webhook_at(conn, f"https://hook.example:{receiver.port}/tasheel-hook")
        await client.post("/v1/documents", json=document("P-1"), headers=auth(key))
        await _drain(settings, conn, rounds=1, resolve=_Resolver("64:ff9b::7f00:1"))
    assert receiver.connections == 0
    log = (await client.get("/v1/webhook/deliveries", headers=auth(key))).json()
    assert len(log) == 1 and "private or reserved address" in log[0]["error"]


async def test_delivery_connects_to_the_address_its_host_resolved_to(client, conn, settings):
    allowed = msgspec.structs.replace(settings, webhook_allow_hosts=("agency.example",))
    key = await create_agency(conn, "MOI-PASSPORTS")
    with WebhookReceiver() as receiver:
        await _point_webhook_at(conn, f"http://agency.example:{receiver.port}/tasheel-hook")
        await client.post("/v1/documents", json=document("A-1"), headers=auth(key))
        await _drain(allowed, conn, resolve=_Resolver("127.0.0.1"))
        successes = receiver.successes()
    assert len(successes) == 1
    assert successes[0][0]["Host"] == f"agency.example:{receiver.port}"
