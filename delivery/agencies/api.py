"""Agency-facing routes that are not about documents (the webhook endpoint and its log), and the
administrators' management of agencies' API keys."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import Parameter

from delivery.agencies import services, webhooks
from delivery.agencies.model import bearer_token
from delivery.agencies.store import Agency
from delivery.agencies.webhooks import (
    DeliveryOut,
    ReplayOut,
    WebhookIn,
    WebhookOut,
    WebhookViewOut,
    configure,
    deliveries,
)
from delivery.platform import db
from delivery.platform.errors import FieldError, InvalidInput
from delivery.platform.settings import Settings
from delivery.staff.auth import STAFF_DEPENDENCIES, StaffUser, require_roles


async def current_agency(request: Request[Any, Any, Any], conn: asyncpg.Connection) -> Agency:
    """The agency whose API key authorises this request (401 otherwise), checked on the
    request's connection."""
    return await services.authenticate(conn, bearer_token(request.headers.get("authorization")))


async def current_agency_own_connection(request: Request[Any, Any, Any], state: State) -> Agency:
    """`current_agency` on a connection of its own, given back at once: for routes that read
    a large body before they take a connection for their work."""
    async with db.acquire(state.pool) as conn:
        return await current_agency(request, conn)


AGENCY_DEPENDENCIES = {"agency": Provide(current_agency)}
AGENCY_OWN_CONNECTION = {"agency": Provide(current_agency_own_connection)}


class WebhookController(Controller):
    path = "/v1/webhook"
    tags = ["agencies"]
    dependencies = AGENCY_DEPENDENCIES
    security = [{"agencyKey": []}]

    @put("/", summary="Set where state changes are pushed")
    async def set_webhook(self, conn: asyncpg.Connection, settings: Settings, agency: Agency,
                          data: WebhookIn) -> WebhookOut:
        """Returns a new signing secret, shown only now; deliveries carry `Tasheel-Signature`.
        Setting it again rotates the secret: the old one stays valid for
        `WEBHOOK_SECRET_OVERLAP_HOURS` (24 by default), and until then every delivery carries
        both signatures, `t=<unix>,v1=<new>,v1=<old>`: a receiver accepts a delivery when any
        `v1` matches the secret it holds."""
        return await configure(conn, agency.id, data.url, settings.webhook_allow_hosts,
                               overlap=timedelta(hours=settings.webhook_secret_overlap_h))

    @get("/", summary="The webhook now set")
    async def get_webhook(self, conn: asyncpg.Connection, agency: Agency) -> WebhookViewOut:
        """Its URL, the events pushed, when it was set; the secret only by a fingerprint.
        404 when none is set."""
        return await webhooks.current(conn, agency.id)

    @delete("/", status_code=204, summary="Remove the webhook")
    async def delete_webhook(self, conn: asyncpg.Connection, agency: Agency) -> None:
        """Nothing is pushed from now on; the events meanwhile are kept, to be sent with
        `POST /v1/webhook/replay` once a webhook is set again. 404 when none is set."""
        await webhooks.remove(conn, agency.id)

    @post("/replay", status_code=200, summary="Send again the events that never arrived")
    async def replay(
        self, conn: asyncpg.Connection, agency: Agency,
        start: Annotated[datetime | None, Parameter(query="from")] = None,
        end: Annotated[datetime | None, Parameter(query="to")] = None,
    ) -> ReplayOut:
        """Events of the agency that happened in [`from`, `to`) (at most 31 days) while no
        webhook was set, or that failed for good, are queued again to the webhook now set
        (409 when none is). Each event keeps its `id`, sent again in the body and in
        `Tasheel-Event-Id`: it is delivered successfully once, and a receiver that stores the
        ids it has processed drops any repeat. An event already delivered is not sent again;
        a replayed event gets one attempt, and may be replayed again if that fails."""
        if start is None or end is None:
            absent = [name for name, value in (("from", start), ("to", end)) if value is None]
            raise InvalidInput(f"query parameter {absent[0]} is required", errors=[
                FieldError(field=f"query:{name}", message="required") for name in absent])
        return await webhooks.replay(conn, agency.id, start, end)

    @get("/deliveries", summary="Attempts to deliver state changes, newest first")
    async def list_deliveries(
        self, conn: asyncpg.Connection, agency: Agency, before: int | None = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> list[DeliveryOut]:
        """Every attempt, with the endpoint's answer or the error; page with `before`."""
        return await deliveries(conn, agency.id, before=before, limit=limit)


class NewKeyOut(msgspec.Struct, frozen=True, kw_only=True):
    """A new API key of the agency, shown only now (it is stored as a hash)."""

    agency: str
    api_key: str
    note: str = "shown only now; the old keys keep working until revoked"


class AgencyKeysController(Controller):
    path = "/v1/admin/agencies/{code:str}/keys"
    tags = ["staff"]
    dependencies = STAFF_DEPENDENCIES
    guards = [require_roles("admin")]
    security = [{"staffToken": []}]

    @post("/", status_code=201, summary="Issue a new API key for an agency")
    async def rotate(self, conn: asyncpg.Connection, staff: StaffUser, code: str,
                     revoke_old: bool = False) -> NewKeyOut:
        """The new key is returned once; `?revoke_old=true` stops the old ones at once.
        Administrators only."""
        key = await services.rotate_key(conn, code, revoke_old=revoke_old)
        return NewKeyOut(agency=code, api_key=key)

    @delete("/{prefix:str}", status_code=204, summary="Revoke one of an agency's API keys")
    async def revoke(self, conn: asyncpg.Connection, staff: StaffUser, code: str,
                     prefix: str) -> None:
        """The key stops working at once. Administrators only."""
        await services.revoke_key(conn, code, prefix)


HANDLERS = [WebhookController, AgencyKeysController]
