-- Who made and who returned an assignment (null: a change made outside a request).
ALTER TABLE assignments ADD COLUMN assigned_by BIGINT REFERENCES users (id) ON DELETE RESTRICT;
ALTER TABLE assignments ADD COLUMN returned_by BIGINT REFERENCES users (id) ON DELETE RESTRICT;

-- One row per committed change, written in the change's own transaction.
--
-- `seq` is handed out at insert, so two transactions can commit in the other order: it is
-- internal only. The public `id` is stamped after commit by one sequencer at a time (a
-- transaction advisory lock), in batches numbered from `event_state.last_id`: a row gets its id
-- only once its transaction has committed, and every later batch numbers above every earlier
-- one, so a reader that has seen id N finds every later commit above N, exactly once.
CREATE TABLE events (
    seq             BIGSERIAL PRIMARY KEY,
    id              BIGINT UNIQUE,
    at              BIGINT NOT NULL,
    actor_id        BIGINT,
    actor_name      TEXT,
    kind            TEXT   NOT NULL,
    vehicle_id      BIGINT,
    technician_id   BIGINT,
    user_id         BIGINT,
    assignment_id   BIGINT,
    organization_id TEXT,
    rel_id          BIGINT,
    api_key_id      BIGINT,
    data            TEXT   NOT NULL
);

CREATE INDEX events_unstamped ON events (seq) WHERE id IS NULL;
CREATE INDEX events_by_at ON events (at);
CREATE INDEX events_by_vehicle ON events (vehicle_id, id) WHERE vehicle_id IS NOT NULL;
CREATE INDEX events_by_technician ON events (technician_id, id) WHERE technician_id IS NOT NULL;
CREATE INDEX events_by_user ON events (user_id, id) WHERE user_id IS NOT NULL;
CREATE INDEX events_by_actor ON events (actor_id, id) WHERE actor_id IS NOT NULL;

-- The last public id handed out, and the highest id pruned by retention (older ids → reset).
CREATE TABLE event_state (
    singleton      BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    last_id        BIGINT  NOT NULL DEFAULT 0,
    pruned_through BIGINT  NOT NULL DEFAULT 0
);
INSERT INTO event_state DEFAULT VALUES;
