"""What an agency's webhook receives: the events, as documented in the OpenAPI `webhooks`.

The outbox rows are written as plain dicts on the hot paths (`delivery.outbox.rows`, the citizen's
choices in `delivery.tracking.services`); these Structs describe the JSON bodies they become
(`webhooks.event_body`), and the tests hold the two together.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

import msgspec

from delivery.custody.anchors import TOPIC as ANCHOR
from delivery.custody.anchors import Anchor
from delivery.custody.model import ReturnReason, Role, State, allowed_anywhere
from delivery.intake.schemas import DeliveryMode
from delivery.outbox.rows import STATE_CHANGED

CITIZEN_CHOICE = "item.citizen_choice"
EVENT_TYPES = (STATE_CHANGED, CITIZEN_CHOICE, ANCHOR)

CitizenChoice = StrEnum("CitizenChoice", [
    (str(a), str(a)) for a in allowed_anywhere(Role.citizen)])
CitizenChoice.__doc__ = "What the citizen did on their tracking page."

EventId = Annotated[int, msgspec.Meta(
    ge=1, description="The event's id: the same on every retry (also in `Tasheel-Event-Id`), "
                      "so a receiver can drop repeats.", examples=[4211])]
TrackingNumber = Annotated[str, msgspec.Meta(description="The item's tracking number (UPU S10).",
                                             examples=["RR123456785IQ"])]
ExternalRef = Annotated[str, msgspec.Meta(description="The agency's own reference for the item.",
                                          examples=["MOI-PP-2026-000123"])]


class StateChangedEvent(msgspec.Struct, kw_only=True):
    """`item.state_changed`: one of the agency's items entered a new state (registration
    included, with `previous_state` null); `return_reason` when the change sends it back."""

    id: EventId
    event: Literal["item.state_changed"]
    tracking_number: TrackingNumber
    external_ref: ExternalRef
    state: State
    previous_state: State | None
    at: datetime
    reason: Annotated[str | None, msgspec.Meta(
        description="Why, when the change records a reason: a failed attempt's (`absent`, "
                    "`refused`, …), a return's, a recall's.", examples=["absent"])] = None
    return_reason: ReturnReason | None = None


class CitizenChoiceEvent(msgspec.Struct, kw_only=True):
    """`item.citizen_choice`: the citizen chose on their tracking page (home delivery or pickup,
    a location, a delivery day, or answered whether anyone asked them for money). The item's
    state is unchanged; the members after `at` depend on the choice."""

    id: EventId
    event: Literal["item.citizen_choice"]
    tracking_number: TrackingNumber
    external_ref: ExternalRef
    state: State
    choice: CitizenChoice
    at: datetime
    mode: DeliveryMode | None = None
    branch: Annotated[str | None, msgspec.Meta(
        description="The branch the item is assigned to after the choice.")] = None
    rule: Annotated[str | None, msgspec.Meta(
        description="How that branch was chosen (`area`, `nearest`, `pickup_choice`, …).")] = None
    source: Literal["geolocation", "address"] | None = None
    day: date | None = None
    window: Literal["morning", "afternoon"] | None = None
    asked_for_money: bool | None = None
    report: Annotated[int | None, msgspec.Meta(
        description="The complaint recorded for supervisors.")] = None


class AnchorEvent(Anchor, frozen=True, kw_only=True):
    """`custody.anchor`: the signed root over the custody chains that changed on one Asia/Baghdad
    day, sent to every agency once the day has ended. Keep it: the same object is published at
    `GET /v1/anchors/{date}`, and a published anchor that differs from the copy you hold means
    Tasheel's history was rewritten."""

    id: EventId
    event: Literal["custody.anchor"]
