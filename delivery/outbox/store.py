"""SQL of the outbox: rows written with a change, claimed by the relay, run and settled."""

# --- rows written with a change ------------------------------------------------------------------

# Payloads travel as JSON text and are cast on the server: as a jsonb[] through the
# connection's Python codec they cost several times more per row (benchmarks/intake.py).
INSERT_OUTBOX = """
INSERT INTO outbox (channel, topic, item_id, agency_id, payload, available_at)
SELECT channel, topic, item_id, agency_id, payload::jsonb, available_at
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::timestamptz[])
    AS o (channel, topic, item_id, agency_id, payload, available_at)
"""
# SameKind rows in one statement: $1-$4 what they share, $5 the items, $6 the payloads (see
# same_kind_args). Ends with its FROM clause (alias m) so that a caller may add a WHERE.
INSERT_SAME_KIND = """
INSERT INTO outbox (channel, topic, item_id, agency_id, payload, available_at)
SELECT $1::text, $2::text, m.item_id, $3::bigint, m.payload::jsonb, $4::timestamptz
FROM unnest($5::bigint[], $6::text[]) AS m (item_id, payload)
"""

# --- the relay -----------------------------------------------------------------------------------

CLAIM_READY = """
SELECT id, channel, enqueues FROM outbox
WHERE status = 'pending' AND available_at <= now()
ORDER BY available_at, id
LIMIT $1
FOR UPDATE SKIP LOCKED
"""
MARK_ENQUEUED = """
UPDATE outbox SET status = 'enqueued', enqueues = enqueues + 1, updated_at = now()
WHERE id = ANY($1::bigint[])
"""
REQUEUE_STALE = """
UPDATE outbox SET status = 'pending', held_by = NULL, updated_at = now()
WHERE status IN ('enqueued', 'sending') AND updated_at < now() - $1::interval
RETURNING id
"""

# --- who holds what (holds.py) -------------------------------------------------------------------

BEAT = """
INSERT INTO workers (id, host, pid) VALUES ($1, $2, $3)
ON CONFLICT (id) DO UPDATE SET beat_at = now()
"""
HAND_BACK_ORPHANS = """
UPDATE outbox SET status = 'pending', held_by = NULL, updated_at = now()
WHERE status = 'sending' AND held_by IS NOT NULL
    AND held_by NOT IN (SELECT id FROM workers WHERE beat_at > now() - $1::interval)
RETURNING id
"""
# A worker that stops hands back what it still holds; stopping is not failing (attempt refunded).
RELEASE_HELD = """
UPDATE outbox SET status = 'pending', held_by = NULL, attempts = greatest(attempts - 1, 0),
    available_at = now(), updated_at = now()
WHERE status = 'sending' AND held_by = $1
RETURNING id
"""
FORGET_WORKER = "DELETE FROM workers WHERE id = $1"
# Rows a living worker holds with no job of its own on them (a claim whose answer was lost with
# its connection, a job that could not record its results): back to `pending`.
# Run in the heartbeat's transaction, with the list of held rows read after it began: a row
# claimed since (its `updated_at` is its claim's transaction time) may be missing from that list
# and is left for the next beat.
RELEASE_STRAYS = """
UPDATE outbox SET status = 'pending', held_by = NULL, updated_at = now()
WHERE status = 'sending' AND held_by = $1 AND NOT (id = ANY($2::bigint[]))
    AND updated_at < now()
RETURNING id
"""

# --- running and settling ------------------------------------------------------------------------

# A row comes back ready (`enqueued`), or still `pending` when the relay's transaction rolled
# back after the job reached Redis; a pending row waiting for its time is not taken early.
CLAIM = """
UPDATE outbox SET status = 'sending', held_by = $2, attempts = attempts + 1, updated_at = now()
WHERE id = ANY($1::bigint[])
    AND (status = 'enqueued' OR (status = 'pending' AND available_at <= now()))
RETURNING id, channel, topic, item_id, agency_id, payload, attempts, created_at
"""
# Waiting (a deferral) is not failing: its claim's attempt is given back (`refund` -1). A row
# handed back meanwhile (its holder was taken for dead) and claimed again is its new holder's.
SETTLE = """
UPDATE outbox o SET status = v.status, held_by = NULL, attempts = o.attempts + v.refund,
    last_error = v.error, payload = coalesce(v.payload, o.payload),
    available_at = coalesce(now() + v.delay, v.until, o.available_at), updated_at = now()
FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::jsonb[], $6::interval[],
            $7::timestamptz[]) AS v(id, status, refund, error, payload, delay, until)
WHERE o.id = v.id AND o.status = 'sending' AND o.held_by IS NOT DISTINCT FROM $8::uuid
"""


