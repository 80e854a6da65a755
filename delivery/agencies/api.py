"""Agency-facing routes that are not about documents: the webhook endpoint and its log."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, put
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import Parameter

from delivery.agencies import services
from delivery.agencies.model import bearer_token
from delivery.agencies.store import Agency
from delivery.agencies.webhooks import DeliveryOut, WebhookIn, WebhookOut, configure, deliveries


async def current_agency(request: Request[Any, Any, Any], state: State) -> Agency:
    """The agency whose API key authorises this request (401 otherwise)."""
    async with state.pool.acquire() as conn:
        return await services.authenticate(conn, bearer_token(request.headers.get("authorization")))


AGENCY_DEPENDENCIES = {"agency": Provide(current_agency)}


class WebhookController(Controller):
    path = "/v1/webhook"
    tags = ["agencies"]
    dependencies = AGENCY_DEPENDENCIES
    security = [{"agencyKey": []}]

    @put("/", summary="Set where state changes are pushed")
    async def set_webhook(self, state: State, agency: Agency, data: WebhookIn) -> WebhookOut:
        """Returns a new signing secret, shown only now; deliveries carry `Tasheel-Signature`."""
        async with state.pool.acquire() as conn:
            return await configure(conn, agency.id, data.url,
                                   state.settings.webhook_allow_hosts)

    @get("/deliveries", summary="Attempts to deliver state changes, newest first")
    async def list_deliveries(
        self, state: State, agency: Agency, before: int | None = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> list[DeliveryOut]:
        """Every attempt, with the endpoint's answer or the error; page with `before`."""
        async with state.pool.acquire() as conn:
            return await deliveries(conn, agency.id, before=before, limit=limit)
