-- Agency intake: webhook endpoints and the log of their deliveries; the landmark of an address.

ALTER TABLE items ADD COLUMN landmark text;

ALTER TABLE agencies
    ADD COLUMN webhook_url text,
    -- Needed in clear to sign each delivery (HMAC), so it cannot be stored as a one-way hash.
    ADD COLUMN webhook_secret text,
    ADD COLUMN webhook_updated_at timestamptz;

CREATE TABLE webhook_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outbox_id       bigint NOT NULL REFERENCES outbox (id),
    agency_id       bigint NOT NULL REFERENCES agencies (id),
    attempt         integer NOT NULL,
    url             text NOT NULL,
    status_code     integer,
    error           text,
    duration_ms     integer NOT NULL,
    succeeded       boolean NOT NULL,
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_agency ON webhook_deliveries (agency_id, id DESC);
CREATE UNIQUE INDEX webhook_deliveries_one_success
    ON webhook_deliveries (outbox_id) WHERE succeeded;
