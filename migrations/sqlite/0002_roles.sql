-- Organizations form a tree; role assignments tie a user to one for a range of whole UTC days
-- (days since 1970-01-01, both ends inclusive). Writes that could overlap run in BEGIN IMMEDIATE.
CREATE TABLE organizations (
    id         TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL,
    parent_id  TEXT    REFERENCES organizations (id) ON DELETE RESTRICT,
    created_at INTEGER NOT NULL
);

CREATE TABLE role_assignments (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    organization_id TEXT    NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
    roles           TEXT    NOT NULL,
    valid_from      INTEGER NOT NULL,
    valid_to        INTEGER NOT NULL,
    CHECK (valid_from <= valid_to)
);

CREATE INDEX organizations_by_parent ON organizations (parent_id);
CREATE INDEX role_assignments_by_user_org ON role_assignments (user_id, organization_id, valid_from);
CREATE INDEX role_assignments_by_org ON role_assignments (organization_id, valid_from);
