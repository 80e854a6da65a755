-- Workers say they are alive, and outbox rows say which worker holds them: the rows of a worker
-- that died are handed back once its heartbeat is a few seconds old (delivery/outbox/holds.py),
-- not after the ten minutes that only rows lost with Redis still wait for, and a worker that
-- stops hands its rows back at once.

CREATE UNLOGGED TABLE workers (
    id          uuid PRIMARY KEY,
    host        text NOT NULL,
    pid         integer NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    beat_at     timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE outbox ADD COLUMN held_by uuid;
CREATE INDEX outbox_held ON outbox (held_by) WHERE status = 'sending';
