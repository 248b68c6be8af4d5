-- Organisations, their sign-in domains and units, and the category/factor table.
CREATE TABLE networks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    country TEXT NOT NULL CHECK (country IN ('SE', 'NO')),
    network_id BIGINT REFERENCES networks (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE organisation_domains (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    domain TEXT NOT NULL UNIQUE CHECK (domain = lower(domain)),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX organisation_domains_organisation ON organisation_domains (organisation_id);

CREATE TABLE units (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    parent_id BIGINT REFERENCES units (id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (organisation_id, name)
);

CREATE TABLE categories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id BIGINT REFERENCES categories (id) ON DELETE RESTRICT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kg_co2e_per_item DOUBLE CHECK (kg_co2e_per_item >= 0),
    kg_co2e_per_kg DOUBLE CHECK (kg_co2e_per_kg >= 0),
    typical_weight_kg DOUBLE CHECK (typical_weight_kg > 0),
    default_new_price_sek DOUBLE CHECK (default_new_price_sek >= 0),
    new_price_is_estimate BOOLEAN NOT NULL DEFAULT 1,
    factor_source TEXT NOT NULL DEFAULT '',
    factor_notes TEXT NOT NULL DEFAULT '',
    factor_version TEXT NOT NULL DEFAULT '',
    factor_is_estimate BOOLEAN NOT NULL DEFAULT 0,
    sort_order INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX categories_parent ON categories (parent_id);
