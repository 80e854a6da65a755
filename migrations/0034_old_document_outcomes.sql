-- What became of the old document at an item's hand-over, kept with the item's outcome for the
-- agency's summary: `taken` (read back and taken, checked or, for a type that always takes
-- it back, as read) or `declared_lost`; null when the item replaces none.
-- The trigger already fires on every delivery and collection; only its function changes.
ALTER TABLE item_outcomes ADD COLUMN old_document text
    CHECK (old_document IN ('taken', 'declared_lost'));

CREATE OR REPLACE FUNCTION record_item_outcome() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    handed  timestamptz := CASE WHEN NEW.action IN ('deliver', 'collect') THEN NEW.server_at END;
    tried   integer := CASE WHEN NEW.action IN ('deliver', 'fail') THEN 1 ELSE 0 END;
    reason  text[] := CASE WHEN NEW.action = 'fail' THEN ARRAY[NEW.payload->>'reason'] ELSE '{}' END;
    back    text := CASE WHEN NEW.to_state = 'returning'
                              AND NEW.from_state IS DISTINCT FROM 'returning'
                         THEN coalesce(NEW.payload->>'return_reason', NEW.event_code) END;
    used_up boolean := NEW.event_code = 'attempts_exhausted';
    old     text := CASE WHEN NEW.action IN ('deliver', 'collect') AND NEW.payload ? 'old_document'
                         THEN CASE WHEN (NEW.payload->'old_document'->>'lost')::boolean
                                   THEN 'declared_lost' ELSE 'taken' END END;
BEGIN
    INSERT INTO item_outcomes AS o (item_id, handed_over_at, attempts, failure_reasons,
                                    sent_back_by, attempts_exhausted, old_document)
    VALUES (NEW.item_id, handed, tried, reason, back, used_up, old)
    ON CONFLICT (item_id) DO UPDATE SET
        handed_over_at = greatest(o.handed_over_at, EXCLUDED.handed_over_at),
        attempts = o.attempts + EXCLUDED.attempts,
        failure_reasons = o.failure_reasons || EXCLUDED.failure_reasons,
        sent_back_by = coalesce(EXCLUDED.sent_back_by, o.sent_back_by),
        attempts_exhausted = o.attempts_exhausted OR EXCLUDED.attempts_exhausted,
        old_document = coalesce(EXCLUDED.old_document, o.old_document);
    RETURN NULL;
END $$;

-- The hand-overs already written.
UPDATE item_outcomes o
SET old_document = CASE WHEN (c.payload->'old_document'->>'lost')::boolean
                        THEN 'declared_lost' ELSE 'taken' END
FROM custody_events c
WHERE c.item_id = o.item_id AND c.action IN ('deliver', 'collect') AND c.payload ? 'old_document';
