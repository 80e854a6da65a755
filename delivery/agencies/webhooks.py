"""Agency webhooks: where state changes are pushed, signed, retried for a day, logged."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import asyncpg
import httpx
import msgspec

from delivery.agencies import store
from delivery.agencies.egress import check_destination, pinned, system_resolve
from delivery.custody.model import State
from delivery.outbox.runner import Claimed, Done, GiveUp, Result, TryLater, backoff
from delivery.platform.errors import Conflict, FieldError, InvalidInput, NotFound
from notifications.signing import new_webhook_secret, sign_webhook_with

SIGNATURE_HEADER = "Tasheel-Signature"
RETRY_FOR = timedelta(hours=24)
TIMEOUT_S = 10.0
# An event that found no webhook set is finished with this note, and `replay` finds it by it.
NO_WEBHOOK = "no webhook set"
# What is pushed (described in `delivery.web.webhook_events`; a test holds the two together).
EVENTS = ("item.state_changed", "item.citizen_choice", "custody.anchor")
REPLAY_MAX = timedelta(days=31)


class WebhookIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Where to push the agency's events: an https URL on the public internet."""

    url: Annotated[str, msgspec.Meta(examples=["https://api.passports.gov.iq/tasheel/events"])]


class WebhookOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The endpoint set, and the secret that signs every delivery to it (shown only now).
    A secret it replaces stays valid until `previous_secret_valid_until`: deliveries carry
    both signatures until then (`t=…,v1=<new>,v1=<old>`)."""

    url: str
    secret: str  # shown once: every later delivery is signed with it
    signature_header: str = SIGNATURE_HEADER
    previous_secret_valid_until: datetime | None = None


class WebhookViewOut(msgspec.Struct, kw_only=True):
    """The webhook now set. The secret is never shown again: `secret_fingerprint` (the first
    12 hex digits of its SHA-256) tells which one the receiver holds."""

    url: str
    events: list[str]
    created: datetime
    updated: datetime
    secret_fingerprint: str
    signature_header: str = SIGNATURE_HEADER
    previous_secret_fingerprint: str | None = None
    previous_secret_valid_until: datetime | None = None


class ReplayOut(msgspec.Struct, kw_only=True):
    """How many missed events were queued again; each keeps its `id` (also `Tasheel-Event-Id`),
    the receiver's key for dropping one it already has."""

    replayed: int
    event_ids: list[int]


class DeliveryOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One attempt to deliver an event; `outcome` is the event's: done, pending (another attempt
    will follow) or failed (retried for a day without success)."""

    id: int
    event_id: int
    tracking_number: str | None
    state: State | None
    attempt: int
    url: str
    succeeded: bool
    duration_ms: int
    at: datetime
    outcome: Literal["done", "pending", "failed"]
    status_code: int | None = None
    error: str | None = None


async def configure(conn: asyncpg.Connection, agency_id: int, url: str,
                    allow_hosts: tuple[str, ...], *, overlap: timedelta) -> WebhookOut:
    """Set the agency's endpoint and a new signing secret; the secret it replaces stays valid
    for `overlap` (not at all when zero)."""
    await check_destination(url, allow_hosts)
    secret = new_webhook_secret()
    until = datetime.now(UTC) + overlap if overlap > timedelta(0) else None
    async with conn.transaction():
        had_secret = await conn.fetchval(
            "SELECT webhook_secret IS NOT NULL FROM agencies WHERE id = $1 FOR UPDATE", agency_id)
        await conn.execute(store.SET_WEBHOOK, agency_id, url, secret, until)
    return WebhookOut(url=url, secret=secret,
                      previous_secret_valid_until=until if had_secret else None)


async def current(conn: asyncpg.Connection, agency_id: int) -> WebhookViewOut:
    """The webhook set, its secrets by fingerprint only; 404 when none is set."""
    row = await conn.fetchrow(store.SELECT_WEBHOOK, agency_id)
    if row is None or not row["webhook_url"]:
        raise NotFound("no webhook is set")
    previous = row["previous_secret"]
    return WebhookViewOut(
        url=row["webhook_url"], events=list(EVENTS), created=row["webhook_created_at"],
        updated=row["webhook_updated_at"], secret_fingerprint=fingerprint(row["webhook_secret"]),
        previous_secret_fingerprint=fingerprint(previous) if previous else None,
        previous_secret_valid_until=row["previous_until"])


async def remove(conn: asyncpg.Connection, agency_id: int) -> None:
    """Stop pushing; events from now on wait to be replayed. 404 when none is set."""
    if await conn.fetchval(store.REMOVE_WEBHOOK, agency_id) is None:
        raise NotFound("no webhook is set")


async def replay(conn: asyncpg.Connection, agency_id: int, start: datetime,
                 end: datetime) -> ReplayOut:
    """Queue again the agency's events in [start, end) that never reached it."""
    if end <= start:
        raise InvalidInput("`to` must be after `from`",
                           errors=[FieldError(field="query:to", message="before from")])
    if end - start > REPLAY_MAX:
        raise InvalidInput("replay at most 31 days at a time",
                           errors=[FieldError(field="query:to", message="more than 31 days")])
    if not await conn.fetchval("SELECT webhook_url IS NOT NULL FROM agencies WHERE id = $1",
                               agency_id):
        raise Conflict("set a webhook (PUT /v1/webhook) before replaying")
    ids = sorted(r["id"] for r in await conn.fetch(store.REPLAY_MISSED, agency_id, start, end,
                                                   NO_WEBHOOK))
    return ReplayOut(replayed=len(ids), event_ids=ids)


def fingerprint(secret: str) -> str:
    """A short, stable name for a secret that does not reveal it."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


async def deliver(ctx: dict[str, Any], conn: asyncpg.Connection, claimed: Claimed) -> Result:
    """POST one state change to the agency, signed; log the attempt; decide what next."""
    target = await conn.fetchrow(store.SELECT_WEBHOOK, claimed.agency_id)
    if target is None or not target["webhook_url"]:
        return Done(note=NO_WEBHOOK)
    url = target["webhook_url"]
    secrets_ = [target["webhook_secret"], *filter(None, [target["previous_secret"]])]
    body = event_body(claimed.id, claimed.payload)
    status, error, elapsed_ms = await _post(ctx, url, secrets_, claimed.id, body)
    succeeded = status is not None and 200 <= status < 300
    await conn.execute(store.INSERT_DELIVERY, claimed.id, claimed.agency_id, claimed.attempts, url,
                       status, error, elapsed_ms, succeeded)
    if succeeded:
        return Done()
    reason = error or f"HTTP {status}"
    if datetime.now(UTC) - claimed.created_at > RETRY_FOR:
        return GiveUp(error=reason, status="failed")
    return TryLater(error=reason, after=backoff(claimed, base_s=ctx["settings"].outbox_retry_base_s))


def event_body(event_id: int, payload: dict[str, Any]) -> bytes:
    """The JSON an agency receives for an outbox row (see `delivery.web.webhook_events`)."""
    return msgspec.json.encode({"id": event_id, **payload})


async def _post(ctx: dict[str, Any], url: str, secrets_: list[str], event_id: int,
                body: bytes) -> tuple[int | None, str | None, int]:
    settings = ctx["settings"]
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign_webhook_with(secrets_, body, int(time.time())),
        "Tasheel-Event-Id": str(event_id),
    }
    started = time.monotonic()
    try:
        # resolved and checked for every attempt; the connection goes to the address checked
        destination = await check_destination(url, settings.webhook_allow_hosts,
                                              ctx.get("resolve", system_resolve))
        client: httpx.AsyncClient = ctx["http"]
        with pinned(destination):
            response = await client.post(url, content=body, headers=headers, timeout=TIMEOUT_S)
        status, error = response.status_code, None
    except InvalidInput as exc:
        status, error = None, exc.errors[0].message
    except httpx.HTTPError as exc:
        status, error = None, type(exc).__name__
    return status, error, int((time.monotonic() - started) * 1000)


async def deliveries(conn: asyncpg.Connection, agency_id: int, *, before: int | None,
                     limit: int) -> list[DeliveryOut]:
    rows = await conn.fetch(store.SELECT_DELIVERIES, agency_id, before, limit)
    return [DeliveryOut(
        id=r["id"], event_id=r["outbox_id"], tracking_number=r["tracking_number"],
        state=r["state"], attempt=r["attempt"], url=r["url"], succeeded=r["succeeded"],
        duration_ms=r["duration_ms"], at=r["at"], status_code=r["status_code"],
        error=r["error"], outcome={"done": "done", "failed": "failed", "dead": "failed"}.get(
            r["outbox_status"], "pending")) for r in rows]
