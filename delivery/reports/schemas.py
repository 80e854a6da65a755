"""What the reports answer: a summary of a period, and its items one row each."""

from __future__ import annotations

from datetime import date, datetime

import msgspec


class HandOverOut(msgspec.Struct, frozen=True, kw_only=True):
    """Items delivered to the citizen or collected at a branch, and how long it took from
    registration."""

    count: int
    # Keyed by N ("1", "3", "7", "14"): how many were handed over within N days (N × 24 hours).
    within_days: dict[str, int]
    median_hours: float | None  # none when nothing was handed over
    p90_hours: float | None


class OldDocumentsOut(msgspec.Struct, frozen=True, kw_only=True):
    """Hand-overs of items that replaced an old document: the old one taken back (each an item
    of its own, returning with reason `old_document`), or declared lost by the citizen."""

    taken: int
    declared_lost: int


class SummaryGroupOut(msgspec.Struct, frozen=True, kw_only=True):
    """The counts of one group (all the period's items when not grouped)."""

    key: str | None  # the document type, governorate, branch code or day; null: not grouped
    items: int  # registered in the period
    by_state: dict[str, int]  # by state now
    handed_over: HandOverOut
    failed_attempts: int  # failed attempts at the door, however many per item
    failed_attempts_by_reason: dict[str, int]
    returns: int  # items on their way back (`returning`) or back (`returned_to_agency`)
    returns_by_reason: dict[str, int]
    old_documents: OldDocumentsOut


class SummaryOut(msgspec.Struct, frozen=True, kw_only=True):
    """The items the agency registered in the period (Asia/Baghdad days, both included)."""

    first: date = msgspec.field(name="from")
    last: date = msgspec.field(name="to")
    timezone: str
    group_by: str | None
    groups: list[SummaryGroupOut]  # ordered by key; empty when nothing was registered


class ReportItemOut(msgspec.Struct, frozen=True, kw_only=True):
    """One item of the period, as the CSV gives it."""

    external_ref: str
    tracking_number: str
    document_type: str
    state: str  # the state now (final once delivered, collected, returned, …)
    registered_at: datetime
    handed_over_at: datetime | None  # delivered or collected
    attempts: int  # attempts at the door: deliveries and failures
    last_failure_reason: str | None
    return_reason: str | None  # for items returning or returned
    branch: str | None  # the branch code
    branch_name: str | None  # in Arabic


class ReportItemsPage(msgspec.Struct, frozen=True, kw_only=True):
    """Items in the order they were registered; `next_cursor` null on the last page."""

    items: list[ReportItemOut]
    next_cursor: str | None
