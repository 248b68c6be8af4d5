-- A number that changes whenever what a search can find or how it ranks may have changed:
-- a listing added or removed, or its status, visibility, terms, organisation, unit,
-- category, condition, site or creation time changed. Each instance keeps ranked search
-- results under the number they were computed at, so no instance serves results another
-- instance's write has made stale. Quantity changes do not count (a search's order does
-- not depend on them). The row is updated once per statement, not per listing.
CREATE TABLE listing_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO listing_generation (id, generation) VALUES (1, 0);
CREATE FUNCTION listing_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE listing_generation SET generation = generation + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER listing_generation_insert_delete AFTER INSERT OR DELETE ON items
    FOR EACH STATEMENT EXECUTE FUNCTION listing_generation_bump();
CREATE TRIGGER listing_generation_update AFTER UPDATE OF status, visibility, search_stems,
    search_weights, organisation_id, owner_unit_id, category_id, condition, site, created_at
    ON items FOR EACH STATEMENT EXECUTE FUNCTION listing_generation_bump();
