DROP INDEX reuse_records_receiving_id;
DROP TABLE api_tokens;
ALTER TABLE organisations DROP COLUMN public_summary;
