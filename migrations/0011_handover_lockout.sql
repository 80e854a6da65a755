-- Hand-over proof across items: every wrong attempt (one-time code or ID digits) a member of
-- staff makes is kept, so that one who keeps failing on many items is noticed and stopped even
-- though each item stays under its own limit.

CREATE TABLE handover_failures (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id        bigint NOT NULL REFERENCES staff (id),
    item_id         bigint NOT NULL REFERENCES items (id),
    device_id       text,
    at              timestamptz NOT NULL
);
CREATE INDEX handover_failures_staff ON handover_failures (staff_id, at);

-- A member of staff whose hand-overs are stopped, and who lifted that and why. An open lock
-- (unlocked_at NULL) refuses their deliver and collect scans; at most one is open at a time.
CREATE TABLE handover_locks (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id        bigint NOT NULL REFERENCES staff (id),
    locked_at       timestamptz NOT NULL,
    wrong_attempts  integer NOT NULL,
    unlocked_at     timestamptz,
    unlocked_by     bigint REFERENCES staff (id),
    unlock_reason   text,
    CHECK ((unlocked_at IS NULL) = (unlocked_by IS NULL))
);
CREATE UNIQUE INDEX handover_locks_open ON handover_locks (staff_id) WHERE unlocked_at IS NULL;
CREATE INDEX handover_locks_staff ON handover_locks (staff_id, unlocked_at);
