-- Courier routes: couriers' shifts as data, and daily plans per branch as numbered versions.
-- Planned times are timestamptz (UTC); they are shown in Asia/Baghdad.

-- A courier's usual working day; couriers without a row get the configured defaults.
CREATE TABLE courier_profiles (
    staff_id        bigint PRIMARY KEY REFERENCES staff (id),
    vehicle         text NOT NULL CHECK (vehicle IN ('foot', 'motorcycle', 'car')),
    capacity_items  integer NOT NULL CHECK (capacity_items > 0),
    shift_start     time NOT NULL,
    shift_end       time NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (shift_end > shift_start)
);

-- One day differing from the profile: off (sick, leave) or other hours / bag / vehicle.
CREATE TABLE courier_days (
    staff_id        bigint NOT NULL REFERENCES staff (id),
    day             date NOT NULL,
    off             boolean NOT NULL DEFAULT false,
    reason          text NOT NULL DEFAULT '',
    vehicle         text CHECK (vehicle IN ('foot', 'motorcycle', 'car')),
    capacity_items  integer CHECK (capacity_items > 0),
    shift_start     time,
    shift_end       time,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (staff_id, day)
);

-- A branch's plan for a day; re-planning adds a version, the newest one is the plan in force.
CREATE TABLE route_plans (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    branch_id           bigint NOT NULL REFERENCES sites (id),
    day                 date NOT NULL,
    version             integer NOT NULL,
    trigger             text NOT NULL,              -- 'cli', 'cron', …
    inputs_digest       bytea NOT NULL,             -- of items, windows and couriers planned
    travel_source       text NOT NULL,              -- 'haversine', 'osrm', 'haversine_fallback'
    total_distance_m    bigint NOT NULL,
    total_duration_s    bigint NOT NULL,
    items_routed        integer NOT NULL,
    items_left_out      integer NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (branch_id, day, version)
);

-- Each courier of a plan version, including those with nothing to do.
CREATE TABLE route_couriers (
    plan_id         bigint NOT NULL REFERENCES route_plans (id) ON DELETE CASCADE,
    courier_id      bigint NOT NULL REFERENCES staff (id),
    vehicle         text NOT NULL,
    capacity_items  integer NOT NULL,
    shift_start     timestamptz NOT NULL,
    shift_end       timestamptz NOT NULL,
    distance_m      bigint NOT NULL,
    duration_s      bigint NOT NULL,
    PRIMARY KEY (plan_id, courier_id)
);

-- The ordered stops of each courier; `fixed` stops hold items the courier already carries.
CREATE TABLE route_stops (
    plan_id         bigint NOT NULL REFERENCES route_plans (id) ON DELETE CASCADE,
    courier_id      bigint NOT NULL REFERENCES staff (id),
    seq             integer NOT NULL,
    item_ids        bigint[] NOT NULL,
    lat             double precision NOT NULL,
    lon             double precision NOT NULL,
    window_start    timestamptz NOT NULL,
    window_end      timestamptz NOT NULL,
    service_s       integer NOT NULL,
    arrival_at      timestamptz NOT NULL,
    departure_at    timestamptz NOT NULL,
    fixed           boolean NOT NULL DEFAULT false,
    PRIMARY KEY (plan_id, courier_id, seq)
);
CREATE INDEX route_stops_items ON route_stops USING gin (item_ids);

-- Items of a version that no courier takes, and why; they stay for the next plan.
CREATE TABLE route_left_out (
    plan_id         bigint NOT NULL REFERENCES route_plans (id) ON DELETE CASCADE,
    item_id         bigint NOT NULL REFERENCES items (id),
    reason          text NOT NULL,
    PRIMARY KEY (plan_id, item_id)
);
CREATE INDEX route_left_out_item ON route_left_out (item_id);

-- A courier whose route changed in a new version is told so; the courier's app shows it.
CREATE TABLE route_notices (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    courier_id      bigint NOT NULL REFERENCES staff (id),
    plan_id         bigint NOT NULL REFERENCES route_plans (id) ON DELETE CASCADE,
    day             date NOT NULL,
    plan_version    integer NOT NULL,
    detail          text NOT NULL,
    changed_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX route_notices_courier ON route_notices (courier_id, day, id DESC);
