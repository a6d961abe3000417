-- Depot operations (API.md §8): a vehicle's service status and last odometer reading, the
-- readings taken when an assignment is returned, and the read-only `viewer` role.

ALTER TABLE vehicles ADD COLUMN service_status TEXT NOT NULL DEFAULT 'in_service'
    CHECK (service_status IN ('in_service', 'in_shop', 'out_of_service'));
ALTER TABLE vehicles ADD COLUMN status_note TEXT;
ALTER TABLE vehicles ADD COLUMN odometer_km INTEGER;

ALTER TABLE assignments ADD COLUMN return_odometer_km INTEGER;
ALTER TABLE assignments ADD COLUMN return_note TEXT;

-- SQLite cannot change a CHECK constraint in place: the users table is rebuilt. The store runs
-- this migration with foreign keys off (they are checked again afterwards), so the tables that
-- refer to users keep pointing at the rebuilt one.
CREATE TABLE users_rebuilt (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    email_key     TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'technician', 'viewer')),
    created_at    INTEGER NOT NULL,
    name_fold     TEXT,
    email_fold    TEXT
);
INSERT INTO users_rebuilt (id, name, email, email_key, password_hash, role, created_at, name_fold, email_fold)
    SELECT id, name, email, email_key, password_hash, role, created_at, name_fold, email_fold FROM users;
DROP TABLE users;
ALTER TABLE users_rebuilt RENAME TO users;
