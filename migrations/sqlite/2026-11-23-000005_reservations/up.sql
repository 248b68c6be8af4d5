-- Reservations, the savings ledger, the audit log, saved searches and wanted ads.

-- How much of a handover counts as an avoided purchase, from the requester's answer, and
-- what is deducted per item for refurbishment and transport (DESIGN.md, method).
ALTER TABLE organisations ADD COLUMN displacement_yes DOUBLE NOT NULL DEFAULT 1.0;
ALTER TABLE organisations ADD COLUMN displacement_unsure DOUBLE NOT NULL DEFAULT 0.5;
ALTER TABLE organisations ADD COLUMN displacement_no DOUBLE NOT NULL DEFAULT 0.0;
ALTER TABLE organisations ADD COLUMN refurbishment_kg_co2e DOUBLE NOT NULL DEFAULT 0.0;
ALTER TABLE organisations ADD COLUMN transport_kg_co2e DOUBLE NOT NULL DEFAULT 0.0;

CREATE TABLE reservations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id BIGINT NOT NULL REFERENCES items (id),
    -- The requester's organisation (a partner's, for network-shared listings).
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    requester_id BIGINT NOT NULL REFERENCES users (id),
    receiving_unit_id BIGINT REFERENCES units (id) ON DELETE SET NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    message TEXT NOT NULL DEFAULT '',
    would_buy_new TEXT NOT NULL CHECK (would_buy_new IN ('yes', 'unsure', 'no')),
    status TEXT NOT NULL CHECK (status IN ('reserved', 'picked_up', 'cancelled', 'declined', 'expired')),
    pickup_deadline TIMESTAMP NOT NULL,
    reminder_sent_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP,
    closed_by BIGINT REFERENCES users (id)
);
CREATE INDEX reservations_item ON reservations (item_id, status);
CREATE INDEX reservations_requester ON reservations (requester_id, status);
CREATE INDEX reservations_due ON reservations (status, pickup_deadline);

-- The savings ledger. Rows are never changed: a correction is a new row that reverses one.
CREATE TABLE reuse_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reservation_id BIGINT REFERENCES reservations (id),
    reverses_id BIGINT REFERENCES reuse_records (id),
    item_id BIGINT NOT NULL REFERENCES items (id),
    item_title TEXT NOT NULL,
    giving_organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    receiving_organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    from_unit_id BIGINT,
    from_unit_name TEXT NOT NULL DEFAULT '',
    to_unit_id BIGINT,
    to_unit_name TEXT NOT NULL DEFAULT '',
    category_id BIGINT NOT NULL REFERENCES categories (id),
    category_name TEXT NOT NULL,
    -- Negative on a reversing row, like the figures below, so sums are always right.
    quantity INTEGER NOT NULL,
    factor_kind TEXT NOT NULL CHECK (factor_kind IN ('per_item', 'per_kg', 'none')),
    factor_kg_co2e DOUBLE,
    factor_source TEXT NOT NULL,
    factor_version TEXT NOT NULL,
    factor_is_estimate BOOLEAN NOT NULL,
    weight_kg DOUBLE,
    weight_is_typical BOOLEAN NOT NULL,
    new_price_sek DOUBLE,
    new_price_is_estimate BOOLEAN NOT NULL,
    would_buy_new TEXT NOT NULL,
    displacement DOUBLE NOT NULL,
    -- Refurbishment plus transport, kg CO2e deducted per item.
    deduction_kg_co2e DOUBLE NOT NULL,
    -- Whole grams and öre: sums are exact on both databases.
    co2e_grams BIGINT NOT NULL,
    money_saved_ore BIGINT NOT NULL,
    material_grams BIGINT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    recorded_by BIGINT REFERENCES users (id),
    note TEXT NOT NULL DEFAULT ''
);
-- One record per handover, and at most one reversal per record: a repeated "picked up"
-- cannot count twice even if two instances race.
CREATE UNIQUE INDEX reuse_records_once ON reuse_records (reservation_id) WHERE reverses_id IS NULL;
CREATE UNIQUE INDEX reuse_records_reversed_once ON reuse_records (reverses_id) WHERE reverses_id IS NOT NULL;
CREATE INDEX reuse_records_receiving ON reuse_records (receiving_organisation_id, recorded_at);
CREATE INDEX reuse_records_giving ON reuse_records (giving_organisation_id, recorded_at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    -- Empty for the background jobs (expiry).
    actor_id BIGINT REFERENCES users (id),
    subject TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_organisation ON audit_log (organisation_id, created_at);

-- A saved search mails its owner when a matching listing appears; a wanted ad
-- (efterlysning) does the same and is also shown to colleagues.
CREATE TABLE saved_searches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('search', 'wanted')),
    title TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    query TEXT NOT NULL DEFAULT '',
    category_id BIGINT REFERENCES categories (id),
    unsubscribe_token TEXT NOT NULL UNIQUE,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_alert_at TIMESTAMP
);
CREATE INDEX saved_searches_organisation ON saved_searches (organisation_id, active);
CREATE INDEX saved_searches_user ON saved_searches (user_id);

-- Each listing is announced to each saved search once, even when it is re-listed.
CREATE TABLE search_alerts (
    saved_search_id BIGINT NOT NULL REFERENCES saved_searches (id) ON DELETE CASCADE,
    item_id BIGINT NOT NULL REFERENCES items (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (saved_search_id, item_id)
);

CREATE TRIGGER reuse_records_no_update BEFORE UPDATE ON reuse_records
BEGIN
    SELECT RAISE(ABORT, 'reuse records are immutable; add a reversing record');
END;
CREATE TRIGGER reuse_records_no_delete BEFORE DELETE ON reuse_records
BEGIN
    SELECT RAISE(ABORT, 'reuse records are immutable; add a reversing record');
END;
