-- The six-digit code in the sign-in mail, for reading the mail on one device and signing in
-- on another. Only a keyed digest is kept; the attempts count ends the code (not the link)
-- after a few wrong tries.
ALTER TABLE login_links ADD COLUMN code_digest TEXT NOT NULL DEFAULT '';
ALTER TABLE login_links ADD COLUMN code_attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX login_links_by_email ON login_links (email, expires_at);
