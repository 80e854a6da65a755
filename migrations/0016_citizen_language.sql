-- The language the citizen chose on their page: their SMS follow it too
-- (notifications/language.py holds the one rule both use).
ALTER TABLE items ADD COLUMN chosen_language text
    CHECK (chosen_language IN ('ar', 'ckb', 'en'));
