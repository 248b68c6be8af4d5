DROP INDEX items_expiry;
DELETE FROM mail_outbox WHERE notice IS NOT NULL AND sent_at IS NULL;
CREATE TABLE mail_outbox_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    sent_at TIMESTAMP,
    last_error TEXT
);
INSERT INTO mail_outbox_old (id, recipient, subject, body_text, body_html, created_at, attempts,
                             next_attempt_at, locked_until, sent_at, last_error)
    SELECT id, recipient, COALESCE(subject, ''), COALESCE(body_text, ''), COALESCE(body_html, ''),
           created_at, attempts, next_attempt_at, locked_until, sent_at, last_error
    FROM mail_outbox;
DROP TABLE mail_outbox;
ALTER TABLE mail_outbox_old RENAME TO mail_outbox;
CREATE INDEX mail_outbox_due ON mail_outbox (sent_at, next_attempt_at);
