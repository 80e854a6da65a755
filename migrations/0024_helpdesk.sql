-- The help desk: a code sent to the citizen's phone proves who is on the line (one live check
-- per item and member of staff; a new send replaces it), and each member of staff's lookups are
-- counted so the desk cannot be used to try tracking numbers and phones one after another.

CREATE TABLE helpdesk_checks (
    item_id         bigint NOT NULL REFERENCES items (id),
    staff_id        bigint NOT NULL REFERENCES staff (id),
    code_mac        bytea NOT NULL,                -- HMAC of the code; the code is never kept
    sent_at         timestamptz NOT NULL,
    wrong_attempts  integer NOT NULL DEFAULT 0,
    confirmed_at    timestamptz,
    PRIMARY KEY (item_id, staff_id)
);

-- One row per lookup; item_id is set when the lookup found the item (it then stays open on the
-- desk's screen for a while), NULL when it did not.
CREATE TABLE helpdesk_lookups (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id        bigint NOT NULL REFERENCES staff (id),
    item_id         bigint REFERENCES items (id),
    at              timestamptz NOT NULL
);
CREATE INDEX helpdesk_lookups_staff ON helpdesk_lookups (staff_id, at);
