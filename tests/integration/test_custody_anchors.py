"""The daily anchor: a signed Merkle root over the chain heads that changed on a day, published,
sent to every agency, and held against the log by `tasheel verify-custody --anchors`."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, date, datetime, timedelta

import asyncpg
import msgspec
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from delivery.cli import main
from delivery.custody import anchors, chain, log, tasks
from delivery.platform.settings import anchor_signing_key
from tests.custody_world import applied, build_world, submit
from tests.fakes.receiver import WebhookReceiver
from tests.helpers import auth, create_agency
from tests.integration.test_custody_tamper import (
    as_attacker,
    command_line_on,
    event_count,
    item_id,
    verify,
)
from tests.integration.test_webhooks import _drain, _verify_independently

pytestmark = pytest.mark.usefixtures("demo_sites")


def _today() -> date:
    return anchors.local_day(datetime.now(UTC))


def _after(day: date) -> datetime:
    """A moment once `day` has ended and settled."""
    return anchors.day_bounds(day)[1] + timedelta(hours=1)


async def _a_few_changes(client, conn) -> list[str]:
    world = await build_world(client, conn)
    tns = [await submit(client, world.key, f"PP-{i}") for i in range(3)]
    for tn in tns[:2]:
        await applied(client, world.sorter, tn, "receive")
    return tns


def _checked_as_an_agency_would(anchor: dict, heads: list[tuple[str, int, bytes]]) -> bool:
    """The README's recipe: only hashlib and cryptography, nothing of Tasheel."""
    statement = f"tasheel custody anchor|{anchor['date']}|{anchor['count']}|{anchor['root']}"
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(anchor["public_key"])).verify(
        bytes.fromhex(anchor["signature"]), statement.encode())

    def mth(leaves):
        if len(leaves) <= 1:
            return leaves[0] if leaves else hashlib.sha256(b"").digest()
        k = 1 << (len(leaves) - 1).bit_length() - 1
        return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()

    leaves = [hashlib.sha256(b"\x00" + f"{tn}|{n}|{head.hex()}".encode()).digest()
              for tn, n, head in sorted(heads)]
    return mth(leaves).hex() == anchor["root"] and len(leaves) == anchor["count"]


async def test_a_day_is_anchored_once_published_and_sent_to_every_agency(client, conn,
                                                                       settings):
    await _a_few_changes(client, conn)
    await create_agency(conn, "MOT-LICENCES")
    today = _today()
    made = await anchors.make_due(conn, anchor_signing_key(settings), now=_after(today))
    assert [a.day for a in made] == [today]
    heads = [(r["tracking_number"], r["chain_length"], r["chain_head"])
             for r in await conn.fetch("SELECT * FROM items")]

    published = (await client.get(f"/v1/anchors/{today}")).json()
    assert set(published) == {"date", "root", "count", "signature", "public_key"}
    assert published["count"] == 4 and _checked_as_an_agency_would(published, heads)
    listed = await client.get("/v1/anchors", params={"from": str(today - timedelta(days=3)),
                                                     "to": str(today)})
    assert listed.status_code == 200 and listed.json() == [published]

    sent = await conn.fetch("SELECT agency_id, payload FROM outbox WHERE topic = "
                            "'custody.anchor' ORDER BY agency_id")
    agencies = [r["id"] for r in await conn.fetch("SELECT id FROM agencies ORDER BY id")]
    assert [r["agency_id"] for r in sent] == agencies and len(agencies) == 2
    assert all(r["payload"] == {"event": "custody.anchor", **published} for r in sent)

    assert await anchors.make_due(conn, anchor_signing_key(settings),
                                  now=_after(today) + timedelta(hours=5)) == []
    again = await anchors.make_anchor(conn, anchor_signing_key(settings), today,
                                      now=_after(today))
    assert msgspec.to_builtins(again) == published
    assert await conn.fetchval("SELECT count(*) FROM outbox WHERE topic = "
                               "'custody.anchor'") == 2


async def test_an_agency_receives_the_anchor_by_its_signed_webhook(client, conn, settings):
    await _a_few_changes(client, conn)
    key = await create_agency(conn, "MOT-LICENCES")
    with WebhookReceiver() as receiver:
        configured = await client.put("/v1/webhook", json={"url": receiver.url},
                                      headers=auth(key))
        await conn.execute("UPDATE outbox SET status = 'done'")  # the day's own webhooks
        (anchor,) = await anchors.make_due(conn, anchor_signing_key(settings),
                                           now=_after(_today()))
        await _drain(settings, conn)
        (headers, body), = receiver.successes()
    assert _verify_independently(configured.json()["secret"], headers["Tasheel-Signature"], body)
    received = msgspec.json.decode(body)
    assert received == {"id": received["id"], "event": "custody.anchor",
                        **msgspec.to_builtins(anchor)}


async def test_a_day_that_has_not_ended_is_not_anchored(client, conn, settings):
    await _a_few_changes(client, conn)
    assert await anchors.make_due(conn, anchor_signing_key(settings),
                                  now=datetime.now(UTC)) == []
    assert await tasks.anchor_days_job({"pool": _Pool(conn), "settings": settings}) == 0
    assert any(job.coroutine is tasks.anchor_days_job for job in tasks.CRON_JOBS)
    with pytest.raises(anchors.InvalidInput, match="has not ended"):
        await anchors.make_anchor(conn, anchor_signing_key(settings), _today(),
                                  now=datetime.now(UTC))


class _Pool:
    """Just enough of a pool for a job: the test's own connection."""

    def __init__(self, conn) -> None:
        self.conn = conn

    def acquire(self):
        conn = self.conn

        class _Acquired:
            async def __aenter__(self):
                return conn

            async def __aexit__(self, *exc):
                return False

        return _Acquired()


async def test_a_chain_rewritten_with_its_head_is_caught_only_by_the_anchors(
        client, conn, settings, monkeypatch):
    tns = await _a_few_changes(client, conn)
    await anchors.make_due(conn, anchor_signing_key(settings), now=_after(_today()))
    assert (await verify(settings, monkeypatch, "--anchors")).exit_code == 0

    # An insider rewrites the last event of an item, re-hashes it and re-records the head.
    tn = tns[0]
    events = await log.load_chain(conn, await item_id(conn, tn))
    last = {**events[-1], "device_id": "rewritten"}
    digest = chain.event_hash(last["prev_hash"], last)
    await as_attacker(conn, (
        "UPDATE custody_events e SET device_id = 'rewritten', hash = $3 FROM items i "
        "WHERE i.id = e.item_id AND i.tracking_number = $1 AND e.seq = $2", tn,
        await event_count(conn, tn), digest), (
        "UPDATE items SET chain_head = $2 WHERE tracking_number = $1", tn, digest))

    plain = await verify(settings, monkeypatch)
    assert plain.exit_code == 0, plain.output
    anchored = await verify(settings, monkeypatch, "--anchors")
    assert anchored.exit_code == 1
    assert f"BROKEN anchor {_today()}: the log gives 4 heads with root" in anchored.output


async def test_an_item_removed_with_its_whole_history_is_caught_by_the_anchors(
        client, conn, settings, monkeypatch):
    tns = await _a_few_changes(client, conn)
    await anchors.make_due(conn, anchor_signing_key(settings), now=_after(_today()))
    gone = await item_id(conn, tns[0])
    await as_attacker(conn, ("DELETE FROM custody_events WHERE item_id = $1", gone),
                      ("DELETE FROM outbox WHERE item_id = $1", gone),
                      ("DELETE FROM items WHERE id = $1", gone))
    assert (await verify(settings, monkeypatch)).exit_code == 0
    anchored = await verify(settings, monkeypatch, "--anchors")
    assert anchored.exit_code == 1 and "the log gives 3 heads" in anchored.output


async def _signed_elsewhere(conn, key: bytes) -> anchors.Anchor:
    """Today's true anchor, signed with `key` rather than the server's, stored as made."""
    today = _today()
    other = anchors.signed(key, today, await anchors.heads_of_day(conn, today))
    await conn.execute("INSERT INTO anchors (day, root, count, signature, public_key) "
                       "VALUES ($1, $2, $3, $4, $5)", today, bytes.fromhex(other.root),
                       other.count, bytes.fromhex(other.signature),
                       bytes.fromhex(other.public_key))
    return other


async def test_an_anchor_not_signed_by_this_server_is_reported(client, conn, settings,
                                                               monkeypatch):
    await _a_few_changes(client, conn)
    forged = await _signed_elsewhere(conn, bytes(range(32)))
    result = await verify(settings, monkeypatch, "--anchors")
    assert result.exit_code == 1
    assert (f"BROKEN anchor {_today()}: signed by {forged.public_key}, not by this server's key "
            "nor one it used before (ANCHOR_EARLIER_KEYS)") in result.output
    assert "its signature does not hold" not in result.output


async def test_anchors_signed_before_a_key_rotation_still_hold_once_the_old_key_is_listed(
        client, conn, settings, monkeypatch):
    await _a_few_changes(client, conn)
    retired = await _signed_elsewhere(conn, bytes(range(32)))  # the key in use until yesterday
    monkeypatch.setenv("ANCHOR_EARLIER_KEYS", f"{'ab' * 32}, {retired.public_key.upper()}")
    result = await verify(settings, monkeypatch, "--anchors")
    assert result.exit_code == 0, result.output
    assert "1 anchors checked" in result.output and retired.public_key in result.output

    monkeypatch.setenv("ANCHOR_EARLIER_KEYS", "not-a-key")
    refused = await verify(settings, monkeypatch, "--anchors")
    assert refused.exit_code != 0
    assert "ANCHOR_EARLIER_KEYS holds Ed25519 public keys" in str(refused.exception)


async def test_anchors_are_never_changed_or_removed(client, conn, settings):
    await _a_few_changes(client, conn)
    await anchors.make_due(conn, anchor_signing_key(settings), now=_after(_today()))
    for sql in ("UPDATE anchors SET count = 0", "DELETE FROM anchors", "TRUNCATE anchors"):
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await conn.execute(sql)


async def test_anchors_make_on_the_command_line_anchors_a_past_day_once(settings, conn,
                                                                       monkeypatch):
    command_line_on(settings, monkeypatch)
    yesterday = str(_today() - timedelta(days=1))
    runner = CliRunner()
    first = await asyncio.to_thread(runner.invoke, main, ["anchors", "make", "--date", yesterday])
    assert first.exit_code == 0, first.output
    assert f"{yesterday} count=0 root={hashlib.sha256(b'').hexdigest()}" in first.output
    second = await asyncio.to_thread(runner.invoke, main, ["anchors", "make",
                                                          "--date", yesterday])
    assert second.output == first.output
    today = await asyncio.to_thread(runner.invoke, main, ["anchors", "make",
                                                         "--date", str(_today())])
    assert today.exit_code != 0 and "has not ended yet" in today.output


@pytest.mark.parametrize(("path", "status", "field"), [
    ("/v1/anchors/2026-13-01", 422, "path:date"),
    ("/v1/anchors/yesterday", 422, "path:date"),
    ("/v1/anchors?from=2026-03-10&to=2026-03-01", 422, "query:from"),
    ("/v1/anchors?from=2024-01-01&to=2026-03-01", 422, "query:from"),
    ("/v1/anchors?since=2026-03-01", 422, "query:since"),
    ("/v1/anchors?from=March", 422, "query:from"),
])
async def test_bad_input_is_a_problem_naming_the_field(client, path, status, field):
    response = await client.get(path)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_a_day_without_an_anchor_is_not_found(client):
    response = await client.get("/v1/anchors/2020-01-01")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
