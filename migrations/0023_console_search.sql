-- The console's search (delivery/console/search/) and the record of who read which item.

-- A phone is found by its last 4 to 8 digits. Reversed, the tail becomes a prefix, which a
-- b-tree in the "C" collation serves as a plain range (reverse(phone) >= '7654' AND < '7655'),
-- whatever the tail's length, with a parameter as well as a constant (a LIKE prefix needs the
-- constant). `tests/integration/test_console_search.py` holds the EXPLAIN of it.
CREATE INDEX items_phone_tail ON items ((reverse(citizen_phone) COLLATE "C"))
    WHERE citizen_phone IS NOT NULL;

-- An agency's reference is unique per agency only (items' UNIQUE (agency_id, external_ref));
-- the console finds it whatever the agency.
CREATE INDEX items_external_ref ON items (external_ref);

-- Every opening of an item's page in the console: inspectors must know who looked at what.
CREATE TABLE ops_reads (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id    bigint NOT NULL REFERENCES staff (id),
    item_id     bigint NOT NULL REFERENCES items (id),
    read_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ops_reads_item ON ops_reads (item_id, read_at DESC);
CREATE INDEX ops_reads_staff ON ops_reads (staff_id, read_at DESC);
