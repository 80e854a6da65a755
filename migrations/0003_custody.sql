-- Chain of custody: staff and their devices, handheld scans, bags, hand-overs, one-time codes,
-- alerts raised while scanning.

CREATE TABLE staff (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username        text NOT NULL UNIQUE,
    password_hash   text NOT NULL,                 -- argon2id, PHC string
    role            text NOT NULL CHECK (role IN ('sorting_clerk', 'branch_clerk', 'courier',
                                                  'supervisor', 'admin')),
    site_id         bigint REFERENCES sites (id),
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_site ON staff (site_id, role);

-- Each handheld, known by the id it logs in with: the last device time it reported.
CREATE TABLE devices (
    device_id       text PRIMARY KEY,
    last_staff_id   bigint REFERENCES staff (id),
    last_device_at  timestamptz,
    last_seen_at    timestamptz NOT NULL DEFAULT now()
);

-- Every scan ever received, keyed by the handheld's own id, with the result it got.
CREATE TABLE scans (
    scan_id         text PRIMARY KEY,
    staff_id        bigint NOT NULL REFERENCES staff (id),
    device_id       text NOT NULL,
    code            text NOT NULL,
    action          text NOT NULL,
    device_at       timestamptz NOT NULL,
    server_at       timestamptz NOT NULL,
    status          text NOT NULL CHECK (status IN ('applied', 'rejected')),
    state           text,
    error           text,
    clock_flags     text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX scans_flagged ON scans (server_at DESC) WHERE clock_flags <> '{}';

ALTER TABLE items
    ADD COLUMN courier_id       bigint REFERENCES staff (id),
    ADD COLUMN otp_mac          bytea,                     -- HMAC of the current code only
    ADD COLUMN otp_generation   integer NOT NULL DEFAULT 0,
    ADD COLUMN otp_wrong        integer NOT NULL DEFAULT 0,
    ADD COLUMN otp_locked       boolean NOT NULL DEFAULT false,
    ADD COLUMN failed_attempts  integer NOT NULL DEFAULT 0,
    -- A hand-over given but not yet confirmed by the receiving side.
    ADD COLUMN handover_action  text,
    ADD COLUMN handover_since   timestamptz;
CREATE INDEX items_courier ON items (courier_id, state);
CREATE INDEX items_hold ON items (hold_until) WHERE hold_until IS NOT NULL;
CREATE INDEX items_handover ON items (handover_since) WHERE handover_since IS NOT NULL;
CREATE INDEX items_state_updated ON items (state, updated_at);

CREATE SEQUENCE bag_serial MINVALUE 1 MAXVALUE 999999999 NO CYCLE;

CREATE TABLE bags (
    bag_id          text PRIMARY KEY,
    origin_id       bigint NOT NULL REFERENCES sites (id),
    destination_id  bigint NOT NULL REFERENCES sites (id),
    status          text NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'dispatched', 'arrived')),
    opened_by       bigint NOT NULL REFERENCES staff (id),
    opened_at       timestamptz NOT NULL,
    dispatched_at   timestamptz,
    arrived_at      timestamptz
);

-- The manifest: which items a bag holds (removed ones kept, with the time they left it).
CREATE TABLE bag_items (
    bag_id          text NOT NULL REFERENCES bags (bag_id),
    item_id         bigint NOT NULL REFERENCES items (id),
    added_at        timestamptz NOT NULL,
    removed_at      timestamptz,
    confirmed_at    timestamptz,                   -- the branch scanned the item itself
    PRIMARY KEY (bag_id, item_id)
);
CREATE UNIQUE INDEX bag_items_one_open_bag ON bag_items (item_id) WHERE removed_at IS NULL
    AND confirmed_at IS NULL;

-- Things seen while scanning that a supervisor must look at (missorts, clocks).
CREATE TABLE custody_alerts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL,
    item_id         bigint REFERENCES items (id),
    site_id         bigint REFERENCES sites (id),
    staff_id        bigint REFERENCES staff (id),
    device_id       text,
    detail          text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    resolved_at     timestamptz
);
CREATE INDEX custody_alerts_open ON custody_alerts (created_at DESC) WHERE resolved_at IS NULL;
