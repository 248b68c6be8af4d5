-- Sign-in with an organisation's directory (OpenID Connect), one provider per organisation.
CREATE TABLE organisation_directories (
    organisation_id BIGINT PRIMARY KEY REFERENCES organisations (id),
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    -- The client secret sealed with a key derived from the installation's secret
    -- (ChaCha20-Poly1305, hex of nonce and ciphertext); it is never shown again.
    client_secret_sealed TEXT NOT NULL,
    -- Entra ID: only ID tokens whose tid claim is this tenant; empty for any.
    tenant_id TEXT NOT NULL DEFAULT '',
    -- Whether the mailed link (and its code) still signs people of the organisation in.
    links_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    -- The first sign-in through these settings; until then the link cannot be switched
    -- off, so a mistyped client id cannot lock everyone out.
    verified_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);

-- A directory group (a value of the groups claim) gives its members a role and a unit.
CREATE TABLE directory_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    group_id TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('member', 'sustainability', 'admin')),
    unit_id BIGINT REFERENCES units (id),
    UNIQUE (organisation_id, group_id)
);

-- A session from the directory must be renewed there by this time, so someone removed from
-- the directory cannot keep a Bruka session alive by using it.
ALTER TABLE sessions ADD COLUMN renew_by TIMESTAMP;
