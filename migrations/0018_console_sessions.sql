-- Browser sessions of the staff console. The cookie carries a random secret; only its SHA-256
-- is kept, so a copy of this table opens no session. A session ends at logout, after
-- CONSOLE_IDLE_MINUTES unused, after CONSOLE_SESSION_HOURS in all, or when the account's
-- generation moves on (deactivated, new role or site, new password).

CREATE TABLE staff_sessions (
    secret_hash     bytea PRIMARY KEY,
    staff_id        bigint NOT NULL REFERENCES staff (id),
    token_gen       integer NOT NULL,
    created_at      timestamptz NOT NULL,
    last_seen_at    timestamptz NOT NULL,
    ended_at        timestamptz
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id) WHERE ended_at IS NULL;
