-- An admin of a network's organisation invites another organisation by its admin's
-- address; that admin accepts or declines. At most one open invitation per organisation
-- and network.
CREATE TABLE network_invitations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    network_id BIGINT NOT NULL REFERENCES networks (id),
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    invited_user_id BIGINT NOT NULL REFERENCES users (id),
    invited_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    answered_at TIMESTAMP,
    answer TEXT CHECK (answer IN ('accepted', 'declined', 'withdrawn')),
    CHECK ((answered_at IS NULL) = (answer IS NULL))
);
CREATE UNIQUE INDEX network_invitations_open ON network_invitations (network_id, organisation_id)
    WHERE answered_at IS NULL;
CREATE INDEX network_invitations_to ON network_invitations (organisation_id) WHERE answered_at IS NULL;
