ALTER TABLE sessions DROP COLUMN renew_by;
DROP TABLE directory_groups;
DROP TABLE organisation_directories;
