-- Mail is queued as a structured notice and rendered by the mail worker when it is sent,
-- outside the transaction that caused it. Rows queued before this migration keep their
-- rendered subject and bodies and are sent as they are. SQLite cannot drop NOT NULL, so the
-- table is rebuilt.
CREATE TABLE mail_outbox_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    subject TEXT,
    body_text TEXT,
    body_html TEXT,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    sent_at TIMESTAMP,
    last_error TEXT,
    language TEXT,
    notice TEXT,
    CHECK (notice IS NOT NULL OR (subject IS NOT NULL AND body_text IS NOT NULL AND body_html IS NOT NULL))
);
INSERT INTO mail_outbox_new (id, recipient, subject, body_text, body_html, created_at, attempts,
                             next_attempt_at, locked_until, sent_at, last_error)
    SELECT id, recipient, subject, body_text, body_html, created_at, attempts,
           next_attempt_at, locked_until, sent_at, last_error
    FROM mail_outbox;
DROP TABLE mail_outbox;
ALTER TABLE mail_outbox_new RENAME TO mail_outbox;
CREATE INDEX mail_outbox_due ON mail_outbox (sent_at, next_attempt_at);

-- The listing expiry job looks for listings on offer whose end date has passed.
CREATE INDEX items_expiry ON items (expires_on) WHERE status = 'available' AND expires_on IS NOT NULL;
