-- Photos uploaded with a listing form that was not saved yet (a validation error, or chosen
-- before the rest of the form is filled in): held for their uploader until the listing is
-- saved, or removed by the clean-up job once they are older than a day.
CREATE TABLE photo_drafts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    photo_key TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, photo_key)
);
CREATE INDEX photo_drafts_age ON photo_drafts (created_at);

-- Listings a person saved to look at again ("Sparade" on their page).
CREATE TABLE favourites (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    item_id BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, item_id)
);
