-- The daily anchors (DESIGN §7): for each Asia/Baghdad day, the Merkle root of the custody chain
-- heads that changed that day, signed with Ed25519 (delivery/custody/merkle.py says exactly
-- what), published and sent to every agency. Made once per day and never changed.

CREATE TABLE anchors (
    day         date PRIMARY KEY,
    root        bytea NOT NULL,
    count       integer NOT NULL,       -- leaves: items whose chain changed that day
    signature   bytea NOT NULL,
    public_key  bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER anchors_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
    ON anchors FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
