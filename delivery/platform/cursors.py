"""Keyset page cursors: where a page ended, as (a moment, an id), opaque to the caller.

Every paged list of the API (an agency's documents, its report items, a branch's shelf) hands
out and takes back the same kind of cursor; one this API did not give out is a 422 naming it.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

import msgspec

from delivery.platform import inputs
from delivery.platform.errors import FieldError, InvalidInput

FIELD = "query:cursor"


def encode_cursor(at: datetime, item_id: int) -> str:
    """The opaque `next_cursor`: where the page ended."""
    raw = msgspec.json.encode([at.isoformat(), item_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Where the previous page ended; a cursor this API did not give out is a 422."""
    try:
        at, item_id = msgspec.json.decode(
            base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        after = datetime.fromisoformat(at), int(item_id)
        # The caller's text: one forged out of range must not reach the query.
        inputs.check_moment(after[0], FIELD)
        inputs.check_int(after[1], FIELD)
        if after[0].tzinfo is None:
            raise ValueError("no offset")
        return after
    except (binascii.Error, msgspec.DecodeError, ValueError, TypeError):
        raise InvalidInput("cursor is not one this API gave out",
                           errors=[FieldError(field=FIELD, message="invalid")]) from None
