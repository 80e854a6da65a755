"""Twilio's webhooks (receipts, replies) and the supervisors' dead-letter routes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import asyncpg
import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import Parameter
from twilio.request_validator import RequestValidator

from delivery.messaging import services
from delivery.messaging.store import DeadLetter
from delivery.platform import db, inputs
from delivery.platform.errors import NotAllowed
from delivery.platform.settings import Settings
from delivery.staff.auth import STAFF_DEPENDENCIES, StaffUser, require_roles

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


async def signed_form(request: Request[Any, Any, Any], settings: Settings) -> dict[str, str]:
    """The form Twilio posted, if its signature holds for our public URL (403 otherwise)."""
    form = await request.form()
    params = {key: str(value) for key, value in form.items()}
    # Behind a proxy the URL Twilio signed is the public one, never the one we were reached at.
    url = settings.public_base_url + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    signature = request.headers.get("x-twilio-signature", "")
    token = settings.twilio_auth_token
    if not token or not signature or not RequestValidator(token).validate(url, params, signature):
        raise NotAllowed("the X-Twilio-Signature header is missing or does not match")
    # A citizen's reply may hold anything; checked only once Twilio's signature is.
    return {key: inputs.clean_text(value, key) for key, value in params.items()}


class TwilioHooksController(Controller):
    path = "/hooks/twilio"
    tags = ["twilio"]
    # Anyone may post here: the form is read and its signature checked before a connection is
    # taken from the pool, so a forged or slow request holds none.

    @post("/status", status_code=204, summary="Delivery receipts (signed by Twilio)")
    async def status(self, request: Request[Any, Any, Any], state: State,
                     settings: Settings) -> None:
        """Moves the message forward; repeated or late receipts change nothing."""
        params = await signed_form(request, settings)
        error = params.get("ErrorCode", "")
        async with db.acquire(state.pool) as conn:
            await services.record_receipt(
                conn, sid=params.get("MessageSid", ""), status=params.get("MessageStatus", ""),
                error_code=int(error) if error.isdigit() and len(error) < 10 else None)

    @post("/inbound", status_code=200, summary="Citizens' replies (signed by Twilio)")
    async def inbound(self, request: Request[Any, Any, Any], state: State,
                      settings: Settings) -> Response[str]:
        """STOP/START in Arabic, Sorani or English; 1 (home) or 2 (pickup). Replies nothing."""
        params = await signed_form(request, settings)
        async with db.acquire(state.pool) as conn:
            await services.handle_inbound(conn, phone=params.get("From", ""),
                                          body=params.get("Body", ""), now=dt.datetime.now(dt.UTC))
        return Response(EMPTY_TWIML, media_type="text/xml")


def _site_scope(staff: StaffUser) -> int | None:
    """The site whose rows a supervisor may see; None for administrators (every site)."""
    return None if staff.role == "admin" else staff.site_id


class DeadLettersController(Controller):
    path = "/v1/ops/outbox"
    tags = ["operations"]
    dependencies = STAFF_DEPENDENCIES
    guards = [require_roles("supervisor", "admin")]
    security = [{"staffToken": []}]

    @get("/dead", summary="Messages and webhooks that stopped, newest first")
    async def dead(self, conn: asyncpg.Connection, staff: StaffUser, before: int | None = None,
                   limit: Annotated[int, Parameter(ge=1, le=500)] = 100) -> list[DeadLetter]:
        """SMS and webhook events out of retries (`dead`) or refused for good (`failed`);
        page with `before`. A supervisor sees the SMS about their own site's items; an
        administrator every row."""
        return await services.dead_letters(conn, before=before, limit=limit,
                                           site_id=_site_scope(staff))

    @post("/{outbox_id:int}/retry", status_code=202, summary="Send a stopped row again")
    async def retry(self, conn: asyncpg.Connection, staff: StaffUser,
                    outbox_id: int) -> RetriedOut:
        """With a fresh retry budget; a row that is not dead or failed is a 409, one of
        another site a 404."""
        await services.retry_dead_letter(conn, outbox_id, site_id=_site_scope(staff))
        return RetriedOut(id=outbox_id)


class RetriedOut(msgspec.Struct, frozen=True, kw_only=True):
    """The row is pending again: the relay hands it to a worker at once."""

    id: int
    status: Literal["pending"] = "pending"


HANDLERS = [TwilioHooksController, DeadLettersController]
