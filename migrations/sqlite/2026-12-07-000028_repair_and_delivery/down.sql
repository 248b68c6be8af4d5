DROP TABLE deliveries;
DROP TABLE delivery_runs;
ALTER TABLE reuse_records DROP COLUMN deduction_source;
ALTER TABLE reuse_records DROP COLUMN costs_ore;
DROP TABLE repairs;
