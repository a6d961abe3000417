-- Organizations form a tree; role assignments tie a user to one for a range of whole UTC days
-- (days since 1970-01-01, both ends inclusive).
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE organizations (
    id         TEXT   PRIMARY KEY,
    name       TEXT   NOT NULL,
    parent_id  TEXT   REFERENCES organizations (id) ON DELETE RESTRICT,
    created_at BIGINT NOT NULL
);

CREATE TABLE role_assignments (
    id              BIGSERIAL PRIMARY KEY,
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    organization_id TEXT   NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
    roles           TEXT   NOT NULL,
    valid_from      BIGINT NOT NULL,
    valid_to        BIGINT NOT NULL,
    CHECK (valid_from <= valid_to),
    -- The rule itself: one user's assignments in one organization never share a day.
    -- Checked at commit, so a resolve may reorder dates within its transaction.
    CONSTRAINT role_assignments_no_overlap EXCLUDE USING gist (
        user_id WITH =,
        organization_id WITH =,
        int8range(valid_from, valid_to, '[]') WITH &&
    ) DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX organizations_by_parent ON organizations (parent_id);
CREATE INDEX role_assignments_by_org ON role_assignments (organization_id, valid_from);
