-- What the citizen conversation needs: their language, and their chosen days found quickly.

-- The language the citizen chose on their page: their SMS follow it too
-- (notifications/language.py holds the one rule both use).
ALTER TABLE items ADD COLUMN chosen_language text
    CHECK (chosen_language IN ('ar', 'ckb', 'en'));

-- Chosen delivery days that went by are found each morning (delivery/planning/carry_over.py).
CREATE INDEX items_delivery_day ON items (delivery_day) WHERE delivery_day IS NOT NULL;
