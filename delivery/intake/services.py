"""Accepting documents from agencies: validate, deduplicate, assign, record — all or nothing per call."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

import asyncpg
import msgspec
import numpy as np

from delivery import outbox
from delivery.agencies.store import Agency
from delivery.custody import log as custody_log
from delivery.errors import Conflict, FieldError, InvalidInput
from delivery.intake import fingerprint, s10, store
from delivery.intake.context import IntakeContext
from delivery.intake.schemas import BatchResultOut
from delivery.intake.validate import NormalisedDocument
from delivery.overlap import write_while_preparing
from notifications.links import new_tracking_token, token_hash
from routing.assign import RULE_PICKUP_CHOICE, AreaIndex

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    """What became of one submitted document."""

    index: int
    external_ref: str | None
    status: str
    tracking_number: str | None = None
    errors: tuple[FieldError, ...] = ()

    def out(self) -> BatchResultOut:
        return BatchResultOut(index=self.index, external_ref=self.external_ref,
                              status=self.status, tracking_number=self.tracking_number,
                              errors=list(self.errors) or None)


class _Candidate:
    """A submitted document. Its comparable form and fingerprint are worked out on first use:
    for a new document that is while its chunk is prepared, in the shadow of the database."""

    def __init__(self, index: int, doc: NormalisedDocument, key: bytes) -> None:
        self.index, self.doc, self._key = index, doc, key

    @functools.cached_property
    def comparable(self) -> dict[str, str]:
        return fingerprint.comparable_form(self.doc, self._key)

    @functools.cached_property
    def fingerprint(self) -> bytes:
        return fingerprint.fingerprint_of_form(self.comparable)


async def submit(conn: asyncpg.Connection, ctx: IntakeContext, agency: Agency,
                 docs: list[tuple[int, NormalisedDocument]]) -> list[Outcome]:
    """Record every new document once; report replays and conflicts. One transaction."""
    index = await ctx.areas.current(conn)
    unknown = [_unknown_branch(i, d) for i, d in docs
               if d.branch_code and not index.has_branch(d.branch_code)]
    skip = {o.index for o in unknown}
    candidates = [_Candidate(i, d, ctx.national_id_key) for i, d in docs if i not in skip]
    first, repeats = _split_repeats(candidates)
    async with conn.transaction():
        existing = await store.existing_items(conn, agency.id, [c.doc.external_ref for c in first])
        fresh = [c for c in first if c.doc.external_ref not in existing]
        inserted = await _insert_new(conn, ctx, index, agency, fresh)
        lost_race = [c.doc.external_ref for c in fresh if c.doc.external_ref not in inserted]
        if lost_race:
            existing |= await store.existing_items(conn, agency.id, lost_race)
    outcomes = {c.index: _outcome(c, existing, inserted) for c in first}
    by_ref = {c.doc.external_ref: c for c in first}
    for c in repeats:
        outcomes[c.index] = _repeat_outcome(c, by_ref[c.doc.external_ref], outcomes)
    outcomes |= {o.index: o for o in unknown}
    return [outcomes[i] for i in sorted(outcomes)]


def _unknown_branch(index: int, doc: NormalisedDocument) -> Outcome:
    return Outcome(index=index, external_ref=doc.external_ref, status=REJECTED, errors=(
        FieldError(field=f"/documents/{index}/delivery/branch_code",
                   message=f"no branch {doc.branch_code}"),))


def _split_repeats(candidates: list[_Candidate]) -> tuple[list[_Candidate], list[_Candidate]]:
    """First occurrence of each reference, and the later ones (never inserted twice)."""
    seen: set[str] = set()
    first, repeats = [], []
    for c in candidates:
        (repeats if c.doc.external_ref in seen else first).append(c)
        seen.add(c.doc.external_ref)
    return first, repeats


def _outcome(c: _Candidate, existing: dict[str, store.ExistingItem],
             inserted: dict[str, tuple[int, str]]) -> Outcome:
    ref = c.doc.external_ref
    if ref in inserted:
        return Outcome(index=c.index, external_ref=ref, status=ACCEPTED,
                       tracking_number=inserted[ref][1])
    known = existing[ref]
    if known.fingerprint == c.fingerprint:
        return Outcome(index=c.index, external_ref=ref, status=DUPLICATE,
                       tracking_number=known.tracking_number)
    return Outcome(index=c.index, external_ref=ref, status=REJECTED,
                   tracking_number=known.tracking_number,
                   errors=_differences(known.comparable, c.comparable, c.index))


def _repeat_outcome(c: _Candidate, first: _Candidate, outcomes: dict[int, Outcome]) -> Outcome:
    settled = outcomes[first.index]
    if c.fingerprint == first.fingerprint and settled.status != REJECTED:
        return Outcome(index=c.index, external_ref=c.doc.external_ref, status=DUPLICATE,
                       tracking_number=settled.tracking_number)
    message = f"external_ref repeats document {first.index} of this batch with different content"
    return Outcome(index=c.index, external_ref=c.doc.external_ref, status=REJECTED,
                   errors=(FieldError(field=f"/documents/{c.index}/external_ref",
                                      message=message),))


def _differences(stored: dict, submitted: dict, index: int) -> tuple[FieldError, ...]:
    fields = fingerprint.differing_fields(stored, submitted)
    return tuple(FieldError(field=f"/documents/{index}{f}",
                            message="differs from the document already recorded under this "
                                    "external_ref") for f in fields)


# Documents per statement: enough that round trips do not count, few enough that the
# next chunk is ready by the time PostgreSQL has written this one, and that a batch of a
# thousand still comes in several chunks (the first and last cannot overlap anything).
WRITE_CHUNK = (100, 500)
CHUNKS_PER_BATCH = 8


class _Fresh(msgspec.Struct, frozen=True):
    """A new document with everything decided before its rows are built."""

    candidate: _Candidate
    item_id: int
    serial: int
    branch: str | None
    rule: str


class _Registration(msgspec.Struct, frozen=True):
    """The rows that register a chunk of new documents."""

    items: list[store.NewItemRow]
    events: custody_log.FirstEvents
    sms: outbox.SameKind
    webhooks: outbox.SameKind


async def _insert_new(conn: asyncpg.Connection, ctx: IntakeContext, index: AreaIndex,
                      agency: Agency, fresh: list[_Candidate]) -> dict[str, tuple[int, str]]:
    if not fresh:
        return {}
    now = datetime.now(UTC)
    branches, rules = _assign(index, [c.doc for c in fresh], ctx.max_nearest_km)
    numbers = await store.allocate(conn, len(fresh))
    decided = [_Fresh(c, item_id, serial, branch, rule) for c, (item_id, serial), branch, rule
               in zip(fresh, numbers, branches, rules, strict=True)]
    low, high = WRITE_CHUNK
    size = min(max(low, -(-len(decided) // CHUNKS_PER_BATCH)), high)
    chunks = (decided[i:i + size] for i in range(0, len(decided), size))
    written = await write_while_preparing(
        chunks, prepare=lambda chunk: _registration(ctx, agency, now, chunk),
        write=lambda r: store.register(conn, agency.id, now, r.items, r.events, r.sms,
                                       r.webhooks))
    return {ref: item for chunk in written for ref, item in chunk.items()}


def _assign(index: AreaIndex, docs: list[NormalisedDocument],
            max_nearest_km: float) -> tuple[list[str | None], list[str]]:
    """Branches for many documents in one vectorised pass; a requested pickup branch wins."""
    lats = np.array([d.lat if d.lat is not None else np.nan for d in docs], dtype=float)
    lons = np.array([d.lon if d.lon is not None else np.nan for d in docs], dtype=float)
    codes, rules = index.assign_many(lats, lons, [d.governorate for d in docs],
                                     max_nearest_km=max_nearest_km)
    codes, rules = list(codes), list(rules)
    for i, d in enumerate(docs):
        if d.mode == "pickup" and d.branch_code:
            codes[i], rules[i] = d.branch_code, RULE_PICKUP_CHOICE
    return codes, rules


def _registration(ctx: IntakeContext, agency: Agency, now: datetime,
                  chunk: list[_Fresh]) -> _Registration:
    """Each item, its first custody event, the citizen's first SMS and the agency's webhook."""
    items, sms, webhooks = [], [], []
    for f in chunk:
        token = new_tracking_token()
        item = _row(ctx, f, token)
        items.append(item)
        sms.append(outbox.citizen_sms(item_id=f.item_id, kind="accepted",
                                      values={"token": token}))
        webhooks.append(outbox.state_webhook(
            agency_id=agency.id, item_id=f.item_id, tracking_number=item.tracking_number,
            external_ref=item.external_ref, state="registered", previous=None, at=now))
    registered = custody_log.Event(
        item_id=0, action="register", from_state=None, to_state="registered",
        event_code="registered", emsevt="EMA", actor_role="agency", actor_id=agency.id,
        server_at=now)
    return _Registration(items=items,
                         events=custody_log.first_events(registered, [f.item_id for f in chunk]),
                         sms=outbox.same_kind(sms, now=now),
                         webhooks=outbox.same_kind(webhooks, now=now))


def _row(ctx: IntakeContext, f: _Fresh, token: str) -> store.NewItemRow:
    d = f.candidate.doc
    return store.NewItemRow(
        id=f.item_id, tracking_number=s10.make_tracking_number(f.serial, ctx.service_indicator),
        external_ref=d.external_ref, fingerprint=f.candidate.fingerprint,
        comparable=f.candidate.comparable, document_type=d.document_type, name=d.name,
        phone=d.phone_e164,
        national_id_hash=fingerprint.national_id_hash(ctx.national_id_key, d.national_id),
        national_id_last4=d.national_id_last4, language=d.language, governorate=d.governorate,
        district=d.district, address_text=d.address_text, landmark=d.landmark, lat=d.lat,
        lon=d.lon, mode=d.mode, branch_code=f.branch, assignment_rule=f.rule,
        token_hash=token_hash(token),
    )


def raise_if_rejected(outcome: Outcome) -> None:
    """A single submission: an unknown branch is a 422; a reference taken by other content a 409."""
    if outcome.status == REJECTED and outcome.tracking_number is None:
        raise InvalidInput("the document breaks a rule", errors=[
            FieldError(field=e.field.removeprefix(f"/documents/{outcome.index}"),
                       message=e.message) for e in outcome.errors])
    if outcome.status == REJECTED:
        raise Conflict(
            "a different document is already recorded under this external_ref",
            errors=[FieldError(field=e.field.removeprefix(f"/documents/{outcome.index}"),
                               message=e.message) for e in outcome.errors],
            tracking_number=outcome.tracking_number,
        )
