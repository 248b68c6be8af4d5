DROP TABLE ledger_checks;
DROP TABLE ledger_seal_backlog;
DROP TABLE ledger_heads;
DROP TABLE ledger_chain;
