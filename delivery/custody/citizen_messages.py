"""What the citizen is told when their item moves: one table, custody event → SMS.

Each event a citizen should know of names the messages it causes. They are written as outbox
rows in the event's own transaction (`services.record`, `fastscan`), so a move and its message
stand or fall together; the worker renders them in the citizen's language when it sends.

Urgency says when a message may go: a one-time code at any hour, even to a number that opted
out (the citizen cannot receive the document without it); the rest in the daytime and never to
a number that opted out; the money question only `SMS_FEEDBACK_DELAY_SECONDS` after the
hand-over, and then in the daytime.

A message waits in the outbox (quiet hours, a busy sender, an outage). By the time it goes the
item may have moved on — recalled, lost, sent back: `STILL_APPLIES` says in which states each is
still worth sending, and the channel drops the others, recording why.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

import msgspec

from delivery.custody.model import ACTIVE_STATES, CHOICE_STATES, HOLD_STARTS, State, Transition, TypeRules
from delivery.outbox import rows as outbox
from notifications import render


class Urgency(StrEnum):
    code = "code"  # any hour, opted out or not
    daytime = "daytime"  # outside quiet hours, not to numbers that opted out
    after_handover = "after_handover"  # the feedback delay after the hand-over, then daytime


class Message(msgspec.Struct, frozen=True):
    kind: str
    urgency: Urgency = Urgency.daytime

    @property
    def carries_code(self) -> bool:
        return self.urgency == Urgency.code


_CODE = Urgency.code
_ASK_LATER = Message(render.BRIBE_QUESTION, Urgency.after_handover)

# Custody event code → the messages it causes, in the order they go.
MESSAGES: Mapping[str, tuple[Message, ...]] = MappingProxyType({
    "registered": (Message(render.ACCEPTED),),
    "handed_to_courier": (Message(render.OUT_FOR_DELIVERY, _CODE),),
    "shelved": (Message(render.READY_FOR_PICKUP, _CODE),),
    "attempts_exhausted": (Message(render.READY_FOR_PICKUP, _CODE),),
    "code_reissued": (Message(render.OTP_REISSUED, _CODE),),
    "code_unlocked": (Message(render.OTP_REISSUED, _CODE),),
    "delivered": (Message(render.DELIVERED), _ASK_LATER),
    "collected": (Message(render.COLLECTED), _ASK_LATER),
    "delivery_failed": (Message(render.DELIVERY_FAILED),),
    "hold_expired": (Message(render.RETURNING),),
    # Not the scheduler's event: the planner's, when the day the citizen chose went by.
    "day_passed": (Message(render.DAY_PASSED),),
})
# Deliberately silent: the hand-overs between staff (the page shows them), and what the agency
# or a supervisor does to an item that no longer comes to the citizen — recalled (`cancelled`),
# `lost`, `damaged`, `found` (it goes back to the agency, which decides), `returned_to_agency`.

# The states in which a message still says something true; in any other it is dropped. The
# first message carries the link to the citizen's page: late, it is still worth sending while
# the document is coming to them.
_ON_ITS_WAY = ACTIVE_STATES - {State.returning}
STILL_APPLIES: Mapping[str, frozenset[State]] = MappingProxyType({
    render.ACCEPTED: _ON_ITS_WAY,
    render.OUT_FOR_DELIVERY: frozenset({State.out_for_delivery}),
    render.READY_FOR_PICKUP: frozenset({State.ready_for_pickup}),
    render.OTP_REISSUED: frozenset({State.out_for_delivery, State.ready_for_pickup}),
    render.DELIVERED: frozenset({State.delivered}),
    render.COLLECTED: frozenset({State.collected}),
    render.BRIBE_QUESTION: frozenset({State.delivered, State.collected}),
    render.DELIVERY_FAILED: frozenset({State.delivery_failed, State.at_branch}),
    render.RETURNING: frozenset({State.returning, State.returned_to_agency}),
    render.DAY_PASSED: CHOICE_STATES,  # while another day may still be chosen
    # Only while the desk could still record a choice with it.
    render.HELPDESK_CODE: CHOICE_STATES,
})
# Messages no custody event causes: asked for by staff for the citizen on the line. The help
# desk's code is a code: the citizen waits for it on the phone, at any hour, opted out or not.
REQUESTED: Mapping[str, Message] = MappingProxyType({
    "helpdesk_check": Message(render.HELPDESK_CODE, _CODE),
})
CODE_KINDS = frozenset(m.kind for ms in (*MESSAGES.values(), REQUESTED.values())
                       for m in ms if m.carries_code)


def code_message(event_code: str) -> str | None:
    """The kind of the message carrying the fresh one-time code this event issues, if any."""
    return next((m.kind for m in MESSAGES.get(event_code, ()) if m.carries_code), None)


def code_on_entry(from_state: str, transition: Transition,
                  rules: TypeRules) -> tuple[str, int | None] | None:
    """The message kind of the fresh one-time code an item gets with `transition`, and the days
    of the hold that starts with it, if any. Codes issued without a move (a supervisor's new
    code) are the supervisor's to issue."""
    kind = code_message(transition.event_code)
    if kind is None or transition.to == from_state:
        return None
    return kind, rules.hold_days if transition.to in HOLD_STARTS else None


def still_applies(kind: str, state: str) -> bool:
    """Whether a message of `kind` still says something true of an item in `state`."""
    states = STILL_APPLIES.get(kind)
    return states is None or state in states


def told(item_id: int, from_state: str, transition: Transition, payload: dict, *,
         now: datetime) -> list[outbox.OutboxRow]:
    """The outbox rows of the messages (those without a code) that `transition` causes."""
    if transition.to == from_state:
        return []
    return [outbox.citizen_sms(item_id=item_id, kind=m.kind,
                               values=_values(m, payload, now))
            for m in MESSAGES.get(transition.event_code, ()) if not m.carries_code]


def _values(message: Message, payload: dict, now: datetime) -> dict:
    """What the event knows that the message says; the worker adds what the item knows."""
    if message.kind in (render.DELIVERED, render.COLLECTED):
        return {"at": now.isoformat(), "by_proxy": bool(payload.get("proxy"))}
    if message.kind == render.DELIVERY_FAILED:
        return {"reason": payload.get("reason") or "other"}
    if message.urgency == Urgency.after_handover:
        return {"handed_over_at": now.isoformat()}
    if message.kind == render.DAY_PASSED:
        return {"day": payload["day"]}
    return {}
