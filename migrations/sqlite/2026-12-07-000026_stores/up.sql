-- A unit can be a reuse store (återbruksförråd / møbellager): its people are the store's
-- staff. The address is where its shelves are, and what a store listing shows as its place.
ALTER TABLE units ADD COLUMN store_address TEXT;
ALTER TABLE units ADD COLUMN store_instructions TEXT NOT NULL DEFAULT '';

-- A listing the store took in: the store's staff manage it, and its shelf says where it is.
ALTER TABLE items ADD COLUMN store_unit_id BIGINT REFERENCES units (id);
ALTER TABLE items ADD COLUMN shelf TEXT NOT NULL DEFAULT '';
CREATE INDEX items_store ON items (store_unit_id, status);

-- A lister asks a store to take a listing in; the store accepts or declines, and receives
-- what it accepted onto a shelf.
CREATE TABLE store_handins (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    item_id BIGINT NOT NULL REFERENCES items (id),
    store_unit_id BIGINT NOT NULL REFERENCES units (id),
    requested_by BIGINT NOT NULL REFERENCES users (id),
    -- The unit that listed it, kept for the store's figures after the store owns it.
    from_unit_id BIGINT REFERENCES units (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    -- 'collect': the store fetches it; 'bring': the lister brings it to the store.
    handover TEXT NOT NULL CHECK (handover IN ('collect', 'bring')),
    message TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('requested', 'accepted', 'declined', 'withdrawn', 'received')),
    -- The store's answer: why it declined, or when it will collect.
    answer TEXT NOT NULL DEFAULT '',
    decided_by BIGINT REFERENCES users (id),
    decided_at TIMESTAMP,
    received_by BIGINT REFERENCES users (id),
    received_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- One open hand-in per listing, whichever instance takes the second request.
CREATE UNIQUE INDEX store_handins_one_open ON store_handins (item_id)
    WHERE status IN ('requested', 'accepted');
CREATE INDEX store_handins_store ON store_handins (store_unit_id, status, created_at);
