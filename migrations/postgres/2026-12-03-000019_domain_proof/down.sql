ALTER TABLE organisation_domains DROP COLUMN verified_at;
