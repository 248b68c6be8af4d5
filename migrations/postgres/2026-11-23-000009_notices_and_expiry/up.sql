-- Mail is queued as a structured notice and rendered by the mail worker when it is sent,
-- outside the transaction that caused it. Rows queued before this migration keep their
-- rendered subject and bodies and are sent as they are.
ALTER TABLE mail_outbox
    ALTER COLUMN subject DROP NOT NULL,
    ALTER COLUMN body_text DROP NOT NULL,
    ALTER COLUMN body_html DROP NOT NULL,
    ADD COLUMN language TEXT,
    ADD COLUMN notice TEXT,
    ADD CONSTRAINT mail_outbox_notice_or_body
        CHECK (notice IS NOT NULL OR (subject IS NOT NULL AND body_text IS NOT NULL AND body_html IS NOT NULL));

-- The listing expiry job looks for listings on offer whose end date has passed.
CREATE INDEX items_expiry ON items (expires_on) WHERE status = 'available' AND expires_on IS NOT NULL;
