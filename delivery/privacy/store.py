"""SQL of the purge: every place a finished item's personal data is copied to."""

from __future__ import annotations

# $1 states, $2 cutoff, $3 limit. `updated_at` is the finishing time of a finished item: nothing
# but the citizen's one report moves it afterwards.
CLAIM_DUE = """
SELECT id FROM items
WHERE pii_purged_at IS NULL AND state = ANY($1::text[]) AND updated_at < $2
ORDER BY updated_at, id
LIMIT $3
FOR UPDATE SKIP LOCKED
"""

COUNT_DUE = """
SELECT count(*) FROM items
WHERE pii_purged_at IS NULL AND state = ANY($1::text[]) AND updated_at < $2
"""

# $1 ids, $2 kept comparable keys, $3 now. The national-ID hash goes too: no hand-over is left
# to check it against.
PURGE_ITEMS = """
UPDATE items SET
    citizen_name = NULL, citizen_phone = NULL, national_id_hash = NULL, national_id_last4 = NULL,
    district = NULL, address_text = NULL, lat = NULL, lon = NULL, landmark = NULL,
    mahalla = NULL, zuqaq = NULL, house = NULL, location_source = NULL, otp_mac = NULL,
    comparable = (SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb)
                  FROM jsonb_each(comparable) AS e(k, v) WHERE k = ANY($2::text[])),
    pii_purged_at = $3
WHERE id = ANY($1::bigint[])
"""

# $1 ids, $2 kept keys.
PURGE_OUTBOX = """
UPDATE outbox SET payload = (SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb)
                             FROM jsonb_each(payload) AS e(k, v) WHERE k = ANY($2::text[]))
WHERE item_id = ANY($1::bigint[])
"""

# The answer (asked for money or not) and the staff involved stay; the words go.
PURGE_REPORTS = """
UPDATE citizen_reports SET complaint = '', handled_note = NULL WHERE item_id = ANY($1::bigint[])
"""

# A stop is a household: rounded to about a kilometre, the plan stays readable.
PURGE_STOPS = """
UPDATE route_stops SET lat = round(lat::numeric, 2), lon = round(lon::numeric, 2)
WHERE item_ids && $1::bigint[]
"""

# Stored answers for idempotent retries (masked holders) are no use after the retention period.
PURGE_IDEMPOTENCY = "DELETE FROM idempotency_keys WHERE created_at < $1"
