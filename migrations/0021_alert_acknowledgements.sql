-- A supervisor's acknowledgement of an alert: who saw it and when. An alert has no row of its
-- own (most are read from the items, bags and scans as they stand), so one occurrence is named
-- by its kind, what it concerns (a tracking number, else a bag, else a device) and since when;
-- the same trouble starting again has a new `since` and is open again.
CREATE TABLE alert_acknowledgements (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL,
    subject         text NOT NULL,
    since           timestamptz NOT NULL,
    staff_id        bigint NOT NULL REFERENCES staff (id),
    acknowledged_at timestamptz NOT NULL,
    UNIQUE (kind, subject, since)
);
