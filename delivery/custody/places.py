"""Where a returning item physically is, read from its custody log.

The table's rows say which place they put an item in (`Transition.puts`); the newest such row in
the item's log is where it is. The log is the durable mark: a hand-over's open/closed flag on the
item is cleared by its counter-scan, an event is never changed or removed.
"""

from __future__ import annotations

import asyncpg

from delivery.custody import store
from delivery.custody.model import PLACING, UNPLACED, Action, Place, State

_PLACING_KEYS = sorted(PLACING)
# The placing rows as two parallel arrays, for store.LAST_PLACING and `store.READ_EXTRAS`.
FROM_STATES = [str(s) for s, _ in _PLACING_KEYS]
ACTIONS = [str(a) for _, a in _PLACING_KEYS]


async def place_of(conn: asyncpg.Connection, item_id: int) -> Place:
    """Where the newest placing event of the item's log left it."""
    row = await conn.fetchrow(store.LAST_PLACING, item_id, FROM_STATES, ACTIONS)
    return UNPLACED if row is None else placed_by(row["from_state"], row["action"])


def placed_by(from_state: str, action: str) -> Place:
    """The place a placing row (as its event records it) leaves an item in."""
    return PLACING[(State(from_state), Action(action))]
