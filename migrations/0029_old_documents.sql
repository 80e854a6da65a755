-- Old-document collection. `old_document_number` is the number of the document a new one
-- replaces, as the agency sent it (normalised): the hand-over of the new one then needs it read
-- back from the old document, or the citizen's declaration that it is lost. The old document,
-- once taken, is an item of its own travelling back to the agency: the two are linked both ways
-- (`old_document_item_id` on the new one, `old_document_of` on the old one).

ALTER TABLE items
    ADD COLUMN old_document_number text,
    ADD COLUMN old_document_item_id bigint REFERENCES items (id),
    ADD COLUMN old_document_of bigint UNIQUE REFERENCES items (id);
