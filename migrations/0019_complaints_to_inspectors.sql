-- Complaints and "yes, asked for money" answers go to the inspectors of the item's
-- governorate, never to the branch they are about. Handling records who, when and what was
-- done; an inspector can reopen; every read of a complaint is kept.

ALTER TABLE citizen_reports ADD COLUMN outcome text
    CHECK (outcome IN ('investigated', 'staff_warned', 'referred', 'unfounded'));

CREATE TABLE complaint_actions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id   bigint NOT NULL REFERENCES citizen_reports (id),
    staff_id    bigint NOT NULL REFERENCES staff (id),
    at          timestamptz NOT NULL,
    action      text NOT NULL CHECK (action IN ('handled', 'reopened')),
    outcome     text,
    note        text NOT NULL DEFAULT ''
);
CREATE INDEX complaint_actions_report ON complaint_actions (report_id, at);

CREATE TABLE complaint_reads (
    report_id   bigint NOT NULL REFERENCES citizen_reports (id),
    staff_id    bigint NOT NULL REFERENCES staff (id),
    at          timestamptz NOT NULL
);
CREATE INDEX complaint_reads_report ON complaint_reads (report_id, at);

INSERT INTO complaint_actions (report_id, staff_id, at, action, note)
SELECT id, handled_by, handled_at, 'handled', coalesce(handled_note, '')
FROM citizen_reports WHERE handled_at IS NOT NULL AND handled_by IS NOT NULL;

CREATE INDEX citizen_reports_queue ON citizen_reports (asked_for_money DESC, created_at DESC)
    WHERE handled_at IS NULL;
