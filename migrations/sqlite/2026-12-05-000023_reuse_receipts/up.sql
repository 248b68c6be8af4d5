-- What an API token may do: everything its owner may ("full"), or only check for reuse and
-- record purchases ("procurement"), for a procurement or e-commerce system.
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'full'
    CHECK (scope IN ('full', 'procurement'));

-- Every reuse-before-you-buy check, as the signed receipt it answered with.
CREATE TABLE reuse_checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    receipt_id TEXT NOT NULL UNIQUE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    checked_at TIMESTAMP NOT NULL,
    category_slug TEXT NOT NULL,
    query TEXT NOT NULL,
    match_count BIGINT NOT NULL CHECK (match_count >= 0),
    -- The matches shown, as JSON: [{"id": 12, "title": "…"}, …].
    matches TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE INDEX reuse_checks_by_organisation ON reuse_checks (organisation_id, checked_at);

-- Purchases an integration reports, with or without a check before them.
CREATE TABLE purchases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    category_id BIGINT NOT NULL REFERENCES categories (id),
    category_name TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    amount_ore BIGINT NOT NULL CHECK (amount_ore >= 0),
    purchased_on DATE NOT NULL,
    reference TEXT NOT NULL,
    reuse_check_id BIGINT REFERENCES reuse_checks (id),
    -- Listings in the category available when the purchase was checked (with a receipt) or
    -- recorded (without): more than 0 makes it a missed reuse.
    available_listings BIGINT NOT NULL CHECK (available_listings >= 0),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX purchases_by_organisation ON purchases (organisation_id, purchased_on);
