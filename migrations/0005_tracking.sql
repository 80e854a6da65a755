-- The citizen's page: the chosen delivery day and window, the address a citizen shares, public
-- holidays, and the supervisors' queue of complaints and "asked for money" answers.

ALTER TABLE items
    -- Route planning honours these: a home delivery is planned on delivery_day, in the window.
    ADD COLUMN delivery_day     date,
    ADD COLUMN delivery_window  text CHECK (delivery_window IN ('morning', 'afternoon')),
    -- Iraqi addresses as people give them (PII, purged with the rest of the address).
    ADD COLUMN mahalla          text,
    ADD COLUMN zuqaq            text,
    ADD COLUMN house            text,
    -- Where lat/lon came from: 'agency', 'citizen_geolocation'.
    ADD COLUMN location_source  text;

CREATE INDEX items_branch_delivery_day ON items (branch_id, delivery_day)
    WHERE delivery_day IS NOT NULL;

-- Declared at short notice, sometimes for some governorates only (governorate NULL: all).
CREATE TABLE holidays (
    day         date NOT NULL,
    governorate text REFERENCES governorates (code),
    name        text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX holidays_once ON holidays (day, coalesce(governorate, ''));

-- One answer per item: whether anyone asked for money, and what the citizen wants to say.
CREATE TABLE citizen_reports (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id          bigint NOT NULL UNIQUE REFERENCES items (id),
    branch_id        bigint REFERENCES sites (id),
    asked_for_money  boolean NOT NULL,
    complaint        text NOT NULL DEFAULT '',
    -- The staff who handled the item, from its custody events: [{"role", "id", "actions"}].
    staff            jsonb NOT NULL DEFAULT '[]',
    created_at       timestamptz NOT NULL DEFAULT now(),
    handled_by       bigint REFERENCES staff (id),
    handled_at       timestamptz,
    handled_note     text
);
CREATE INDEX citizen_reports_open ON citizen_reports (branch_id, created_at DESC)
    WHERE handled_at IS NULL;
