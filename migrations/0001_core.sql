-- Core schema: reference data, agencies and their keys, sites, items, the custody log, the outbox.
-- Times are UTC (timestamptz); geometry is WKB in bytea (no PostGIS, so the embedded server works).

CREATE TABLE governorates (
    code        text PRIMARY KEY,              -- ISO 3166-2:IQ, or a project-local code
    iso         boolean NOT NULL,
    name_en     text NOT NULL,
    name_ar     text NOT NULL,
    name_ckb    text NOT NULL,
    capital     text NOT NULL,
    lat         double precision NOT NULL,
    lon         double precision NOT NULL
);

CREATE TABLE sites (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code            text NOT NULL UNIQUE,
    kind            text NOT NULL CHECK (kind IN ('branch', 'sorting_centre')),
    governorate     text NOT NULL REFERENCES governorates (code),
    name_ar         text NOT NULL,
    name_en         text NOT NULL,
    name_ckb        text NOT NULL,
    lat             double precision NOT NULL,
    lon             double precision NOT NULL,
    opening_hours   jsonb NOT NULL DEFAULT '[]',
    is_main         boolean NOT NULL DEFAULT false,   -- the governorate's main branch
    sorting_centre  bigint REFERENCES sites (id),     -- the centre that feeds this branch
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX sites_one_main_branch_per_governorate
    ON sites (governorate) WHERE is_main AND kind = 'branch';

CREATE TABLE service_areas (
    site_id     bigint PRIMARY KEY REFERENCES sites (id) ON DELETE CASCADE,
    geometry    bytea NOT NULL,
    area_km2    double precision NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Bumped on every change to service areas, so every process knows to rebuild its index.
CREATE TABLE service_area_version (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version     bigint NOT NULL
);
INSERT INTO service_area_version VALUES (true, 0);

CREATE TABLE agencies (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code            text NOT NULL UNIQUE,
    name            text NOT NULL,
    language        text CHECK (language IN ('ar', 'ckb', 'en')),
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- A key is "tsk_<prefix>_<secret>"; the prefix finds the row, the SHA-256 of the whole key proves it.
CREATE TABLE api_keys (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency_id       bigint NOT NULL REFERENCES agencies (id),
    prefix          text NOT NULL UNIQUE,
    key_hash        bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz,
    last_used_at    timestamptz
);
CREATE INDEX api_keys_agency ON api_keys (agency_id);

CREATE SEQUENCE item_serial MINVALUE 1 MAXVALUE 99999999 NO CYCLE;

CREATE TABLE items (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tracking_number     text NOT NULL UNIQUE,
    agency_id           bigint NOT NULL REFERENCES agencies (id),
    external_ref        text NOT NULL,
    fingerprint         bytea NOT NULL,        -- of the normalised submission, for idempotency
    comparable          jsonb NOT NULL,        -- per-field digests, to say which fields differ
    document_type       text NOT NULL,
    state               text NOT NULL,
    citizen_name        text,                  -- PII: purged after retention
    citizen_phone       text,                  -- E.164; PII
    national_id_hash    bytea,                 -- keyed hash, never the number itself
    national_id_last4   text,
    language            text,
    governorate         text NOT NULL REFERENCES governorates (code),
    district            text,
    address_text        text,                  -- PII
    lat                 double precision,
    lon                 double precision,
    delivery_mode       text CHECK (delivery_mode IN ('home', 'pickup')),
    branch_id           bigint REFERENCES sites (id),
    assignment_rule     text NOT NULL,
    token_hash          bytea NOT NULL UNIQUE, -- SHA-256 of the citizen's tracking token
    hold_until          timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (agency_id, external_ref)
);
CREATE INDEX items_agency_changes ON items (agency_id, updated_at DESC, id DESC);
CREATE INDEX items_agency_state ON items (agency_id, state, updated_at DESC, id DESC);
CREATE INDEX items_branch_state ON items (branch_id, state);

-- Append-only: each event carries the hash of its item's previous event.
CREATE TABLE custody_events (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id         bigint NOT NULL REFERENCES items (id),
    seq             integer NOT NULL,
    action          text NOT NULL,
    from_state      text,
    to_state        text NOT NULL,
    event_code      text NOT NULL,
    emsevt          text,
    actor_role      text NOT NULL,
    actor_id        bigint,
    device_id       text,
    site_id         bigint REFERENCES sites (id),
    device_at       timestamptz,
    server_at       timestamptz NOT NULL DEFAULT now(),
    payload         jsonb NOT NULL DEFAULT '{}',
    prev_hash       bytea NOT NULL,
    hash            bytea NOT NULL,
    UNIQUE (item_id, seq)
);

CREATE TABLE idempotency_keys (
    agency_id       bigint NOT NULL REFERENCES agencies (id),
    key             text NOT NULL,
    request_hash    bytea NOT NULL,
    status_code     integer NOT NULL,
    response        bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency_id, key)
);

-- Everything a state change must cause outside the database, written in the same transaction.
CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel         text NOT NULL CHECK (channel IN ('sms', 'webhook')),
    topic           text NOT NULL,
    item_id         bigint REFERENCES items (id),
    agency_id       bigint REFERENCES agencies (id),
    payload         jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'enqueued', 'sending', 'done', 'failed', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    available_at    timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_ready ON outbox (available_at, id) WHERE status = 'pending';
CREATE INDEX outbox_item ON outbox (item_id);

CREATE FUNCTION outbox_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_wake AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_wake();
