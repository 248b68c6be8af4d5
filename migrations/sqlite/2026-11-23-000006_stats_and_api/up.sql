-- An organisation chooses to publish its totals (read-only page and JSON for its website).
ALTER TABLE organisations ADD COLUMN public_summary BOOLEAN NOT NULL DEFAULT 0;

-- Personal API tokens: only a SHA-256 of the secret is kept; the prefix identifies a
-- token in lists without revealing it.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Exports and statistics read an organisation's records in id order, batch by batch.
CREATE INDEX reuse_records_receiving_id ON reuse_records (receiving_organisation_id, id);
