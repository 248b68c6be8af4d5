DROP TABLE purchases;
DROP TABLE reuse_checks;
ALTER TABLE api_tokens DROP COLUMN scope;
