"""The webhook as an integrator manages it: read it back, remove it, rotate its secret with an
overlap (both signatures sent meanwhile), and replay the events that never arrived, once each."""

import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from delivery.agencies.webhooks import EVENTS
from delivery.platform.settings import Settings
from delivery.web.webhook_events import EVENT_TYPES
from tests.fakes.receiver import WebhookReceiver
from tests.helpers import auth, create_agency, document
from tests.integration.test_webhooks import _drain

pytestmark = pytest.mark.usefixtures("demo_sites")


def _accepts(secret: str, header: str, body: bytes) -> bool:
    """A receiver written from the contract: `t=…` then one or more `v1=…`; any may match."""
    parts = [p.split("=", 1) for p in header.split(",")]
    stamp = next(v for k, v in parts if k == "t")
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(stamp)) < 300
    return fresh and any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1")


def _window() -> str:
    now = datetime.now(UTC)
    start, end = (now - timedelta(hours=1)).isoformat(), (now + timedelta(minutes=5)).isoformat()
    return f"from={start.replace('+', '%2B')}&to={end.replace('+', '%2B')}"


@pytest.fixture
def fast(settings):
    return msgspec.structs.replace(settings, outbox_retry_base_s=0.01)


async def test_the_webhook_reads_back_without_its_secret_and_can_be_removed(client, conn):
    key = await create_agency(conn, "MOI-PASSPORTS")
    assert (await client.get("/v1/webhook", headers=auth(key))).status_code == 404
    with WebhookReceiver() as receiver:
        made = (await client.put("/v1/webhook", json={"url": receiver.url},
                                 headers=auth(key))).json()
    shown = await client.get("/v1/webhook", headers=auth(key))
    assert shown.status_code == 200
    body = shown.json()
    assert body["url"] == receiver.url
    assert body["events"] == ["item.state_changed", "item.citizen_choice", "custody.anchor"]
    assert body["created"] and made["secret"] not in shown.text
    assert body["secret_fingerprint"] == hashlib.sha256(made["secret"].encode()).hexdigest()[:12]
    assert (await client.delete("/v1/webhook", headers=auth(key))).status_code == 204
    assert (await client.get("/v1/webhook", headers=auth(key))).status_code == 404
    assert (await client.delete("/v1/webhook", headers=auth(key))).status_code == 404


def test_the_events_listed_are_the_events_documented():
    assert tuple(EVENTS) == tuple(EVENT_TYPES)


async def test_a_rotated_secret_overlaps_both_signatures_through_the_worker(client, conn, fast):
    key = await create_agency(conn, "MOI-PASSPORTS")
    with WebhookReceiver() as receiver:
        old = (await client.put("/v1/webhook", json={"url": receiver.url},
                                headers=auth(key))).json()
        assert "previous_secret_valid_until" not in old
        new = (await client.put("/v1/webhook", json={"url": receiver.url},
                                headers=auth(key))).json()
        until = datetime.fromisoformat(new["previous_secret_valid_until"])
        assert timedelta(hours=23, minutes=59) < until - datetime.now(UTC) <= timedelta(hours=24)
        shown = (await client.get("/v1/webhook", headers=auth(key))).json()
        assert shown["previous_secret_fingerprint"] == \
            hashlib.sha256(old["secret"].encode()).hexdigest()[:12]
        await client.post("/v1/documents", json=document("ROT-1"), headers=auth(key))
        await _drain(fast, conn)
        [(headers, body)] = receiver.successes()
        signature = headers["Tasheel-Signature"]
        assert signature.count("v1=") == 2
        assert _accepts(old["secret"], signature, body) and _accepts(new["secret"], signature, body)
        assert not _accepts("whsec_wrong", signature, body)

        # the overlap over: only the new secret signs
        await conn.execute("UPDATE agencies SET webhook_previous_until = now() - interval '1 s'")
        await client.post("/v1/documents", json=document("ROT-2"), headers=auth(key))
        await _drain(fast, conn)
        headers, body = receiver.successes()[-1]
    assert headers["Tasheel-Signature"].count("v1=") == 1
    assert _accepts(new["secret"], headers["Tasheel-Signature"], body)
    assert not _accepts(old["secret"], headers["Tasheel-Signature"], body)
    shown = (await client.get("/v1/webhook", headers=auth(key))).json()
    assert shown["previous_secret_fingerprint"] is None


def test_the_overlap_is_a_setting_of_24_hours_by_default():
    assert Settings.from_env({}).webhook_secret_overlap_h == 24
    assert Settings.from_env({"WEBHOOK_SECRET_OVERLAP_HOURS": "0"}).webhook_secret_overlap_h == 0
    with pytest.raises(ValueError, match="WEBHOOK_SECRET_OVERLAP_HOURS"):
        Settings.from_env({"WEBHOOK_SECRET_OVERLAP_HOURS": "a day"})


async def test_events_missed_while_no_webhook_was_set_are_replayed_once(client, conn, fast):
    key = await create_agency(conn, "MOI-PASSPORTS")
    with WebhookReceiver() as receiver:
        await client.put("/v1/webhook", json={"url": receiver.url}, headers=auth(key))
        await client.post("/v1/documents", json=document("BEFORE"), headers=auth(key))
        await _drain(fast, conn)
        assert (await client.delete("/v1/webhook", headers=auth(key))).status_code == 204
        for ref in ("MISSED-1", "MISSED-2"):
            await client.post("/v1/documents", json=document(ref), headers=auth(key))
        await _drain(fast, conn)
        assert len(receiver.requests) == 1  # nothing pushed while none was set

        await client.put("/v1/webhook", json={"url": receiver.url}, headers=auth(key))
        replay = await client.post(f"/v1/webhook/replay?{_window()}", headers=auth(key))
        assert replay.status_code == 200, replay.text
        assert replay.json()["replayed"] == 2
        await _drain(fast, conn)
        again = await client.post(f"/v1/webhook/replay?{_window()}", headers=auth(key))
        assert again.json()["replayed"] == 0
        await _drain(fast, conn)
        events = [msgspec.json.decode(body) for _, body in receiver.successes()]
    assert sorted(e["external_ref"] for e in events) == ["BEFORE", "MISSED-1", "MISSED-2"]
    assert len({e["id"] for e in events}) == 3
    replayed = [e["id"] for e in events if e["external_ref"].startswith("MISSED")]
    assert sorted(replayed) == replay.json()["event_ids"]


async def test_events_that_failed_for_good_are_replayed(client, conn, fast):
    key = await create_agency(conn, "MOI-PASSPORTS")
    with WebhookReceiver() as receiver:
        await client.put("/v1/webhook", json={"url": receiver.url}, headers=auth(key))
        await client.post("/v1/documents", json=document("GAVE-UP"), headers=auth(key))
        # as the worker leaves an event refused for a whole day
        await conn.execute("UPDATE outbox SET status = 'failed', last_error = 'HTTP 500' "
                           "WHERE channel = 'webhook'")
        replay = await client.post(f"/v1/webhook/replay?{_window()}", headers=auth(key))
        assert replay.json()["replayed"] == 1
        await _drain(fast, conn)
        [(headers, body)] = receiver.successes()
    assert msgspec.json.decode(body)["external_ref"] == "GAVE-UP"
    assert headers["Tasheel-Event-Id"] == str(replay.json()["event_ids"][0])


async def test_replay_is_the_agencys_own_and_needs_a_webhook_and_a_window(client, conn, fast):
    mine, other = await create_agency(conn, "A-ONE"), await create_agency(conn, "A-TWO")
    await client.post("/v1/documents", json=document("ONE-1"), headers=auth(mine))
    await _drain(fast, conn)
    refused = await client.post(f"/v1/webhook/replay?{_window()}", headers=auth(mine))
    assert refused.status_code == 409
    with WebhookReceiver() as receiver:
        await client.put("/v1/webhook", json={"url": receiver.url}, headers=auth(other))
        theirs = await client.post(f"/v1/webhook/replay?{_window()}", headers=auth(other))
    assert theirs.json()["replayed"] == 0
    backwards = await client.post("/v1/webhook/replay?from=2026-12-02T00:00:00Z"
                                  "&to=2026-12-01T00:00:00Z", headers=auth(other))
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["field"] == "query:to"
    missing = await client.post("/v1/webhook/replay?from=2026-12-02T00:00:00Z",
                                headers=auth(other))
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "query:to"
