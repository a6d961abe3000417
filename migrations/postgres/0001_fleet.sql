-- Times are whole seconds since the Unix epoch (UTC); both databases store them the same way.
CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT   NOT NULL,
    email         TEXT   NOT NULL,
    email_key     TEXT   NOT NULL UNIQUE,
    password_hash TEXT   NOT NULL,
    role          TEXT   NOT NULL CHECK (role IN ('admin', 'technician')),
    created_at    BIGINT NOT NULL
);

CREATE TABLE vehicles (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT   NOT NULL,
    license_plate TEXT   NOT NULL,
    plate_key     TEXT   NOT NULL UNIQUE,
    make          TEXT,
    model         TEXT,
    year          BIGINT,
    created_at    BIGINT NOT NULL
);

CREATE TABLE assignments (
    id            BIGSERIAL PRIMARY KEY,
    vehicle_id    BIGINT NOT NULL REFERENCES vehicles (id) ON DELETE RESTRICT,
    technician_id BIGINT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    status        TEXT   NOT NULL CHECK (status IN ('active', 'returned')),
    assigned_at   BIGINT NOT NULL,
    returned_at   BIGINT
);

-- The two business rules, held by the database itself.
CREATE UNIQUE INDEX assignments_one_active_per_vehicle ON assignments (vehicle_id) WHERE status = 'active';
CREATE UNIQUE INDEX assignments_one_active_per_technician ON assignments (technician_id) WHERE status = 'active';
CREATE INDEX assignments_newest_first ON assignments (assigned_at DESC, id DESC);
CREATE INDEX assignments_by_status_newest_first ON assignments (status, assigned_at DESC, id DESC);
CREATE INDEX assignments_by_vehicle ON assignments (vehicle_id);
