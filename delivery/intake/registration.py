"""The rows that register new documents: the item, its first custody event, the citizen's
first SMS and the agency's webhook. Pure: everything comes in decided (ids, branch)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from delivery.agencies.store import Agency
from delivery.custody import log as custody_log
from delivery.custody import s10
from delivery.custody.citizen_messages import MESSAGES
from delivery.custody.model import ENTRY, Action, Role
from delivery.intake import fingerprint, store
from delivery.intake.context import IntakeContext
from delivery.intake.validate import NormalisedDocument
from delivery.outbox import rows as outbox
from delivery.platform.privacy import national_id_hash
from notifications.links import derived_token, token_hash


class Candidate:
    """A valid submitted document. Its comparable form and fingerprint are worked out on first
    use: for a new document, while its chunk is prepared, in the shadow of the database."""

    __slots__ = ("_fingerprint", "_form", "_key", "doc", "index")

    def __init__(self, index: int, doc: NormalisedDocument, key: bytes) -> None:
        self.index, self.doc, self._key = index, doc, key
        self._form: dict[str, str] | None = None
        self._fingerprint: bytes | None = None

    @property
    def comparable(self) -> dict[str, str]:
        if self._form is None:
            self._form = fingerprint.comparable_form(self.doc, self._key)
        return self._form

    @property
    def fingerprint(self) -> bytes:
        if self._fingerprint is None:
            self._fingerprint = fingerprint.fingerprint_of_form(self.comparable)
        return self._fingerprint


class Fresh(msgspec.Struct, frozen=True):
    """A new document with everything decided before its rows are built."""

    candidate: Candidate
    item_id: int
    serial: int
    branch: str | None
    rule: str
    warning: str | None = None


class Registration(msgspec.Struct, frozen=True):
    """The rows that register a chunk of new documents."""

    items: list[store.NewItemRow]
    events: custody_log.FirstEvents
    sms: outbox.SameKind
    webhooks: outbox.SameKind


def registration(ctx: IntakeContext, agency: Agency, now: datetime,
                 chunk: list[Fresh]) -> Registration:
    """Each item, its first custody event, the citizen's first SMS and the agency's webhook."""
    numbers = [s10.make_tracking_number(f.serial, ctx.service_indicator) for f in chunk]
    tokens = [derived_token(ctx.link_key, tn) for tn in numbers]
    item_ids = [f.item_id for f in chunk]
    entry = ENTRY[Action.register]
    registered = custody_log.Event(
        item_id=0, action=str(Action.register), from_state=None, to_state=str(entry.to),
        event_code=entry.event_code, emsevt=entry.emsevt, actor_role=str(Role.agency),
        actor_id=agency.id, server_at=now)
    events = custody_log.first_events(registered, item_ids)
    items = [_row(ctx, f, tn, token, head)
             for f, tn, token, head in zip(chunk, numbers, tokens, events.hashes, strict=True)]
    return Registration(
        items=items, events=events,
        sms=outbox.citizen_sms_many(item_ids=item_ids, kind=MESSAGES[entry.event_code][0].kind,
                                    values=[{"token": t} for t in tokens], now=now),
        webhooks=outbox.state_webhooks(
            agency_id=agency.id, items=[(i.id, i.tracking_number, i.external_ref) for i in items],
            state=str(entry.to), previous=None, at=now))


def _row(ctx: IntakeContext, f: Fresh, tracking_number: str, token: str,
         head: bytes) -> store.NewItemRow:
    d = f.candidate.doc
    return store.NewItemRow(
        id=f.item_id, tracking_number=tracking_number,
        external_ref=d.external_ref, fingerprint=f.candidate.fingerprint,
        comparable=f.candidate.comparable, document_type=d.document_type, name=d.name,
        phone=d.phone_e164,
        national_id_hash=national_id_hash(ctx.national_id_key, d.national_id),
        national_id_last4=d.national_id_last4, language=d.language, governorate=d.governorate,
        district=d.district, address_text=d.address_text, landmark=d.landmark, lat=d.lat,
        lon=d.lon, mode=d.mode, branch_code=f.branch, assignment_rule=f.rule,
        token_hash=token_hash(token), chain_head=head, location_warning=f.warning,
        old_document_number=d.old_document_number,
    )
