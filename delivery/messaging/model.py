"""What a citizen's SMS says and how its status may move: pure decisions, no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import msgspec

from delivery.custody.citizen_messages import CODE_KINDS
from notifications.language import citizen_language
from notifications.quiet_hours import BAGHDAD
from notifications.render import OPTIONAL, REQUIRED

SECRET_VALUES = ("token", "code")  # scrubbed from the outbox row once the message is sent
# Kinds that say where the citizen's page is: always, or whenever the token can be derived.
LINK_KINDS = frozenset(kind for kind in REQUIRED
                       if "link" in REQUIRED[kind] | OPTIONAL.get(kind, frozenset()))

# Our own statuses before the provider has the message.
SENDING = "sending"  # committed before the call: a crash leaves it here
RETRY = "retry"  # the last call failed in a way that proves nothing was sent
UNKNOWN = "unknown"  # a crash during the call: it may or may not have gone
REJECTED = "rejected"  # the provider refused it for good
SENT = "sent"  # the provider accepted it

# Receipts only move a message forward; a late `sent` never overwrites `delivered`.
STATUS_RANK: Mapping[str, int] = {
    SENDING: 0, RETRY: 0, UNKNOWN: 0, REJECTED: 0,
    SENT: 1,
    "undelivered": 2, "failed": 2, "canceled": 2,
    "delivered": 3,
    "read": 4,
}  # fmt: skip
# Twilio's statuses before `sent` all mean "the provider has it".
PROVIDER_STATUS = {
    "accepted": SENT, "queued": SENT, "scheduled": SENT, "sending": SENT, "sent": SENT,
    "undelivered": "undelivered", "failed": "failed", "canceled": "canceled",
    "delivered": "delivered", "read": "read", "partially_delivered": "undelivered",
}  # fmt: skip


class ItemForSms(msgspec.Struct, frozen=True, kw_only=True):
    """What an SMS about one item may draw on (never the national ID)."""

    id: int
    tracking_number: str
    state: str
    token_hash: bytes
    failed_attempts: int
    phone: str | None
    language: str | None  # as the agency gave it for this citizen
    chosen_language: str | None  # as the citizen chose it on their page
    agency_language: str | None
    agency_name: str | None
    governorate: str | None
    document_type: str
    hold_until: dt.datetime | None
    branch_names: Mapping[str, str] | None  # by language
    branch_hours: str | None
    test_mode: bool = False  # a test-mode agency's item: its messages go to the console only


def language_for(item: ItemForSms) -> str:
    """The citizen's language (`notifications.language`: the same rule as their page's)."""
    return citizen_language(chosen=item.chosen_language, given=item.language,
                            agency=item.agency_language, governorate=item.governorate)


def carries_code(kind: str) -> bool:
    """True for messages holding a one-time code the citizen needs for the hand-over: sent at
    night, to opted-out numbers, and again after a crash."""
    return kind in CODE_KINDS


def next_step(item: ItemForSms, max_attempts: int) -> str:
    """After a failed attempt: another one, or pickup at the branch once none is left."""
    return "retry" if item.failed_attempts < max_attempts else "pickup"


def message_values(kind: str, item: ItemForSms, given: Mapping[str, Any], *, language: str,
                   link: str | None) -> dict[str, Any]:
    """The template values for `kind`: the outbox's, completed from the item, only those taken."""
    known = _item_values(item, language) | {
        k: v for k, v in given.items() if k not in SECRET_VALUES and v is not None}
    if "code" in given:
        known["code"] = given["code"]
    if link is not None:
        known["link"] = link
    accepted = REQUIRED[kind] | OPTIONAL.get(kind, frozenset())
    return {name: value for name, value in known.items() if name in accepted}


def _item_values(item: ItemForSms, language: str) -> dict[str, Any]:
    values: dict[str, Any] = {"document_type": item.document_type,
                              "tracking_number": item.tracking_number}
    if item.branch_names:
        values["branch"] = item.branch_names.get(language) or item.branch_names.get("ar")
    if item.branch_hours:
        values["hours"] = item.branch_hours
    if item.hold_until is not None:
        values["hold_until"] = item.hold_until.astimezone(BAGHDAD).date()
    if item.agency_name:
        values["agency"] = item.agency_name
    return values


def opening_hours_text(opening_hours: list[dict[str, Any]] | None) -> str | None:
    """The first opening period, short: `08:00-14:00`."""
    if not opening_hours:
        return None
    first = opening_hours[0]
    return f"{first.get('open', '')}-{first.get('close', '')}".strip("-") or None


def scrubbed(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The outbox payload without the secrets it carried."""
    values = {k: v for k, v in (payload.get("values") or {}).items() if k not in SECRET_VALUES}
    return {**payload, "values": values}


def receipt_wins(current: str, incoming: str) -> bool:
    """True when a receipt with `incoming` status should replace `current`."""
    return STATUS_RANK.get(incoming, 0) > STATUS_RANK.get(current, 0)

