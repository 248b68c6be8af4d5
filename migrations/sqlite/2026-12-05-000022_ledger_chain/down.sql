DROP INDEX reuse_records_uncounted;
DROP INDEX reuse_records_giving_time;
DROP INDEX reuse_records_receiving_time;
DROP TABLE ledger_months;
DROP TABLE ledger_checks;
DROP TABLE ledger_seal_backlog;
DROP TABLE ledger_heads;
DROP TABLE ledger_chain;
