-- Agencies' integration details: a webhook secret replaced keeps the old one valid for an
-- overlap (deliveries carry both signatures meanwhile); when the webhook was set; agencies in
-- test mode; and the index `POST /v1/webhook/replay` reads: an agency's events that never
-- reached it (no webhook set then, or failed for good), by when they happened.

ALTER TABLE agencies
    ADD COLUMN webhook_previous_secret text,
    ADD COLUMN webhook_previous_until timestamptz,
    ADD COLUMN webhook_created_at timestamptz,
    ADD COLUMN test_mode boolean NOT NULL DEFAULT false;

UPDATE agencies SET webhook_created_at = webhook_updated_at WHERE webhook_url IS NOT NULL;

CREATE INDEX outbox_webhook_missed ON outbox (agency_id, created_at)
    WHERE channel = 'webhook'
      AND (status IN ('failed', 'dead') OR (status = 'done' AND last_error = 'no webhook set'));
