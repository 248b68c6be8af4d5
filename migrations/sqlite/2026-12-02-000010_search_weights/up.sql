-- Search ranks matches by the weights Bruka stores beside the indexed terms (title above
-- category above description; whole word above compound part). Listings indexed by an
-- older version of the rules are indexed again by the application at start-up.
ALTER TABLE items ADD COLUMN search_weights TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN search_version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX items_search_version ON items (search_version);
