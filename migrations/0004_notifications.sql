-- Citizens' SMS: one row per outbox row that became (or tried to become) a message, and opt-outs.

-- Written and committed BEFORE the provider is called (status 'sending'), updated after: a row
-- left in 'sending' marks the one window where a crash leaves the outcome unknown.
CREATE TABLE sms_messages (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outbox_id       bigint NOT NULL UNIQUE REFERENCES outbox (id),
    item_id         bigint REFERENCES items (id),
    kind            text NOT NULL,
    language        text NOT NULL,
    encoding        text NOT NULL CHECK (encoding IN ('GSM-7', 'UCS-2')),
    segments        integer NOT NULL CHECK (segments > 0),
    cost            numeric(12, 5) NOT NULL,
    status          text NOT NULL,
    provider_sid    text UNIQUE,
    calls           integer NOT NULL DEFAULT 0,   -- how many times the provider was called
    error_code      integer,
    error           text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sms_messages_item ON sms_messages (item_id);
CREATE INDEX sms_messages_status ON sms_messages (status) WHERE status IN ('sending', 'unknown');

-- Numbers that replied STOP (or its Arabic or Kurdish equivalents); START removes them.
CREATE TABLE sms_opt_outs (
    phone           text PRIMARY KEY,             -- E.164
    keyword         text NOT NULL,
    opted_out_at    timestamptz NOT NULL DEFAULT now()
);

-- The citizen's choice by SMS looks up their most recent item by phone.
CREATE INDEX items_citizen_phone ON items (citizen_phone, created_at DESC);

CREATE INDEX outbox_dead ON outbox (updated_at DESC, id DESC) WHERE status IN ('dead', 'failed');

-- How many times the relay handed the row to Redis: part of the job id, so every hand-over is a
-- new job (after a retry, a deferral or a retry by hand) while a replayed one is not.
ALTER TABLE outbox ADD COLUMN enqueues integer NOT NULL DEFAULT 0;
