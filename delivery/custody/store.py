"""SQL of the handheld side of custody: items as scanners see them, scans, bags, alerts."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from delivery.custody.item import ScanItem
from delivery.platform import db

__all__ = ["ScanItem"]


# ScanItem's fields, in order, as read from items `i`, the branch `b` and its sorting centre `c`.
_SCAN_ITEM_FIELDS = (
    ("i.id", "id"), ("i.state", "state"), ("i.agency_id", "agency_id"),
    ("i.tracking_number", "tracking_number"), ("i.external_ref", "external_ref"),
    ("i.document_type", "document_type"), ("i.branch_id", "branch_id"),
    ("b.code", "branch_code"), ("c.id", "centre_id"), ("c.code", "centre_code"),
    ("i.courier_id", "courier_id"), ("i.national_id_last4", "national_id_last4"),
    ("i.otp_mac", "otp_mac"), ("i.otp_generation", "otp_generation"),
    ("i.otp_wrong", "otp_wrong"), ("i.otp_locked", "otp_locked"),
    ("i.failed_attempts", "failed_attempts"), ("i.handover_action", "handover_action"),
    ("i.chain_length", "chain_length"), ("i.chain_head", "chain_head"),
    ("i.old_document_number", "old_document_number"),
)
_SCAN_ITEM_COLUMNS = ", ".join(f"{expr} AS {name}" for expr, name in _SCAN_ITEM_FIELDS)
# The same values as one anonymous row (ROW(...)), read back by `scan_items_of`.
_SCAN_ITEM_VALUES = ", ".join(expr for expr, _ in _SCAN_ITEM_FIELDS)
# Staff find items by their tracking numbers; a test-mode agency's are not theirs to find (the
# agency moves them itself: `delivery.custody.simulation`).
STAFF_VISIBLE = " AND i.agency_id NOT IN (SELECT id FROM agencies WHERE test_mode)"
_SCAN_ITEM_JOINS = """
FROM items i LEFT JOIN sites b ON b.id = i.branch_id LEFT JOIN sites c ON c.id = b.sorting_centre
"""
_SCAN_ITEM = f"SELECT {_SCAN_ITEM_COLUMNS}{_SCAN_ITEM_JOINS}"
SELECT_ITEM_BY_TN = _SCAN_ITEM + " WHERE i.tracking_number = $1" + STAFF_VISIBLE
SELECT_ITEM_BY_ID = _SCAN_ITEM + " WHERE i.id = $1"
SELECT_ITEMS_BY_ID = _SCAN_ITEM + " WHERE i.id = ANY($1::bigint[]) ORDER BY i.id"
SELECT_ITEMS_BY_TN = _SCAN_ITEM + " WHERE i.tracking_number = ANY($1::text[])" + STAFF_VISIBLE

# Claims the scans no upload has claimed before, if the account is still active (and reads its
# token generation, to refuse a token issued before a change): deactivation
# takes effect for the very next upload, checked in the same transaction as its writes. Also
# reads the device time the handheld last reported (without locking its row: see NOTE_DEVICE)
# and the items the scans name ($8), as they were when the statement began. An infinite device
# time (stored before `clock.implausible` refused such times) reads as none.
CLAIM_SCANS = """
WITH member AS (SELECT EXISTS (SELECT 1 FROM staff WHERE id = $2 AND active) AS active),
claimed AS (
    INSERT INTO scans (scan_id, staff_id, device_id, code, action, device_at, server_at, status)
    SELECT s, $2, $3, c, a, d, $4, 'rejected'
    FROM unnest($1::text[], $5::text[], $6::text[], $7::timestamptz[]) AS u (s, c, a, d), member
    WHERE member.active
    ORDER BY s
    ON CONFLICT (scan_id) DO NOTHING RETURNING scan_id
)
SELECT (SELECT active FROM member) AS active, ARRAY(SELECT scan_id FROM claimed) AS fresh,
    (SELECT token_gen FROM staff WHERE id = $2) AS token_gen,
    (SELECT last_device_at FROM devices WHERE device_id = $3 AND isfinite(last_device_at))
        AS last_device_at,
    ARRAY(SELECT ROW(""" + _SCAN_ITEM_VALUES + ")" + _SCAN_ITEM_JOINS + """
          WHERE i.tracking_number = ANY($8::text[])""" + STAFF_VISIBLE + """) AS items
"""
# The handheld's latest device time ($1 device, $2 staff, $3 device time, $4 server time), as
# WITH-clauses. A handheld uploads its queue one batch at a time; should two uploads of one
# handheld overlap, the later to get here leaves the time to the other rather than wait for its
# commit (so uploads never queue behind each other on this row).
NOTE_DEVICE = """
new_device AS (
    INSERT INTO devices (device_id, last_staff_id, last_device_at, last_seen_at)
    SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM devices WHERE device_id = $1)
    ON CONFLICT (device_id) DO NOTHING
),
known_device AS (
    UPDATE devices SET last_staff_id = $2, last_device_at = $3, last_seen_at = $4
    WHERE device_id = (SELECT device_id FROM devices WHERE device_id = $1
                       FOR UPDATE SKIP LOCKED)
)
"""
# The results of an upload's scans, once judged (after NOTE_DEVICE's clauses: see `scans`).
SAVE_RESULTS = """
UPDATE scans SET status = u.st, state = u.state, error = u.error, clock_flags = u.flags::text[]
FROM (SELECT unnest($1::text[]) AS id, unnest($2::text[]) AS st, unnest($3::text[]) AS state,
             unnest($4::text[]) AS error, unnest($5::text[]) AS flags) AS u
WHERE scans.scan_id = u.id
"""


def _read_upload(scans_named: str, items_named: str) -> str:
    """Everything an upload's rules need, read without a lock (see `optimistic`): the account
    ($1), the handheld's last device time ($2; none when infinite), the scan ids seen before
    with the state each one gave, and the items named (with the heads of their custody
    chains)."""
    return """
SELECT (SELECT active FROM staff WHERE id = $1) AS active,
    (SELECT token_gen FROM staff WHERE id = $1) AS token_gen,
    (SELECT last_device_at FROM devices WHERE device_id = $2 AND isfinite(last_device_at))
        AS last_device_at,
    ARRAY(SELECT ROW(scan_id, state) FROM scans WHERE """ + scans_named + """) AS earlier,
    ARRAY(SELECT ROW(""" + _SCAN_ITEM_VALUES + ")" + _SCAN_ITEM_JOINS + """
          WHERE """ + items_named + STAFF_VISIBLE + """) AS items
"""


READ_UPLOAD = _read_upload("scan_id = ANY($3::text[])", "i.tracking_number = ANY($4::text[])")
# One scan ($3) of one code ($4). Plain equalities let PostgreSQL keep one generic plan, where an
# array of unknown length makes it plan the statement anew on every call, which costs it
# several times the read itself.
READ_ONE_SCAN = _read_upload("scan_id = $3", "i.tracking_number = $4")

# Claims scan ids with their results at once, if the account is still active: $1 the device,
# $2 the staff member, $3 server time, $4 a JSON array of the scans (see `optimistic`).
CLAIM_WITH_RESULTS = """
    INSERT INTO scans (scan_id, staff_id, device_id, code, action, device_at, server_at, status,
                       state, error, clock_flags)
    SELECT u.scan_id, $2, $1, u.code, u.action, u.at, $3, u.status, u.state, u.error,
        u.clock_flags
    FROM json_to_recordset($4::json) AS u (scan_id text, code text, action text,
        at timestamptz, status text, state text, error text, clock_flags text[])
    WHERE EXISTS (SELECT 1 FROM staff WHERE id = $2 AND active)
    ORDER BY u.scan_id
    ON CONFLICT (scan_id) DO NOTHING RETURNING scan_id
"""
SELECT_SCANS = "SELECT scan_id, status, state, error FROM scans WHERE scan_id = ANY($1::text[])"
SELECT_COURIER = """
SELECT id, site_id FROM staff WHERE username = $1 AND role = 'courier' AND active
"""
SET_COURIER = "UPDATE items SET courier_id = $2 WHERE id = $1"
SET_HANDOVER = "UPDATE items SET handover_action = $2, handover_since = $3 WHERE id = $1"
CLEAR_HANDOVER = """
UPDATE items SET handover_action = NULL, handover_since = NULL
WHERE id = $1 AND handover_action = $2 RETURNING id
"""
# Many items at once, each only if nobody changed its state, hand-over or custody chain since
# it was read (nor, for a hand-over judged on its code, the code or its lock); with what the
# scans changed in its row (courier, failed attempts, a fresh code and its hold), and with the
# head of its chain once the events judged on that read are appended (inserted by the caller
# in the same statement or transaction). $1: a JSON array of the moves (see
# `fastscan.moves_of`), one text rather than many arrays that asyncpg would encode element by
# element.
MOVE_ITEMS = """
UPDATE items SET state = u.to_state, updated_at = $2,
    handover_action = CASE WHEN u.handover_set THEN u.to_handover ELSE items.handover_action END,
    handover_since = CASE WHEN NOT u.handover_set THEN items.handover_since
                          WHEN u.to_handover IS NULL THEN NULL ELSE $2 END,
    courier_id = coalesce(u.courier_id, items.courier_id),
    failed_attempts = items.failed_attempts + u.failures,
    otp_mac = coalesce(decode(u.new_mac, 'base64'), items.otp_mac),
    otp_generation = coalesce(u.new_generation, items.otp_generation),
    otp_wrong = CASE WHEN u.new_generation IS NULL THEN items.otp_wrong ELSE 0 END,
    otp_locked = CASE WHEN u.new_generation IS NULL THEN items.otp_locked ELSE false END,
    hold_until = coalesce(u.hold_until, items.hold_until),
    chain_length = u.to_length, chain_head = decode(u.to_head, 'base64')
FROM json_to_recordset($1::json) AS u (id bigint, from_state text, from_handover text,
                                       from_length int, proved_generation int, to_state text,
                                       to_handover text, handover_set boolean, to_length int,
                                       to_head text, courier_id bigint, failures int,
                                       new_mac text, new_generation int,
                                       hold_until timestamptz)
WHERE items.id = u.id AND items.state = u.from_state
  AND items.handover_action IS NOT DISTINCT FROM u.from_handover
  AND items.chain_length = u.from_length
  AND (u.proved_generation IS NULL
       OR (items.otp_generation = u.proved_generation AND NOT items.otp_locked))
RETURNING items.id
"""
COUNT_FAILURE = "UPDATE items SET failed_attempts = failed_attempts + 1 WHERE id = $1"
NEW_OTP = """
UPDATE items SET otp_mac = $2, otp_generation = $3, otp_wrong = 0, otp_locked = false,
    hold_until = COALESCE($4, hold_until)
WHERE id = $1
"""
# Counted atomically and only against the code it was meant for, whatever runs at the same time.
INSERT_ALERT = """
INSERT INTO custody_alerts (kind, item_id, site_id, staff_id, device_id, detail, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
"""

INSERT_ALERTS = """
INSERT INTO custody_alerts (kind, item_id, site_id, staff_id, device_id, detail, created_at)
SELECT k, i, s, st, d, t, $7
FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[])
    AS u (k, i, s, st, d, t)
"""

NEXT_BAG_SERIAL = "SELECT nextval('bag_serial')"
INSERT_BAG = """
INSERT INTO bags (bag_id, origin_id, destination_id, opened_by, opened_at)
VALUES ($1, $2, $3, $4, $5)
"""
SELECT_BAG = """
SELECT g.bag_id, g.status, g.origin_id, g.destination_id, d.code AS destination_code
FROM bags g JOIN sites d ON d.id = g.destination_id WHERE g.bag_id = $1
"""
LOCK_BAG = SELECT_BAG + " FOR UPDATE OF g"
# The bags an upload names, locked in one order as a bag scan locks its bag (READ_EXTRAS then
# reads them).
LOCK_BAGS = """
SELECT 1 FROM bags WHERE bag_id = ANY($1::text[]) ORDER BY bag_id FOR UPDATE
"""
# Items put in bags ($1 bags, $2 items; as ADD_TO_BAG) at $3.
ADD_TO_BAGS = """
INSERT INTO bag_items (bag_id, item_id, added_at)
SELECT bag_id, item_id, $3 FROM unnest($1::text[], $2::bigint[]) AS a (bag_id, item_id)
ON CONFLICT (bag_id, item_id) DO UPDATE SET added_at = EXCLUDED.added_at, removed_at = NULL,
    confirmed_at = NULL
"""
# Items taken out of bags ($1 bags, $2 items) at $3.
TAKE_OUT_OF_BAGS = """
UPDATE bag_items SET removed_at = $3
FROM unnest($1::text[], $2::bigint[]) AS r (bag_id, item_id)
WHERE bag_items.bag_id = r.bag_id AND bag_items.item_id = r.item_id
  AND bag_items.removed_at IS NULL
"""
# The bags items were just put in ($1), if still open: locked until the upload commits, so a
# dispatch waits for the items put in (see `optimistic`).
STILL_OPEN_BAGS = """
SELECT bag_id FROM bags WHERE bag_id = ANY($1::text[]) AND status = 'open'
ORDER BY bag_id FOR SHARE
"""
SELECT_BRANCH = "SELECT id, code, kind, sorting_centre FROM sites WHERE code = $1"
SELECT_OPEN_BAG_OF_ITEM = """
SELECT bag_id FROM bag_items WHERE item_id = $1 AND removed_at IS NULL AND confirmed_at IS NULL
"""
# An item taken out of a bag may go back into the same one: its row is put back in use (the
# custody log keeps both moves).
ADD_TO_BAG = """
INSERT INTO bag_items (bag_id, item_id, added_at) VALUES ($1, $2, $3)
ON CONFLICT (bag_id, item_id) DO UPDATE SET added_at = EXCLUDED.added_at, removed_at = NULL,
    confirmed_at = NULL
"""
REMOVE_FROM_BAG = """
UPDATE bag_items SET removed_at = $3 WHERE bag_id = $1 AND item_id = $2 AND removed_at IS NULL
RETURNING item_id
"""
BAG_ITEMS = """
SELECT item_id FROM bag_items WHERE bag_id = $1 AND removed_at IS NULL ORDER BY item_id
"""
MARK_BAG = "UPDATE bags SET status = $2, dispatched_at = COALESCE($3, dispatched_at), " \
    "arrived_at = COALESCE($4, arrived_at) WHERE bag_id = $1"
CONFIRM_IN_BAG = """
UPDATE bag_items SET confirmed_at = $2
WHERE item_id = $1 AND removed_at IS NULL AND confirmed_at IS NULL
  AND bag_id IN (SELECT bag_id FROM bags WHERE status IN ('dispatched', 'arrived'))
RETURNING bag_id
"""
# For an item scanned on arrival on its own ($1, its branch $2): whether a dispatched or arrived
# bag holds it unconfirmed, and whether any bag for its branch holds it.
IN_BAG = """
SELECT EXISTS (SELECT 1 FROM bag_items bi JOIN bags g USING (bag_id)
               WHERE bi.item_id = $1 AND bi.removed_at IS NULL AND bi.confirmed_at IS NULL
                 AND g.status IN ('dispatched', 'arrived')) AS moving,
       EXISTS (SELECT 1 FROM bag_items bi JOIN bags g USING (bag_id)
               WHERE bi.item_id = $1 AND bi.removed_at IS NULL AND g.destination_id = $2)
           AS bagged_for_branch
"""
# What the scans of an upload need besides their items (see `fastscan.Needs`), in one read:
# whether the member of staff ($1) is locked out of hand-overs; the couriers named ($2, active
# ones); the bags named ($3); the open bag of each item put in or taken out of one ($4); for
# each item scanned on arrival on its own ($5), whether a dispatched or arrived bag holds it
# unconfirmed and whether any bag for its branch holds it; for each item whose place matters
# ($6), the newest of its events that put it somewhere (one of the rows $7, $8: see `places`).
READ_EXTRAS = """
SELECT EXISTS (SELECT 1 FROM handover_locks WHERE staff_id = $1 AND unlocked_at IS NULL)
           AS staff_locked,
    ARRAY(SELECT ROW(username, id, site_id) FROM staff
          WHERE username = ANY($2::text[]) AND role = 'courier' AND active) AS couriers,
    ARRAY(SELECT ROW(g.bag_id, g.status, g.origin_id, g.destination_id, d.code)
          FROM bags g JOIN sites d ON d.id = g.destination_id
          WHERE g.bag_id = ANY($3::text[])) AS bags,
    ARRAY(SELECT ROW(bi.item_id, bi.bag_id) FROM items i JOIN bag_items bi ON bi.item_id = i.id
          WHERE i.tracking_number = ANY($4::text[])
            AND bi.removed_at IS NULL AND bi.confirmed_at IS NULL) AS open_bags,
    ARRAY(SELECT ROW(i.id,
            EXISTS (SELECT 1 FROM bag_items bi JOIN bags g USING (bag_id)
                    WHERE bi.item_id = i.id AND bi.removed_at IS NULL
                      AND bi.confirmed_at IS NULL AND g.status IN ('dispatched', 'arrived')),
            EXISTS (SELECT 1 FROM bag_items bi JOIN bags g USING (bag_id)
                    WHERE bi.item_id = i.id AND bi.removed_at IS NULL
                      AND g.destination_id = i.branch_id))
          FROM items i WHERE i.tracking_number = ANY($5::text[])) AS in_bags,
    ARRAY(SELECT ROW(i.id, p.from_state, p.action)
          FROM items i CROSS JOIN LATERAL (
              SELECT e.from_state, e.action FROM custody_events e
              JOIN unnest($7::text[], $8::text[]) AS k (from_state, action)
                ON k.from_state = e.from_state AND k.action = e.action
              WHERE e.item_id = i.id ORDER BY e.seq DESC LIMIT 1) p
          WHERE i.tracking_number = ANY($6::text[])) AS places
"""
# READ_UPLOAD with READ_EXTRAS ($5 on), for an upload whose scans need more than their items.
def _read_upload_with_extras() -> str:
    statement = db.Composed()
    statement.with_("upload", READ_UPLOAD)
    statement.with_("extras", READ_EXTRAS)
    return statement.statement("SELECT * FROM upload, extras")


READ_UPLOAD_WITH_EXTRAS = _read_upload_with_extras()

# Items ($1) confirmed in the moving bag that holds them, at $2.
CONFIRM_IN_BAGS = """
UPDATE bag_items SET confirmed_at = $2
WHERE item_id = ANY($1::bigint[]) AND removed_at IS NULL AND confirmed_at IS NULL
  AND bag_id IN (SELECT bag_id FROM bags WHERE status IN ('dispatched', 'arrived'))
"""

# --- bags the system empties (recalls, new branches, supervisors' marks) -------------------------

# The open bag an item is in, locked before the item itself, as clerks' bag scans lock them.
LOCK_OPEN_BAG_OF_ITEM = """
SELECT g.bag_id, g.origin_id FROM bags g JOIN bag_items bi ON bi.bag_id = g.bag_id
WHERE bi.item_id = $1 AND bi.removed_at IS NULL AND bi.confirmed_at IS NULL AND g.status = 'open'
FOR UPDATE OF g
"""
# A bag's items, locked in one order, and the branch each goes to now.
LOCK_BAG_ITEMS = """
SELECT id, branch_id FROM items
WHERE id IN (SELECT item_id FROM bag_items WHERE bag_id = $1 AND removed_at IS NULL)
ORDER BY id FOR UPDATE
"""

# --- bags as the handhelds list them (`bag_views`) ----------------------------------------------

# $1 status; $2 the origin and $3 the destination to keep to (NULL: any). Newest change first:
# the time the bag reached its status.
BAGS = """
SELECT g.bag_id, o.code AS origin, d.code AS destination, g.status,
    (SELECT count(*) FROM bag_items bi WHERE bi.bag_id = g.bag_id AND bi.removed_at IS NULL)
        AS count,
    g.opened_at, g.dispatched_at, g.arrived_at
FROM bags g JOIN sites o ON o.id = g.origin_id JOIN sites d ON d.id = g.destination_id
WHERE g.status = $1 AND ($2::bigint IS NULL OR g.origin_id = $2)
  AND ($3::bigint IS NULL OR g.destination_id = $3)
ORDER BY coalesce(g.arrived_at, g.dispatched_at, g.opened_at) DESC, g.bag_id DESC
LIMIT $4
"""
MANIFEST_BAG = """
SELECT g.bag_id, g.origin_id, g.destination_id, o.code AS origin, d.code AS destination,
    d.name_ar AS destination_name, d.name_en AS destination_name_en, g.status, g.opened_at,
    g.dispatched_at, g.arrived_at
FROM bags g JOIN sites o ON o.id = g.origin_id JOIN sites d ON d.id = g.destination_id
WHERE g.bag_id = $1
"""
# The items in the bag now, in the order they went in.
MANIFEST_ITEMS = """
SELECT i.tracking_number, i.document_type, i.state, bi.confirmed_at IS NOT NULL AS confirmed
FROM bag_items bi JOIN items i ON i.id = bi.item_id
WHERE bi.bag_id = $1 AND bi.removed_at IS NULL
ORDER BY bi.added_at, i.id
"""

# --- where a returning item is -------------------------------------------------------------------

LAST_PLACING = """
SELECT e.from_state, e.action FROM custody_events e
JOIN unnest($2::text[], $3::text[]) AS p (from_state, action)
  ON p.from_state = e.from_state AND p.action = e.action
WHERE e.item_id = $1
ORDER BY e.seq DESC LIMIT 1
"""

# --- hand-over proof: locks and wrong attempts ---------------------------------------------------

HOLD_STAFF = "SELECT 1 FROM staff WHERE id = $1 FOR NO KEY UPDATE"
HOLD_ITEM = "SELECT 1 FROM items WHERE tracking_number = $1 FOR NO KEY UPDATE"
HOLD_ITEM_BY_ID = "SELECT 1 FROM items WHERE id = $1 FOR NO KEY UPDATE"
# Never past the limit, and only against the code the attempt was judged on.
COUNT_WRONG = """
UPDATE items SET otp_wrong = otp_wrong + 1, otp_locked = otp_wrong + 1 >= $3
WHERE id = $1 AND otp_generation = $2 AND NOT otp_locked AND otp_wrong < $3
RETURNING otp_wrong
"""
STAFF_LOCKED = "SELECT EXISTS (SELECT 1 FROM handover_locks WHERE staff_id = $1 AND unlocked_at " \
    "IS NULL)"
# The wrong attempt, and how many the member of staff made since $5 and since their last unlock.
STAFF_WRONG = """
WITH failure AS (
    INSERT INTO handover_failures (staff_id, item_id, device_id, at) VALUES ($1, $2, $3, $4)
)
SELECT count(*) + 1 FROM handover_failures
WHERE staff_id = $1 AND at > $5
  AND at > coalesce((SELECT max(unlocked_at) FROM handover_locks WHERE staff_id = $1),
                    '-infinity')
"""
LOCK_STAFF = """
INSERT INTO handover_locks (staff_id, locked_at, wrong_attempts) VALUES ($1, $2, $3)
ON CONFLICT (staff_id) WHERE unlocked_at IS NULL DO NOTHING RETURNING id
"""

# --- single changes outside the handheld (agencies, the citizen, the system) ---------------------

SELECT_AGENCY_ITEM = """
SELECT id, state, agency_id, tracking_number, external_ref, branch_id, document_type,
    old_document_number
FROM items WHERE agency_id = $1 AND tracking_number = $2
"""
# Optimistic: the change lands only if nobody moved the item since we read it. Both lock the
# row and return the head of its chain, which cannot move until we commit.
MOVE_ITEM = """
UPDATE items SET state = $3, updated_at = $4 WHERE id = $1 AND state = $2
RETURNING chain_length, chain_head
"""
TOUCH_ITEM = """
UPDATE items SET updated_at = $2 WHERE id = $1 RETURNING chain_length, chain_head
"""

# --- supervisors: staff locks and what needs their eye -------------------------------------------

SELECT_STAFF = "SELECT id, username, role, site_id FROM staff WHERE username = $1"
UNLOCK_STAFF = """
UPDATE handover_locks SET unlocked_at = $2, unlocked_by = $3, unlock_reason = $4
WHERE staff_id = $1 AND unlocked_at IS NULL RETURNING id
"""
RESOLVE_STAFF_ALERTS = """
UPDATE custody_alerts SET resolved_at = $2
WHERE staff_id = $1 AND kind = 'staff_locked' AND resolved_at IS NULL
"""
# $1: the supervisor's site (NULL: everything, for administrators); items by branch or centre.
_MINE = "($1::bigint IS NULL OR b.id = $1 OR b.sorting_centre = $1)"
UNCONFIRMED_HANDOVERS = f"""
SELECT 'unconfirmed_handover' AS kind, i.tracking_number, NULL AS bag_id, b.code AS site,
    NULL AS device_id, i.handover_since AS since,
    i.handover_action || ' not confirmed by the receiving side' AS detail
FROM items i LEFT JOIN sites b ON b.id = i.branch_id
WHERE i.handover_since < $2 AND {_MINE}
"""
UNCONFIRMED_MANIFEST = f"""
SELECT 'unconfirmed_manifest' AS kind, i.tracking_number, g.bag_id, b.code AS site,
    NULL AS device_id, g.arrived_at AS since,
    'in the manifest of bag ' || g.bag_id || ' but never scanned at the branch' AS detail
FROM bag_items bi JOIN bags g USING (bag_id) JOIN items i ON i.id = bi.item_id
    JOIN sites b ON b.id = g.destination_id
WHERE g.status = 'arrived' AND bi.removed_at IS NULL AND bi.confirmed_at IS NULL
    AND g.arrived_at < $3 AND {_MINE}
"""
RECORDED = f"""
SELECT a.kind, i.tracking_number, NULL AS bag_id, b.code AS site, a.device_id,
    a.created_at AS since, a.detail
FROM custody_alerts a LEFT JOIN items i ON i.id = a.item_id LEFT JOIN sites b ON b.id = a.site_id
WHERE a.resolved_at IS NULL AND {_MINE}
"""
LOCKED = f"""
SELECT 'locked' AS kind, i.tracking_number, NULL AS bag_id, b.code AS site, NULL AS device_id,
    i.updated_at AS since,
    'locked after wrong codes or ID digits: unlock it (the citizen gets a new code)' AS detail
FROM items i LEFT JOIN sites b ON b.id = i.branch_id WHERE i.otp_locked AND {_MINE}
"""
# $4, $5: each state an item can rest in, and the time before which its last change makes it
# stuck there (STUCK_AFTER_HOURS, `stuck.py`).
STUCK = f"""
SELECT 'stuck' AS kind, i.tracking_number, NULL AS bag_id, b.code AS site, NULL AS device_id,
    i.updated_at AS since, 'in ' || i.state || ' longer than allowed' AS detail
FROM items i LEFT JOIN sites b ON b.id = i.branch_id
    JOIN unnest($4::text[], $5::timestamptz[]) AS t (state, cutoff) ON t.state = i.state
WHERE i.updated_at < t.cutoff AND {_MINE}
"""
FLAGGED_CLOCKS = """
SELECT 'clock' AS kind, NULL AS tracking_number, NULL AS bag_id, t.code AS site, s.device_id,
    max(s.server_at) AS since, 'device clock ' || array_to_string(s.clock_flags, ', ') AS detail
FROM scans s JOIN staff f ON f.id = s.staff_id LEFT JOIN sites t ON t.id = f.site_id
WHERE s.clock_flags <> '{}' AND ($1::bigint IS NULL OR f.site_id = $1)
GROUP BY t.code, s.device_id, s.clock_flags
"""
ALERTS = " UNION ALL ".join([UNCONFIRMED_HANDOVERS, UNCONFIRMED_MANIFEST, RECORDED, LOCKED,
                             STUCK, FLAGGED_CLOCKS]) + " ORDER BY since"

# --- scheduled moves -----------------------------------------------------------------------------

CLAIM_EXPIRED_HOLDS = """
SELECT id FROM items WHERE state = ANY($1::text[]) AND hold_until <= $2
ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED
"""
LAST_FAILURE_REASON = """
SELECT failure_reasons[cardinality(failure_reasons)] FROM item_outcomes WHERE item_id = $1
"""
CLAIM_EXHAUSTED = """
SELECT id FROM items WHERE state = 'at_branch' AND failed_attempts >= $1
    AND handover_action IS NULL
ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
"""

# --- daily anchors -------------------------------------------------------------------------------

# Each item with an event on the day ($1 ≤ server_at < $2), with the last event it had by the
# end of the day. Events are found through the block-range index on server_at.
HEADS_OF_DAY = """
SELECT i.tracking_number, h.seq, h.hash
FROM (SELECT DISTINCT item_id FROM custody_events WHERE server_at >= $1 AND server_at < $2) AS d
JOIN items i ON i.id = d.item_id
CROSS JOIN LATERAL (SELECT seq, hash FROM custody_events
                    WHERE item_id = d.item_id AND server_at < $2
                    ORDER BY seq DESC LIMIT 1) AS h
"""
INSERT_ANCHOR = """
INSERT INTO anchors (day, root, count, signature, public_key) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (day) DO NOTHING RETURNING day
"""
_ANCHOR = "SELECT day, root, count, signature, public_key FROM anchors"
SELECT_ANCHOR = _ANCHOR + " WHERE day = $1"
SELECT_ANCHORS = _ANCHOR + " WHERE day >= $1 AND day <= $2 ORDER BY day"
SELECT_EVERY_ANCHOR = _ANCHOR + " ORDER BY day"
LAST_ANCHORED = "SELECT max(day) FROM anchors"
# The oldest event, by insertion: where anchoring starts on a log never anchored.
FIRST_EVENT_AT = "SELECT server_at FROM custody_events ORDER BY id LIMIT 1"
QUEUE_FOR_AGENCIES = """
INSERT INTO outbox (channel, topic, agency_id, payload, available_at)
SELECT 'webhook', $1, id, $2::jsonb, $3 FROM agencies
"""

# --- verifying the log ---------------------------------------------------------------------------

# Each item with its events, or once with nulls when it has none.
STREAM = """
SELECT i.id, i.tracking_number, i.state, i.chain_length, i.chain_head,
    e.seq, e.action, e.from_state, e.to_state, e.event_code, e.emsevt, e.actor_role,
    e.actor_id, e.device_id, e.site_id, e.device_at, e.server_at, e.payload, e.hash_version,
    e.prev_hash, e.hash
FROM items i LEFT JOIN custody_events e ON e.item_id = i.id
WHERE ($1::text IS NULL OR i.tracking_number = $1)
ORDER BY i.tracking_number, e.seq
"""
# Events whose item row is gone: they can be named only by the id they carry.
ORPHANS = """
SELECT DISTINCT item_id FROM custody_events e
WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = e.item_id) ORDER BY item_id
"""

# --- the custody log -----------------------------------------------------------------------------

# The events, and the head of each item's chain after them, in one statement.
INSERT_EVENTS = """
WITH events AS (
    INSERT INTO custody_events (item_id, seq, action, from_state, to_state, event_code, emsevt,
        actor_role, actor_id, device_id, site_id, device_at, server_at, payload, hash_version,
        prev_hash, hash)
    SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::text[],
        $6::text[], $7::text[], $8::text[], $9::bigint[], $10::text[], $11::bigint[],
        $12::timestamptz[], $13::timestamptz[], $14::jsonb[], $15::smallint[], $16::bytea[],
        $17::bytea[])
    RETURNING item_id, seq, hash
)
UPDATE items SET chain_length = e.seq, chain_head = e.hash
FROM (SELECT DISTINCT ON (item_id) item_id, seq, hash FROM events
      ORDER BY item_id, seq DESC) AS e
WHERE items.id = e.item_id
"""
SELECT_HEADS = """
SELECT id AS item_id, chain_length AS seq, chain_head AS hash FROM items
WHERE id = ANY($1::bigint[])
"""
SELECT_CHAIN = """
SELECT item_id, seq, action, from_state, to_state, event_code, emsevt, actor_role, actor_id,
    device_id, site_id, device_at, server_at, payload, hash_version, prev_hash, hash
FROM custody_events WHERE ($1::bigint IS NULL OR item_id = $1) ORDER BY item_id, seq
"""
# The same rows as one JSON parameter (see `json_rows`): asyncpg encodes sixteen arrays element by
# element, at a cost that dwarfs the rest of a batch's work in Python. The heads are not written
# here: the caller's UPDATE of the items in the same statement or transaction carries them.
INSERT_EVENTS_JSON = """
INSERT INTO custody_events (item_id, seq, action, from_state, to_state, event_code, emsevt,
    actor_role, actor_id, device_id, site_id, device_at, server_at, payload, hash_version,
    prev_hash, hash)
SELECT item_id, seq, action, from_state, to_state, event_code, emsevt, actor_role, actor_id,
    device_id, site_id, device_at, server_at, payload, hash_version,
    decode(prev_hash, 'base64'), decode(hash, 'base64')
FROM json_to_recordset($1::json) AS e (item_id bigint, seq int, action text, from_state text,
    to_state text, event_code text, emsevt text, actor_role text, actor_id bigint,
    device_id text, site_id bigint, device_at timestamptz, server_at timestamptz,
    payload jsonb, hash_version smallint, prev_hash text, hash text)
"""


def insert_first_events(rows: str) -> str:
    """FirstEvents in one statement: $1-$15 the shared values (see first_events_args), the items
    and their hashes the columns `item_id` and `hash` of `rows`, a relation of the caller's
    statement (its items' heads written with them, where they are inserted)."""
    return f"""
INSERT INTO custody_events (item_id, seq, action, from_state, to_state, event_code, emsevt,
    actor_role, actor_id, device_id, site_id, device_at, server_at, payload, hash_version,
    prev_hash, hash)
SELECT e.item_id, $1::int, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text,
    $8::bigint, $9::text, $10::bigint, $11::timestamptz, $12::timestamptz, $13::text::jsonb,
    $14::smallint, $15::bytea, e.hash
FROM {rows} AS e
"""


async def scan_item(conn: asyncpg.Connection, tracking_number: str) -> ScanItem | None:
    """The item with this tracking number, as the custody rules see it."""
    row = await conn.fetchrow(SELECT_ITEM_BY_TN, tracking_number)
    return ScanItem(**dict(row)) if row else None


async def scan_items(conn: asyncpg.Connection,
                     tracking_numbers: list[str]) -> dict[str, ScanItem]:
    """The items with these tracking numbers (those that exist), by tracking number."""
    rows = await conn.fetch(SELECT_ITEMS_BY_TN, tracking_numbers)
    return {r["tracking_number"]: ScanItem(**dict(r)) for r in rows}


def scan_items_of(rows: list[tuple]) -> dict[str, ScanItem]:
    """Items read as rows of ScanItem's fields, by tracking number."""
    items = (ScanItem(**dict(zip(ScanItem.__struct_fields__, row, strict=True))) for row in rows)
    return {item.tracking_number: item for item in items}


async def scan_items_by_id(conn: asyncpg.Connection, item_ids: list[int]) -> list[ScanItem]:
    """The items with these ids (which exist), in the order of their ids."""
    return [ScanItem(**dict(r)) for r in await conn.fetch(SELECT_ITEMS_BY_ID, item_ids)]


async def scan_item_by_id(conn: asyncpg.Connection, item_id: int) -> ScanItem:
    """The item with this id (which exists)."""
    return ScanItem(**dict(await conn.fetchrow(SELECT_ITEM_BY_ID, item_id)))


async def add_alert(conn: asyncpg.Connection, *, kind: str, detail: str, now: datetime,
                    item_id: int | None = None, site_id: int | None = None,
                    staff_id: int | None = None, device_id: str | None = None) -> None:
    """Record something a supervisor must look at."""
    await conn.execute(INSERT_ALERT, kind, item_id, site_id, staff_id, device_id, detail, now)


# --- old documents taken back at a hand-over (`old_items`) --------------------------------------

NEXT_SERIAL = "SELECT nextval('item_serial')"
# $1 the new item, $2 the old one's tracking number, $3 its reference, $4 a token hash nobody
# holds the token of, $5 the courier holding it (none at a counter), $6 the time, $7 the chain's
# genesis. No citizen data: the old document gets no SMS and no tracking page of its own.
INSERT_OLD_DOCUMENT = """
WITH old AS (
    INSERT INTO items (tracking_number, agency_id, external_ref, fingerprint, comparable,
        document_type, state, governorate, district, branch_id, assignment_rule, token_hash,
        courier_id, created_at, updated_at, chain_length, chain_head, old_document_of)
    SELECT $2, n.agency_id, $3, ''::bytea, '{}'::jsonb, n.document_type, 'returning',
        n.governorate, n.district, n.branch_id, n.assignment_rule, $4, $5, $6, $6, 0, $7, n.id
    FROM items n WHERE n.id = $1
    RETURNING id
)
UPDATE items SET old_document_item_id = old.id FROM old WHERE items.id = $1 RETURNING old.id
"""
