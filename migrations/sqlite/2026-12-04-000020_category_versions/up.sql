-- Figures of a category move into versions: each change is a new row with the date it is
-- valid from, its source, who made it and why, so earlier figures stay visible and a
-- handover uses the version valid on its day. The ledger keeps its own snapshots.

-- An organisation's own subcategory; NULL for the shared national table.
ALTER TABLE categories ADD COLUMN organisation_id BIGINT REFERENCES organisations (id);

CREATE TABLE category_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    category_id BIGINT NOT NULL REFERENCES categories (id),
    -- NULL: a version of the national table. Otherwise the organisation's: for a national
    -- category, what it sets here overrides the national figure and the rest is inherited;
    -- for the organisation's own subcategory these are the figures.
    organisation_id BIGINT REFERENCES organisations (id),
    valid_from DATE NOT NULL,
    factor_basis TEXT CHECK (factor_basis IN ('per_item', 'per_kg')),
    -- kg CO2e per item or per kg; the low value, when given, is the one counted.
    factor_central DOUBLE CHECK (factor_central >= 0),
    factor_low DOUBLE,
    factor_high DOUBLE,
    typical_weight_kg DOUBLE CHECK (typical_weight_kg > 0),
    new_price_sek DOUBLE CHECK (new_price_sek >= 0),
    new_price_is_estimate BOOLEAN NOT NULL,
    source TEXT NOT NULL,
    source_url TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    table_version TEXT NOT NULL,
    is_estimate BOOLEAN NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    changed_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    CHECK ((factor_basis IS NULL) = (factor_central IS NULL)),
    CHECK (factor_low >= 0 AND factor_low <= factor_central),
    CHECK (factor_high >= factor_central)
);
CREATE INDEX category_versions_of ON category_versions (category_id, organisation_id, valid_from);

INSERT INTO category_versions (category_id, organisation_id, valid_from, factor_basis,
    factor_central, typical_weight_kg, new_price_sek, new_price_is_estimate, source, notes,
    table_version, is_estimate, created_at)
SELECT id, NULL, '2026-11-01',
    CASE WHEN kg_co2e_per_item IS NOT NULL THEN 'per_item'
         WHEN kg_co2e_per_kg IS NOT NULL THEN 'per_kg' END,
    COALESCE(kg_co2e_per_item, kg_co2e_per_kg), typical_weight_kg, default_new_price_sek,
    new_price_is_estimate, factor_source, factor_notes,
    CASE factor_version WHEN '' THEN 'bruka-emission-factors-2026-11' ELSE factor_version END,
    factor_is_estimate, created_at
FROM categories WHERE parent_id IS NOT NULL;

ALTER TABLE categories DROP COLUMN kg_co2e_per_item;
ALTER TABLE categories DROP COLUMN kg_co2e_per_kg;
ALTER TABLE categories DROP COLUMN typical_weight_kg;
ALTER TABLE categories DROP COLUMN default_new_price_sek;
ALTER TABLE categories DROP COLUMN new_price_is_estimate;
ALTER TABLE categories DROP COLUMN factor_source;
ALTER TABLE categories DROP COLUMN factor_notes;
ALTER TABLE categories DROP COLUMN factor_version;
ALTER TABLE categories DROP COLUMN factor_is_estimate;

-- The ledger snapshot gains the version it used and the figure at the high end of the
-- factor's range (NULL on older rows: no range was known, the high end is the figure).
ALTER TABLE reuse_records ADD COLUMN category_version_id BIGINT;
ALTER TABLE reuse_records ADD COLUMN factor_kg_co2e_high DOUBLE;
ALTER TABLE reuse_records ADD COLUMN co2e_grams_high BIGINT;

-- A factor table uploaded on the page waits here between its preview and being applied,
-- so applying it twice (a retried form) writes its versions once.
CREATE TABLE factor_imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    uploaded_by BIGINT NOT NULL REFERENCES users (id),
    file_text TEXT NOT NULL,
    valid_from DATE NOT NULL,
    label TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    applied_at TIMESTAMP
);
