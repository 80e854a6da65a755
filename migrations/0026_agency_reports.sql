-- Agencies' reports (`/v1/reports/…`) read the items an agency registered in a period, in the
-- order they were registered: this index finds them, and streams them in that order, without
-- reading the rest of the table (the existing ones are ordered by the last change).
CREATE INDEX items_agency_registered ON items (agency_id, created_at, id);
