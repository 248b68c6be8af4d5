-- A number that changes whenever what a search can find or how it ranks may have changed:
-- a listing added or removed, or its status, visibility, terms, organisation, unit,
-- category, condition, site or creation time changed. Each instance keeps ranked search
-- results under the number they were computed at, so no instance serves results another
-- instance's write has made stale. Quantity changes do not count (a search's order does
-- not depend on them).
CREATE TABLE listing_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO listing_generation (id, generation) VALUES (1, 0);
CREATE TRIGGER listing_generation_insert AFTER INSERT ON items BEGIN
    UPDATE listing_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER listing_generation_delete AFTER DELETE ON items BEGIN
    UPDATE listing_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER listing_generation_update AFTER UPDATE OF status, visibility, search_stems,
    search_weights, organisation_id, owner_unit_id, category_id, condition, site, created_at
    ON items BEGIN
    UPDATE listing_generation SET generation = generation + 1 WHERE id = 1;
END;
