-- Conversations between a colleague and a listing's side, notification settings, reservations
-- that bend (more time, partial pickups) and a queue on fully reserved listings.

-- What a partial pickup gave back to the listing, and the reservation a held rest continues.
ALTER TABLE reservations ADD COLUMN released_quantity INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reservations ADD COLUMN continues_id BIGINT;
-- The deadline the requester asked for; cleared when the lister sets a new one.
ALTER TABLE reservations ADD COLUMN wanted_deadline TIMESTAMP;

-- How a person hears of events: 'each' mail, one 'daily' digest, or 'none'.
ALTER TABLE users ADD COLUMN notify TEXT NOT NULL DEFAULT 'each' CHECK (notify IN ('each', 'daily', 'none'));
-- The secret in a mail's List-Unsubscribe link.
ALTER TABLE users ADD COLUMN notify_token TEXT;
UPDATE users SET notify_token = lower(hex(randomblob(32)));
CREATE UNIQUE INDEX users_notify_token ON users (notify_token);
-- Unread messages over all of a person's conversations, for the header.
ALTER TABLE users ADD COLUMN unread_messages INTEGER NOT NULL DEFAULT 0 CHECK (unread_messages >= 0);

-- The List-Unsubscribe secret of the person a mail goes to, when it is about an event.
ALTER TABLE mail_outbox ADD COLUMN unsubscribe_token TEXT;

-- Notices held for a person's daily digest.
CREATE TABLE digest_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notice TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX digest_entries_user ON digest_entries (user_id, created_at);

-- One thread per listing and interested colleague.
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id BIGINT NOT NULL REFERENCES items (id),
    asker_id BIGINT NOT NULL REFERENCES users (id),
    asker_organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    created_at TIMESTAMP NOT NULL,
    last_message_at TIMESTAMP NOT NULL,
    UNIQUE (item_id, asker_id)
);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    author_id BIGINT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX messages_thread ON messages (conversation_id, id);
CREATE INDEX messages_author ON messages (author_id, created_at);

-- Who takes part in a thread (the asker, the lister, unit colleagues who answered) and how
-- many of its messages they have not read.
CREATE TABLE conversation_members (
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    unread INTEGER NOT NULL DEFAULT 0 CHECK (unread >= 0),
    joined_at TIMESTAMP NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_user ON conversation_members (user_id);

-- Colleagues waiting for a fully reserved listing. An offer holds units for the first in
-- line until it is taken (it becomes a reservation), left or lapses.
CREATE TABLE queue_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id BIGINT NOT NULL REFERENCES items (id),
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    requester_id BIGINT NOT NULL REFERENCES users (id),
    receiving_unit_id BIGINT REFERENCES units (id) ON DELETE SET NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    would_buy_new TEXT NOT NULL CHECK (would_buy_new IN ('yes', 'unsure', 'no')),
    status TEXT NOT NULL CHECK (status IN ('waiting', 'offered', 'accepted', 'left', 'lapsed', 'ended')),
    offered_quantity INTEGER NOT NULL DEFAULT 0 CHECK (offered_quantity >= 0),
    offer_expires_at TIMESTAMP,
    reservation_id BIGINT REFERENCES reservations (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX queue_entries_line ON queue_entries (item_id, status, id);
CREATE INDEX queue_entries_due ON queue_entries (status, offer_expires_at);
CREATE INDEX queue_entries_requester ON queue_entries (requester_id, status);
