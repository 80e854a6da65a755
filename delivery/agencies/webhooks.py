"""Agency webhooks: where state changes are pushed, signed, retried for a day, logged."""

from __future__ import annotations

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
from delivery.platform.errors import InvalidInput
from notifications.signing import new_webhook_secret, sign_webhook

SIGNATURE_HEADER = "Tasheel-Signature"
RETRY_FOR = timedelta(hours=24)
TIMEOUT_S = 10.0


class WebhookIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Where to push the agency's events: an https URL on the public internet."""

    url: Annotated[str, msgspec.Meta(examples=["https://api.passports.gov.iq/tasheel/events"])]


class WebhookOut(msgspec.Struct, kw_only=True):
    """The endpoint set, and the secret that signs every delivery to it (shown only now)."""

    url: str
    secret: str  # shown once: every later delivery is signed with it
    signature_header: str = SIGNATURE_HEADER


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
                    allow_hosts: tuple[str, ...]) -> WebhookOut:
    """Set the agency's endpoint and a new signing secret."""
    await check_destination(url, allow_hosts)
    secret = new_webhook_secret()
    await conn.execute(store.SET_WEBHOOK, agency_id, url, secret)
    return WebhookOut(url=url, secret=secret)


async def deliver(ctx: dict[str, Any], conn: asyncpg.Connection, claimed: Claimed) -> Result:
    """POST one state change to the agency, signed; log the attempt; decide what next."""
    target = await conn.fetchrow(store.SELECT_WEBHOOK, claimed.agency_id)
    if target is None or not target["webhook_url"]:
        return Done(note="no webhook configured")
    url, secret = target["webhook_url"], target["webhook_secret"]
    body = event_body(claimed.id, claimed.payload)
    status, error, elapsed_ms = await _post(ctx, url, secret, claimed.id, body)
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


async def _post(ctx: dict[str, Any], url: str, secret: str, event_id: int,
                body: bytes) -> tuple[int | None, str | None, int]:
    settings = ctx["settings"]
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign_webhook(secret, body, int(time.time())),
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
