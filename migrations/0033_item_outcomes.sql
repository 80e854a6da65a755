-- What an item's custody log says of its outcome, kept as its events are written, so that an
-- agency's reports over a year read one row per item instead of aggregating every event
-- (a year's summary of 1,000,000 items went from ~14 s to a few seconds: benchmarks/reports.py).
-- Only the events that change an outcome fire the trigger (its WHEN clause): registering,
-- receiving, bagging and the rest of a document's way cost nothing more.
-- The item's row is locked by whoever writes its next event, so two writers never race here.
CREATE TABLE item_outcomes (
    item_id             bigint PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
    handed_over_at      timestamptz,            -- the last delivery or counter collection
    attempts            integer NOT NULL DEFAULT 0,  -- the courier's tries at the door
    failure_reasons     text[] NOT NULL DEFAULT '{}',  -- each failed attempt's reason, in order
    sent_back_by        text,                   -- the reason (or event) it last turned back
    attempts_exhausted  boolean NOT NULL DEFAULT false
);

CREATE FUNCTION record_item_outcome() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    handed  timestamptz := CASE WHEN NEW.action IN ('deliver', 'collect') THEN NEW.server_at END;
    tried   integer := CASE WHEN NEW.action IN ('deliver', 'fail') THEN 1 ELSE 0 END;
    reason  text[] := CASE WHEN NEW.action = 'fail' THEN ARRAY[NEW.payload->>'reason'] ELSE '{}' END;
    back    text := CASE WHEN NEW.to_state = 'returning'
                              AND NEW.from_state IS DISTINCT FROM 'returning'
                         THEN coalesce(NEW.payload->>'return_reason', NEW.event_code) END;
    used_up boolean := NEW.event_code = 'attempts_exhausted';
BEGIN
    INSERT INTO item_outcomes AS o (item_id, handed_over_at, attempts, failure_reasons,
                                    sent_back_by, attempts_exhausted)
    VALUES (NEW.item_id, handed, tried, reason, back, used_up)
    ON CONFLICT (item_id) DO UPDATE SET
        handed_over_at = greatest(o.handed_over_at, EXCLUDED.handed_over_at),
        attempts = o.attempts + EXCLUDED.attempts,
        failure_reasons = o.failure_reasons || EXCLUDED.failure_reasons,
        sent_back_by = coalesce(EXCLUDED.sent_back_by, o.sent_back_by),
        attempts_exhausted = o.attempts_exhausted OR EXCLUDED.attempts_exhausted;
    RETURN NULL;
END $$;

CREATE TRIGGER custody_events_outcome AFTER INSERT ON custody_events
FOR EACH ROW WHEN (NEW.action IN ('deliver', 'collect', 'fail')
                   OR (NEW.to_state = 'returning' AND NEW.from_state IS DISTINCT FROM 'returning')
                   OR NEW.event_code = 'attempts_exhausted')
EXECUTE FUNCTION record_item_outcome();

-- The outcomes of the items already written, in the order their events happened.
INSERT INTO item_outcomes (item_id, handed_over_at, attempts, failure_reasons, sent_back_by,
                           attempts_exhausted)
SELECT c.item_id,
       max(c.server_at) FILTER (WHERE c.action IN ('deliver', 'collect')),
       count(*) FILTER (WHERE c.action IN ('deliver', 'fail')),
       coalesce(array_agg(c.payload->>'reason' ORDER BY c.seq)
                    FILTER (WHERE c.action = 'fail'), '{}'),
       (array_agg(coalesce(c.payload->>'return_reason', c.event_code) ORDER BY c.seq DESC)
            FILTER (WHERE c.to_state = 'returning'
                    AND c.from_state IS DISTINCT FROM 'returning'))[1],
       coalesce(bool_or(c.event_code = 'attempts_exhausted'), false)
FROM custody_events c
WHERE c.action IN ('deliver', 'collect', 'fail')
   OR (c.to_state = 'returning' AND c.from_state IS DISTINCT FROM 'returning')
   OR c.event_code = 'attempts_exhausted'
GROUP BY c.item_id;
