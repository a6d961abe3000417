-- Depot operations (API.md §8): a vehicle's service status and last odometer reading, the
-- readings taken when an assignment is returned, and the read-only `viewer` role.

ALTER TABLE vehicles ADD COLUMN service_status TEXT NOT NULL DEFAULT 'in_service'
    CHECK (service_status IN ('in_service', 'in_shop', 'out_of_service'));
ALTER TABLE vehicles ADD COLUMN status_note TEXT;
ALTER TABLE vehicles ADD COLUMN odometer_km BIGINT;

ALTER TABLE assignments ADD COLUMN return_odometer_km BIGINT;
ALTER TABLE assignments ADD COLUMN return_note TEXT;

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'technician', 'viewer'));
