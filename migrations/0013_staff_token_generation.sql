-- Each staff token carries the account's generation when it was issued; deactivating the
-- account, changing its role or site, or resetting its password moves the generation on, so
-- every token issued before is refused from its next request.
ALTER TABLE staff ADD COLUMN token_gen integer NOT NULL DEFAULT 0;
