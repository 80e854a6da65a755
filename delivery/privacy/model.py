"""What the purge of personal data removes and when: rules as data, no I/O.

An item's personal data (who, where, how to reach them) is needed while the document travels and
for a while after, for complaints and disputes; then only what proves the journey is kept.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from delivery.custody.model import State

# Finished for good. `lost` and `damaged` stay out: a lost item may be found and still delivered.
PURGED_STATES = frozenset({State.delivered, State.collected, State.returned_to_agency,
                           State.cancelled})

# Items per transaction: short locks, and a crash loses at most one batch of work.
BATCH = 1000

# Outbox payload keys kept on a purged item's rows: what happened, never to whom or where (SMS
# rows lose their values, which hold the tracking token and one-time codes).
KEPT_OUTBOX_KEYS = ("event", "tracking_number", "external_ref", "state", "previous", "at",
                    "choice", "kind", "source", "mode", "branch", "rule")

# Fingerprint digests kept (`items.comparable`): those of the agency's own fields.
KEPT_COMPARABLE = ("/external_ref", "/document_type")


def cutoff(now: datetime, retention_days: int) -> datetime:
    """Items finished before this lose their personal data."""
    return now - timedelta(days=retention_days)
