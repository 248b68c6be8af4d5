-- A listing (a store item or any other) goes to be repaired: by a workshop unit of the
-- organisation or an external supplier. What the repair cost, in money and in emissions,
-- is deducted in the ledger when the listing is handed over.
CREATE TABLE repairs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    item_id BIGINT NOT NULL REFERENCES items (id),
    workshop_unit_id BIGINT REFERENCES units (id),
    supplier TEXT NOT NULL DEFAULT '',
    problem TEXT NOT NULL,
    estimate_ore BIGINT CHECK (estimate_ore >= 0),
    status TEXT NOT NULL CHECK (status IN ('queued', 'in_progress', 'done', 'cancelled')),
    hours DOUBLE CHECK (hours >= 0),
    materials TEXT NOT NULL DEFAULT '',
    cost_ore BIGINT CHECK (cost_ore >= 0),
    -- Emissions of the repair itself (materials, parts), for the whole listing.
    kg_co2e DOUBLE CHECK (kg_co2e >= 0),
    -- 'repaired' or 'not_repairable' once done.
    result TEXT NOT NULL DEFAULT '',
    -- How many units the listing had when it was repaired: the cost is shared by them.
    units_at_repair INTEGER NOT NULL CHECK (units_at_repair > 0),
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    finished_by BIGINT REFERENCES users (id),
    finished_at TIMESTAMP
);
CREATE UNIQUE INDEX repairs_one_open ON repairs (item_id) WHERE status IN ('queued', 'in_progress');
CREATE INDEX repairs_queue ON repairs (organisation_id, status, created_at);

-- What a handover cost the organisation (a share of repairs), deducted from the money
-- saved, and where the emission deduction came from when not the flat one.
ALTER TABLE reuse_records ADD COLUMN costs_ore BIGINT NOT NULL DEFAULT 0;
ALTER TABLE reuse_records ADD COLUMN deduction_source TEXT NOT NULL DEFAULT '';

-- A store's delivery runs: one day, one vehicle, a list of stops.
CREATE TABLE delivery_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    store_unit_id BIGINT NOT NULL REFERENCES units (id),
    run_on DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('scheduled', 'loaded', 'delivered')),
    -- Both given: transport emissions come from the vehicle's per-km factor.
    distance_km DOUBLE CHECK (distance_km >= 0),
    vehicle TEXT,
    note TEXT NOT NULL DEFAULT '',
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX delivery_runs_store ON delivery_runs (store_unit_id, run_on);

-- A reservation the requester wants delivered, and where.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reservation_id BIGINT NOT NULL UNIQUE REFERENCES reservations (id),
    store_unit_id BIGINT NOT NULL REFERENCES units (id),
    wished_on DATE NOT NULL,
    building TEXT NOT NULL,
    room TEXT NOT NULL DEFAULT '',
    run_id BIGINT REFERENCES delivery_runs (id),
    status TEXT NOT NULL CHECK (status IN ('wished', 'planned', 'loaded', 'delivered', 'cancelled')),
    -- Who took it at the door.
    received_by TEXT NOT NULL DEFAULT '',
    delivered_by BIGINT REFERENCES users (id),
    delivered_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX deliveries_store ON deliveries (store_unit_id, status, wished_on);
CREATE INDEX deliveries_run ON deliveries (run_id);
