-- A sign-in domain an admin adds signs nobody in until someone with an address at it
-- follows the mailed confirmation link. Domains added before (by the command line or
-- earlier versions) count as confirmed.
ALTER TABLE organisation_domains ADD COLUMN verified_at TIMESTAMP;
UPDATE organisation_domains SET verified_at = created_at;
