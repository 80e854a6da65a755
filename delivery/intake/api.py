"""The agency API: hand documents over, read them back, recall them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import asyncpg
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import Parameter

from delivery.agencies.api import AGENCY_DEPENDENCIES, AGENCY_OWN_CONNECTION
from delivery.agencies.store import Agency
from delivery.custody import recall, simulation
from delivery.custody.model import State as ItemState
from delivery.custody.simulation import SimulateIn
from delivery.intake import idempotency, readback, services
from delivery.intake.context import IntakeContext
from delivery.intake.schemas import BatchIn, BatchOut, DocumentIn, DocumentOut, DocumentsPage
from delivery.intake.validate import Judged, batch_elements, decode_single
from delivery.platform import db
from delivery.platform.apidoc import with_json_body
from delivery.platform.cursors import decode_cursor, encode_cursor
from delivery.platform.edge import StrictRequest
from delivery.platform.errors import FieldError, InvalidInput

IDEMPOTENCY_KEY_MAX = 255
LIST_PARAMETERS = frozenset({"state", "document_type", "external_ref", "branch", "updated_since",
                             "cursor", "limit"})
ITEM_STATES = frozenset(ItemState)


def _ctx(state: State) -> IntakeContext:
    return state.intake


class DocumentsController(Controller):
    path = "/v1/documents"
    tags = ["agencies"]
    dependencies = AGENCY_DEPENDENCIES
    security = [{"agencyKey": []}]

    # The two hand-overs read their body (up to MAX_BODY_BYTES, at the client's pace) before
    # they take a connection: the agency is checked on one given back at once.
    @post("/", status_code=201, summary="Hand over one document",
          dependencies=AGENCY_OWN_CONNECTION,
          operation_class=with_json_body(DocumentIn, "One document (see DocumentIn)."))
    async def submit_one(self, request: Request[Any, Any, Any], state: State,
                         agency: Agency) -> Response[DocumentOut]:
        """201 with the new item; the same body again: 200 with the same item; else 409."""
        body = await request.body()
        key = request.headers.get("idempotency-key")
        async with db.acquire(state.pool) as conn:
            if key is not None:
                return await idempotency.replay_or_run(
                    conn, agency.id, _valid_idempotency_key(key), body,
                    lambda: _submit_one(conn, _ctx(state), agency, body))
            status, item = await _submit_one(conn, _ctx(state), agency, body)
        return Response(item, status_code=status)

    @post("/batch", status_code=200, summary="Hand over up to 10,000 documents",
          dependencies=AGENCY_OWN_CONNECTION,
          operation_class=with_json_body(BatchIn, "Up to 10,000 documents, each judged alone."))
    async def submit_batch(self, request: StrictRequest, state: State,
                           agency: Agency) -> Response[BatchOut]:
        """Good documents are accepted even when others are rejected; retrying is safe. With
        an `Idempotency-Key`, the same key and body replay the first answer; another body
        under the same key is a 422."""
        ctx = _ctx(state)
        body, faults = await request.inspected_body()
        key = request.headers.get("idempotency-key")

        async def run() -> tuple[int, BatchOut]:
            elements = batch_elements(body, types=ctx.types, governorates=ctx.governorates,
                                      faults=faults)
            outcomes = await services.submit(conn, ctx, agency, elements)
            return 200, BatchOut(results=[o.out() for o in outcomes])

        async with db.acquire(state.pool) as conn:
            if key is not None:
                return await idempotency.replay_or_run(
                    conn, agency.id, _valid_idempotency_key(key), body, run,
                    scope=idempotency.BATCH)
            _, out = await run()
        return Response(out, status_code=200)

    @get("/{tracking_number:str}", summary="One item with its custody events")
    async def read_one(self, state: State, conn: asyncpg.Connection, agency: Agency,
                       tracking_number: str) -> DocumentOut:
        """Another agency's item answers 404, exactly like one that does not exist. Also the
        head hash of its custody chain (`chain_head`); once delivered or collected, the proof
        of the hand-over (`proof`: the member of staff as a pseudonym, the same on every item
        they handed over); once sent back, why (`return_reason`) and, once returned, who at
        the agency signed for it (`returned_signed_by`, masked)."""
        return await readback.document(conn, agency.id, tracking_number, with_events=True,
                                       pseudonym_key=_ctx(state).staff_pseudonym_key)

    @get("/", summary="The agency's items, newest change first")
    async def list_all(
        self, request: Request[Any, Any, Any], state: State, conn: asyncpg.Connection,
        agency: Agency, item_state: Annotated[str | None, Parameter(query="state")] = None,
        document_type: str | None = None, external_ref: str | None = None,
        branch: str | None = None, updated_since: datetime | None = None,
        cursor: str | None = None, limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> DocumentsPage:
        """Keyset-paginated: pass `next_cursor` back as `cursor` for the next page. Filters
        combine; `state` takes several states, comma-separated. An unknown parameter or value
        is a 422 naming it."""
        if unknown := sorted(set(request.query_params) - LIST_PARAMETERS):
            raise InvalidInput(f"unknown query parameter {unknown[0]}", errors=[
                FieldError(field=f"query:{name}", message="unknown parameter") for name in unknown])
        if document_type is not None and document_type not in _ctx(state).types:
            raise InvalidInput(f"unknown document type {document_type}", errors=[FieldError(
                field="query:document_type", message=f"unknown document type {document_type}")])
        after = decode_cursor(cursor) if cursor else None
        items, next_after = await readback.page(
            conn, agency.id, states=states_from_query(item_state), document_type=document_type,
            external_ref=external_ref, branch=branch, updated_since=updated_since, after=after,
            limit=limit)
        return DocumentsPage(items=items,
                             next_cursor=encode_cursor(*next_after) if next_after else None)

    @post("/{tracking_number:str}/simulate", status_code=200,
          summary="Test mode: move a test item one step on")
    async def simulate(self, conn: asyncpg.Connection, state: State, agency: Agency,
                       tracking_number: str, data: SimulateIn) -> DocumentOut:
        """For agencies created with `tasheel agency create … --test` only (403 otherwise):
        the step is recorded as staff would record it, and the agency's webhook receives the
        same events as for a real item. 409 when the step does not follow from the item's
        state (the problem lists those that do)."""
        await simulation.simulate(conn, state.custody, agency_id=agency.id,
                                  test_mode=agency.test_mode,
                                  tracking_number=tracking_number, step=data)
        return await readback.document(conn, agency.id, tracking_number, with_events=True)

    @post("/{tracking_number:str}/cancel", status_code=200, summary="Recall an item")
    async def cancel(self, conn: asyncpg.Connection, agency: Agency,
                     tracking_number: str) -> DocumentOut:
        """Only before it leaves the sorting centre; 409 afterwards."""
        await recall.cancel_by_agency(conn, agency_id=agency.id, tracking_number=tracking_number)
        return await readback.document(conn, agency.id, tracking_number, with_events=True)


async def _submit_one(conn: asyncpg.Connection, ctx: IntakeContext, agency: Agency,
                      body: bytes) -> tuple[int, DocumentOut]:
    doc = decode_single(body, types=ctx.types, governorates=ctx.governorates)
    outcome = (await services.submit(conn, ctx, agency, [Judged(doc)]))[0]
    services.raise_if_rejected(outcome)
    item = await readback.document(conn, agency.id, outcome.tracking_number or "",
                                   with_events=False)
    return (201 if outcome.status == services.ACCEPTED else 200), item


def _valid_idempotency_key(key: str) -> str:
    if not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX or not key.isprintable():
        raise InvalidInput("Idempotency-Key must be 1-255 printable characters",
                           errors=[FieldError(field="header:Idempotency-Key", message="invalid")])
    return key


def states_from_query(text: str | None) -> list[str] | None:
    """`registered,received` (a `state` query parameter) as a list of states; an unknown one is a
    422 naming it."""
    if text is None:
        return None
    states = [s.strip() for s in text.split(",")]
    if unknown := [s for s in states if s not in ITEM_STATES]:
        raise InvalidInput(f"unknown state {unknown[0]}", errors=[
            FieldError(field="query:state", message=f"unknown state {s or '(empty)'}")
            for s in unknown])
    return states


