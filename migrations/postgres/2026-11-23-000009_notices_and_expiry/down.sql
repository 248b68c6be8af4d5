DROP INDEX items_expiry;
DELETE FROM mail_outbox WHERE notice IS NOT NULL AND sent_at IS NULL;
UPDATE mail_outbox SET subject = COALESCE(subject, ''), body_text = COALESCE(body_text, ''),
    body_html = COALESCE(body_html, '');
ALTER TABLE mail_outbox
    DROP CONSTRAINT mail_outbox_notice_or_body,
    DROP COLUMN notice,
    DROP COLUMN language,
    ALTER COLUMN subject SET NOT NULL,
    ALTER COLUMN body_text SET NOT NULL,
    ALTER COLUMN body_html SET NOT NULL;
