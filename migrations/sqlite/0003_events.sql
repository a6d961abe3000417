-- Who made and who returned an assignment (null: a change made outside a request).
ALTER TABLE assignments ADD COLUMN assigned_by INTEGER REFERENCES users (id);
ALTER TABLE assignments ADD COLUMN returned_by INTEGER REFERENCES users (id);

-- One row per committed change, written in the change's own transaction. Writers take the
-- database's one write lock up front (BEGIN IMMEDIATE), so AUTOINCREMENT order is commit order.
CREATE TABLE events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at              INTEGER NOT NULL,
    actor_id        INTEGER,
    actor_name      TEXT,
    kind            TEXT    NOT NULL,
    vehicle_id      INTEGER,
    technician_id   INTEGER,
    user_id         INTEGER,
    assignment_id   INTEGER,
    organization_id TEXT,
    rel_id          INTEGER,
    api_key_id      INTEGER,
    data            TEXT    NOT NULL
);

CREATE INDEX events_by_at ON events (at);
CREATE INDEX events_by_vehicle ON events (vehicle_id, id) WHERE vehicle_id IS NOT NULL;
CREATE INDEX events_by_technician ON events (technician_id, id) WHERE technician_id IS NOT NULL;
CREATE INDEX events_by_user ON events (user_id, id) WHERE user_id IS NOT NULL;
CREATE INDEX events_by_actor ON events (actor_id, id) WHERE actor_id IS NOT NULL;

-- The highest id pruned by retention: a reader resuming from an older id must reload.
CREATE TABLE event_state (
    singleton      INTEGER PRIMARY KEY CHECK (singleton = 1),
    last_id        INTEGER NOT NULL DEFAULT 0,
    pruned_through INTEGER NOT NULL DEFAULT 0
);
INSERT INTO event_state (singleton) VALUES (1);
