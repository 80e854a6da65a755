-- Tamper evidence for the custody log (DESIGN §7).
--
-- Each item records the head of its chain: how many events it has and the hash of the last.
-- Every statement that appends events writes it, so a cut-off tail, a deleted chain or a forged
-- last event no longer looks like a shorter or longer chain that verifies.
--
-- Every column of an event is hashed from now on (hash_version 2: event_code and emsevt were
-- left out before). Rows written earlier keep hash_version 1 and verify with the fields they
-- were hashed with: their event_code and emsevt are not covered. Python computes the hashes
-- (delivery/custody/chain.py), so they cannot be recomputed here; re-hashing later would let
-- anyone who can run it re-seal a rewritten log, which is what the chain exists to prevent.
-- The heads below are taken from the log as it stands when this runs.
--
-- The log is append-only: UPDATE, DELETE and TRUNCATE are refused whoever asks. The table's
-- owner or a superuser can still switch the trigger off (ALTER TABLE ... DISABLE TRIGGER,
-- session_replication_role = replica); the chain, the heads and the daily anchors held outside
-- Tasheel (migration 0012) are what catch such a person.

ALTER TABLE items
    ADD COLUMN chain_length integer NOT NULL DEFAULT 0,
    ADD COLUMN chain_head bytea NOT NULL
        DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000';

UPDATE items SET chain_length = e.seq, chain_head = e.hash
FROM (SELECT DISTINCT ON (item_id) item_id, seq, hash FROM custody_events
      ORDER BY item_id, seq DESC) AS e
WHERE items.id = e.item_id;

ALTER TABLE custody_events ADD COLUMN hash_version smallint NOT NULL DEFAULT 1;
-- Every writer states the version it hashed with.
ALTER TABLE custody_events ALTER COLUMN hash_version DROP DEFAULT;

-- The daily anchor reads the events of one day. Rows are only ever appended, in time order,
-- so a block-range index finds them for a few pages of index and almost no cost per insert.
CREATE INDEX custody_events_server_at ON custody_events USING brin (server_at);

CREATE FUNCTION refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER custody_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
    ON custody_events FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
