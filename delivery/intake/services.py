"""Accepting documents from agencies: validate, deduplicate, assign, record — all or nothing per call."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import asyncpg
import msgspec

from delivery.agencies.store import Agency
from delivery.intake import fingerprint, store
from delivery.intake.context import IntakeContext
from delivery.intake.placement import data_warning, place
from delivery.intake.registration import Candidate, Fresh, Registration, registration
from delivery.intake.schemas import BatchResultOut
from delivery.intake.validate import BatchElement, Judged, NormalisedDocument
from delivery.platform.errors import Conflict, FieldError, InvalidInput
from delivery.platform.overlap import write_while_preparing
from delivery.sites.districts import Gazetteer
from routing.assign import AreaIndex

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"
# Documents per statement: enough that round trips do not count, few enough that the next
# chunk is judged and prepared by the time PostgreSQL has written this one, and that a batch
# of a thousand still comes in several chunks (the first and last cannot overlap anything).
# How a test-mode agency's items are "assigned": to no branch at all.
TEST_MODE_RULE = "test_mode"
WRITE_CHUNK = (100, 500)
CHUNKS_PER_BATCH = 8


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    """What became of one submitted document."""

    index: int
    external_ref: str | None
    status: str
    tracking_number: str | None = None
    errors: tuple[FieldError, ...] = ()
    warning: str | None = None

    def out(self) -> BatchResultOut:
        return BatchResultOut(index=self.index, external_ref=self.external_ref,
                              status=self.status, tracking_number=self.tracking_number,
                              errors=list(self.errors) or None,
                              warnings=[data_warning(self.warning, f"/documents/{self.index}")]
                              if self.warning else None)



async def submit(conn: asyncpg.Connection, ctx: IntakeContext, agency: Agency,
                 docs: Sequence[BatchElement | Judged]) -> list[Outcome]:
    """Judge each document, record every new one once, report replays and conflicts; one
    transaction. Documents are judged chunk by chunk while earlier chunks are written."""
    index = await ctx.areas.current(conn)
    gazetteer = await ctx.districts.current(conn, ctx.areas.version)
    refs = {d.external_ref for d in docs if d.external_ref is not None}
    now = datetime.now(UTC)
    async with conn.transaction():
        existing = await store.existing_items(conn, agency.id, list(refs))
        # One id per reference that may be new; the few that turn out invalid are skipped.
        numbers = iter(await store.allocate(conn, len(refs - existing.keys())))
        judgement = _Judgement(ctx, agency, index, gazetteer, existing, numbers, now)

        async def write(rows: Registration | None) -> dict[str, tuple[int, str]]:
            if rows is None:
                return {}
            return await store.register(conn, agency.id, now, rows.items, rows.events,
                                        rows.sms, rows.webhooks)

        written = await write_while_preparing(_chunks(docs), judgement.chunk, write)
        inserted = {ref: item for chunk in written for ref, item in chunk.items()}
        lost_race = [ref for ref in judgement.first if ref not in existing and ref not in inserted]
        if lost_race:
            existing |= await store.existing_items(conn, agency.id, lost_race)
    return judgement.outcomes(existing, inserted)


def _chunks(docs: Sequence[BatchElement | Judged]) -> Iterator[Sequence[BatchElement | Judged]]:
    low, high = WRITE_CHUNK
    size = min(max(low, -(-len(docs) // CHUNKS_PER_BATCH)), high)
    return (docs[i:i + size] for i in range(0, len(docs), size))


class _Judgement:
    """The documents of one call, judged chunk by chunk in their order."""

    def __init__(self, ctx: IntakeContext, agency: Agency, index: AreaIndex, gazetteer: Gazetteer,
                 existing: dict[str, store.ExistingItem], numbers: Iterator[tuple[int, int]],
                 now: datetime) -> None:
        self._ctx, self._agency, self._index, self._now = ctx, agency, index, now
        self._gazetteer = gazetteer
        self._warnings: dict[int, str] = {}  # by document index
        self._existing, self._numbers = existing, numbers
        self._rejected: dict[int, Outcome] = {}
        self.first: dict[str, Candidate] = {}  # the first valid document of each reference
        self._repeats: list[Candidate] = []  # later ones: never inserted twice

    def chunk(self, docs: Sequence[BatchElement | Judged]) -> Registration | None:
        """The rows for this chunk's new documents (None if it has none)."""
        new = []
        for pending in docs:
            doc, errors = pending.judged()
            if doc is None:
                self._reject(pending.index, pending.external_ref, errors)
            elif doc.branch_code and not self._index.has_branch(doc.branch_code):
                self._reject(pending.index, doc.external_ref, [FieldError(
                    field=f"/documents/{pending.index}/delivery/branch_code",
                    message=f"no branch {doc.branch_code}")])
            elif doc.external_ref in self.first:
                self._repeats.append(self._candidate(pending.index, doc))
            else:
                candidate = self.first[doc.external_ref] = self._candidate(pending.index, doc)
                if doc.external_ref not in self._existing:
                    new.append(candidate)
        if not new:
            return None
        branches, rules, warnings = place(self._index, self._gazetteer, [c.doc for c in new],
                                          self._ctx.max_nearest_km)
        if self._agency.test_mode:  # no branch: no staff list, shelf, route or bag finds it
            branches, rules = [None] * len(new), [TEST_MODE_RULE] * len(new)
        self._warnings |= {c.index: w for c, w in zip(new, warnings, strict=True) if w}
        decided = [Fresh(c, *next(self._numbers), branch, rule, warning)
                   for c, branch, rule, warning in zip(new, branches, rules, warnings,
                                                       strict=True)]
        return registration(self._ctx, self._agency, self._now, decided)

    def outcomes(self, existing: dict[str, store.ExistingItem],
                 inserted: dict[str, tuple[int, str]]) -> list[Outcome]:
        """Every document's outcome, in submission order."""
        outcomes = dict(self._rejected)
        outcomes |= {c.index: _outcome(c, existing, inserted, self._warnings.get(c.index))
                     for c in self.first.values()}
        for c in self._repeats:
            outcomes[c.index] = _repeat_outcome(c, self.first[c.doc.external_ref], outcomes)
        return [outcomes[i] for i in sorted(outcomes)]

    def _candidate(self, index: int, doc: NormalisedDocument) -> Candidate:
        return Candidate(index, doc, self._ctx.national_id_key)

    def _reject(self, index: int, ref: str | None, errors: list[FieldError]) -> None:
        self._rejected[index] = Outcome(index=index, external_ref=ref, status=REJECTED,
                                        errors=tuple(errors))


def _outcome(c: Candidate, existing: dict[str, store.ExistingItem],
             inserted: dict[str, tuple[int, str]], warning: str | None) -> Outcome:
    ref = c.doc.external_ref
    if ref in inserted:
        return Outcome(index=c.index, external_ref=ref, status=ACCEPTED,
                       tracking_number=inserted[ref][1], warning=warning)
    known = existing[ref]
    if known.fingerprint == c.fingerprint:
        return Outcome(index=c.index, external_ref=ref, status=DUPLICATE,
                       tracking_number=known.tracking_number)
    return Outcome(index=c.index, external_ref=ref, status=REJECTED,
                   tracking_number=known.tracking_number,
                   errors=_differences(known.comparable, c.comparable, c.index))


def _repeat_outcome(c: Candidate, first: Candidate, outcomes: dict[int, Outcome]) -> Outcome:
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
