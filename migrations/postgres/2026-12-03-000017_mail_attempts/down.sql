ALTER TABLE mail_outbox DROP COLUMN attempted_at;
