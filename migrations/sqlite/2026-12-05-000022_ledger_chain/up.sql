-- The ledger's hash chain, one per receiving organisation (the one that counts the record):
-- link `seq` holds the SHA-256 over the previous link's hash and the record's content, so
-- changing, removing or slipping in a record breaks the chain from there on. Links are
-- written in the transaction that writes the record and never changed.
CREATE TABLE ledger_chain (
    record_id BIGINT PRIMARY KEY REFERENCES reuse_records (id),
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    seq BIGINT NOT NULL CHECK (seq > 0),
    hash TEXT NOT NULL CHECK (length(hash) = 64),
    sealed_at TIMESTAMP NOT NULL,
    UNIQUE (organisation_id, seq)
);
-- The newest link per organisation: appending updates it first, which serialises appends of
-- one organisation across instances (the row lock) and lets verify notice a cut-off tail.
CREATE TABLE ledger_heads (
    organisation_id BIGINT PRIMARY KEY REFERENCES organisations (id),
    seq BIGINT NOT NULL CHECK (seq >= 0),
    hash TEXT NOT NULL CHECK (length(hash) = 64)
);
-- Records written before the chain existed, sealed once at the next start, in id order.
-- Any record that is neither linked nor listed here was written behind Bruka's back.
CREATE TABLE ledger_seal_backlog (
    record_id BIGINT PRIMARY KEY REFERENCES reuse_records (id)
);
INSERT INTO ledger_seal_backlog (record_id) SELECT id FROM reuse_records;
-- Sums per receiving organisation, local month, giving organisation, category and units,
-- added to in the transaction that writes each record (the ledger only grows): the
-- dashboard reads whole months from here and only the days at a period's ends from the
-- records themselves. Records without a unit have unit id 0 here.
CREATE TABLE ledger_months (
    receiving_organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    month TEXT NOT NULL,
    giving_organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    category_id BIGINT NOT NULL,
    category_name TEXT NOT NULL,
    from_unit_id BIGINT NOT NULL,
    from_unit_name TEXT NOT NULL,
    to_unit_id BIGINT NOT NULL,
    to_unit_name TEXT NOT NULL,
    records BIGINT NOT NULL,
    reversals BIGINT NOT NULL,
    items BIGINT NOT NULL,
    co2e_grams BIGINT NOT NULL,
    co2e_grams_high BIGINT NOT NULL,
    money_ore BIGINT NOT NULL,
    material_grams BIGINT NOT NULL,
    PRIMARY KEY (receiving_organisation_id, month, giving_organisation_id, category_id,
        category_name, from_unit_id, from_unit_name, to_unit_id, to_unit_name)
);
CREATE INDEX ledger_months_giving ON ledger_months (giving_organisation_id, month);
-- The records of a period's first and last days, in time order.
CREATE INDEX reuse_records_receiving_time ON reuse_records (receiving_organisation_id, recorded_at, id);
CREATE INDEX reuse_records_giving_time ON reuse_records (giving_organisation_id, recorded_at, id);
-- Records counted as 0 kg for want of a factor or weight (the dashboard flags them).
CREATE INDEX reuse_records_uncounted ON reuse_records (receiving_organisation_id, id)
    WHERE co2e_grams = 0 AND (factor_kind = 'none' OR (factor_kind = 'per_kg' AND weight_kg IS NULL));

-- The outcome of each verification, for the ledger page.
CREATE TABLE ledger_checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    checked_at TIMESTAMP NOT NULL,
    links BIGINT NOT NULL,
    head_seq BIGINT NOT NULL,
    head_hash TEXT NOT NULL,
    broken_seq BIGINT,
    broken_record_id BIGINT,
    problem TEXT
);
CREATE INDEX ledger_checks_newest ON ledger_checks (organisation_id, id);

CREATE TRIGGER ledger_chain_no_update BEFORE UPDATE ON ledger_chain
BEGIN
    SELECT RAISE(ABORT, 'ledger links are immutable');
END;
CREATE TRIGGER ledger_chain_no_delete BEFORE DELETE ON ledger_chain
BEGIN
    SELECT RAISE(ABORT, 'ledger links are immutable');
END;
