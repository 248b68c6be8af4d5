-- Recipients outside the organisation an admin approved (schools, associations, other
-- public bodies; never private persons): they take what the organisation offers them
-- through an invitation link, once they accepted its terms.
CREATE TABLE external_recipients (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('school', 'association', 'public_body')),
    contact_email TEXT NOT NULL,
    -- SHA-256 of the invitation link's secret.
    token_hash TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('invited', 'active', 'removed')),
    terms_accepted_at TIMESTAMP,
    accepted_by_name TEXT NOT NULL DEFAULT '',
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX external_recipients_organisation ON external_recipients (organisation_id, status);

-- The terms a recipient accepts before taking anything.
ALTER TABLE organisations ADD COLUMN external_terms TEXT NOT NULL DEFAULT '';

-- A listing its lister (or the end-of-listing step) offers to the approved recipients.
ALTER TABLE items ADD COLUMN offered_outside BOOLEAN NOT NULL DEFAULT 0;

-- What a recipient took: held like a reservation until handed over, and recorded apart
-- from the ledger (it is no purchase the organisation avoided).
CREATE TABLE external_claims (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    item_id BIGINT NOT NULL REFERENCES items (id),
    recipient_id BIGINT NOT NULL REFERENCES external_recipients (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    message TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('claimed', 'handed_over', 'cancelled')),
    -- Snapshot at the handover, for the report.
    item_title TEXT NOT NULL,
    category_id BIGINT NOT NULL REFERENCES categories (id),
    weight_kg DOUBLE,
    created_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP,
    closed_by BIGINT REFERENCES users (id)
);
CREATE INDEX external_claims_item ON external_claims (item_id, status);
CREATE INDEX external_claims_organisation ON external_claims (organisation_id, status, closed_at);
