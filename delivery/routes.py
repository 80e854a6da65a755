"""Every HTTP handler and start-up hook of the service, gathered from the feature packages."""

from __future__ import annotations

from typing import Any

from delivery.agencies.api import WebhookController
from delivery.custody.api import HANDLERS as CUSTODY_HANDLERS
from delivery.custody.context import custody_context
from delivery.intake.api import DocumentsController
from delivery.intake.context import intake_context
from delivery.messaging.api import HANDLERS as MESSAGING_HANDLERS
from delivery.staff.api import HANDLERS as STAFF_HANDLERS


async def _start_intake(state: Any) -> None:
    state.intake = intake_context(state.settings)


HANDLERS: list[Any] = [DocumentsController, WebhookController]
HANDLERS += STAFF_HANDLERS
HANDLERS += CUSTODY_HANDLERS
HANDLERS += MESSAGING_HANDLERS
STARTUP = [_start_intake]


async def _start_custody(state: Any) -> None:
    state.custody = custody_context(state.settings)


STARTUP += [_start_custody]

from delivery.ops.api import HANDLERS as OPS_HANDLERS  # noqa: E402
from delivery.tracking.api import TrackingController, start_tracking  # noqa: E402

HANDLERS += [TrackingController, *OPS_HANDLERS]
STARTUP += [start_tracking]

from delivery.planning.api import HANDLERS as PLANNING_HANDLERS  # noqa: E402

HANDLERS += PLANNING_HANDLERS
from delivery.custody.anchors_api import HANDLERS as ANCHOR_HANDLERS  # noqa: E402

HANDLERS += ANCHOR_HANDLERS

from delivery.staff.api import start_staff  # noqa: E402

STARTUP += [start_staff]
