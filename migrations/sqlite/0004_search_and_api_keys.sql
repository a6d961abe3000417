-- Names and e-mails folded for search (ASCII, lower case: src/domain/search.rs), written with
-- every change to a user; rows from before this migration are filled in at start.
ALTER TABLE users ADD COLUMN name_fold TEXT;
ALTER TABLE users ADD COLUMN email_fold TEXT;

-- API keys: only a hash of the secret is kept (src/domain/api_keys.rs). Revoked keys stay,
-- so the activity log's apiKeyId keeps naming something.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    name         TEXT    NOT NULL,
    secret_hash  TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

CREATE INDEX api_keys_by_user ON api_keys (user_id, id);
