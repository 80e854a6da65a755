-- Districts (qadha) and mahallas per governorate, each with a representative point, so an item
-- known only by address words is assigned to the branch serving its district and gets a stop
-- there (flagged: the courier calls ahead). Seeded from delivery/sites/data/iraq_districts.csv;
-- edited with `tasheel districts`. Each edit bumps service_area_version, which every process
-- already checks before assigning, so no process keeps an old table.
CREATE TABLE districts (
    governorate  text NOT NULL REFERENCES governorates (code),
    key          text NOT NULL CHECK (key ~ '^[a-z0-9_]{1,40}$'),
    name_ar      text NOT NULL,
    name_en      text NOT NULL,
    name_ckb     text NOT NULL DEFAULT '',
    aliases      text[] NOT NULL DEFAULT '{}',
    lat          double precision NOT NULL CHECK (lat BETWEEN 29.0 AND 37.5),
    lon          double precision NOT NULL CHECK (lon BETWEEN 38.7 AND 48.8),
    parent       text,
    branch_code  text,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (governorate, key),
    FOREIGN KEY (governorate, parent) REFERENCES districts (governorate, key)
);

-- What intake noticed about an item's data without refusing it (e.g. a point outside the
-- governorate the agency named); shown to the agency and to staff.
ALTER TABLE items ADD COLUMN location_warning text;

-- Where a stop's point came from when it is not the citizen's own: 'district' (the district's or
-- mahalla's point; the courier calls ahead).
ALTER TABLE route_stops ADD COLUMN located_by text;
