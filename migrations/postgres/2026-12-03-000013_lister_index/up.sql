-- A person's own listings by state and end date: the start page's "ending soon" reads a
-- handful of rows instead of every listing on offer in the organisation (SQLite chose the
-- browse index on status and organisation for it, 185 ms at 100 000 listings). The lister
-- prefix serves what the plain index on created_by served.
DROP INDEX items_created_by;
CREATE INDEX items_lister ON items (created_by, status, expires_on);
