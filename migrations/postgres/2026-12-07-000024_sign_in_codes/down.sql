DROP INDEX login_links_by_email;
ALTER TABLE login_links DROP COLUMN code_attempts;
ALTER TABLE login_links DROP COLUMN code_digest;
