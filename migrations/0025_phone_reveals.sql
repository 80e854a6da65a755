-- The handheld's working day. The citizen's phone number shown in full to the courier carrying
-- the item: every time it is shown, who saw it, from which handheld and when (refused attempts
-- reveal nothing and leave no row); and the indexes the day's lists read.

CREATE TABLE phone_reveals (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id         bigint NOT NULL REFERENCES items (id),
    staff_id        bigint NOT NULL REFERENCES staff (id),
    device_id       text NOT NULL,
    revealed_at     timestamptz NOT NULL
);
CREATE INDEX phone_reveals_item ON phone_reveals (item_id, revealed_at);
CREATE INDEX phone_reveals_staff ON phone_reveals (staff_id, revealed_at);

-- What a member of staff did on a day (`GET /v1/me/today`): their custody events by time.
CREATE INDEX custody_events_actor ON custody_events (actor_id, server_at) WHERE actor_id IS NOT NULL;

-- The bags a sorting centre sends and a branch expects (`GET /v1/bags`), by status.
CREATE INDEX bags_origin_status ON bags (origin_id, status);
CREATE INDEX bags_destination_status ON bags (destination_id, status);
