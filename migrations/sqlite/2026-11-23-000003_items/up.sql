-- Listings, their photos and full-text search.
CREATE TABLE items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    owner_unit_id BIGINT REFERENCES units (id) ON DELETE SET NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    category_id BIGINT NOT NULL REFERENCES categories (id),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    condition TEXT NOT NULL CHECK (condition IN ('as_new', 'good', 'worn', 'needs_repair')),
    quantity_total INTEGER NOT NULL CHECK (quantity_total > 0),
    quantity_available INTEGER NOT NULL CHECK (quantity_available >= 0 AND quantity_available <= quantity_total),
    width_cm INTEGER CHECK (width_cm > 0),
    depth_cm INTEGER CHECK (depth_cm > 0),
    height_cm INTEGER CHECK (height_cm > 0),
    weight_kg DOUBLE CHECK (weight_kg > 0),
    new_price_sek DOUBLE CHECK (new_price_sek >= 0),
    site TEXT NOT NULL DEFAULT '',
    room TEXT NOT NULL DEFAULT '',
    pickup_instructions TEXT NOT NULL DEFAULT '',
    available_from DATE,
    expires_on DATE,
    status TEXT NOT NULL CHECK (status IN ('draft', 'available', 'reserved', 'gone', 'withdrawn', 'expired')),
    visibility TEXT NOT NULL CHECK (visibility IN ('organisation', 'network')),
    search_stems TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX items_browse ON items (status, organisation_id, created_at);
CREATE INDEX items_category ON items (category_id);
-- Sorting by name or quantity walks these instead of sorting every match.
CREATE INDEX items_browse_title ON items (status, organisation_id, title);
CREATE INDEX items_browse_quantity ON items (status, organisation_id, quantity_available);
CREATE INDEX items_created_by ON items (created_by);

CREATE TABLE item_photos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    photo_key TEXT NOT NULL,
    alt_text TEXT NOT NULL DEFAULT '',
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX item_photos_item ON item_photos (item_id, position);
CREATE INDEX item_photos_key ON item_photos (photo_key);

-- search_stems holds Snowball stems (Swedish/Norwegian) computed by Bruka, so SQLite and
-- PostgreSQL match the same words.
CREATE VIRTUAL TABLE items_fts USING fts5(
    search_stems,
    content = 'items',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
    INSERT INTO items_fts (rowid, search_stems) VALUES (new.id, new.search_stems);
END;
CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, search_stems) VALUES ('delete', old.id, old.search_stems);
END;
CREATE TRIGGER items_fts_update AFTER UPDATE OF search_stems ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, search_stems) VALUES ('delete', old.id, old.search_stems);
    INSERT INTO items_fts (rowid, search_stems) VALUES (new.id, new.search_stems);
END;
