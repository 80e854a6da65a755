"""Every HTTP handler and start-up hook of the service, gathered from the feature packages."""

from __future__ import annotations

from typing import Any

from delivery.agencies.api import WebhookController
from delivery.intake.api import DocumentsController
from delivery.intake.context import intake_context


async def _start_intake(state: Any) -> None:
    state.intake = intake_context(state.settings)


HANDLERS: list[Any] = [DocumentsController, WebhookController]
STARTUP = [_start_intake]
