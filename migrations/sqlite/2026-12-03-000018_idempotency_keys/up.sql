-- API requests sent with an Idempotency-Key: written in the same transaction as the change
-- the request made, and given the answer once it is sent, so a retried request gets the
-- first answer instead of doing the work twice. `scope` is a hash of the caller's token.
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER,
    content_type TEXT,
    location TEXT,
    body TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, idempotency_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
