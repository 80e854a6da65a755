-- Personal data of finished items is removed after PII_RETENTION_DAYS (delivery/privacy/).
-- The row, its state and times and its custody chain stay; this records when the rest went, so
-- pages and the API can say so instead of showing empty fields.
ALTER TABLE items ADD COLUMN pii_purged_at timestamptz;

-- The purge looks for finished items not purged yet, oldest change first.
CREATE INDEX items_purge_due ON items (updated_at)
    WHERE pii_purged_at IS NULL
      AND state IN ('delivered', 'collected', 'returned_to_agency', 'cancelled');
