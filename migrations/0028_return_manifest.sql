-- Returns with reasons. The agency's return manifest (`GET /v1/returns?date=`) reads the day's
-- `returned` events (the agency's signature at the sorting centre) by time; a partial index keeps
-- that a range scan over the few such events rather than the whole custody log.

CREATE INDEX custody_events_returned ON custody_events (server_at) WHERE action = 'returned';
