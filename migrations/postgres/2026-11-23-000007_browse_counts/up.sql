-- Available listings per organisation, category and visibility, kept by a trigger in the
-- same transaction as every change to a listing. Browse reads its totals from here (a few
-- dozen rows) instead of counting the listings themselves, so they are exact at any size.
-- Every transaction changes at most one listing, so the count rows cannot deadlock.
CREATE TABLE available_counts (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    category_id BIGINT NOT NULL REFERENCES categories (id),
    visibility TEXT NOT NULL,
    listings BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, category_id, visibility)
);

INSERT INTO available_counts (organisation_id, category_id, visibility, listings)
SELECT organisation_id, category_id, visibility, COUNT(*)
FROM items WHERE status = 'available'
GROUP BY organisation_id, category_id, visibility;

CREATE FUNCTION available_counts_follow() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'available' THEN
        UPDATE available_counts SET listings = listings - 1
        WHERE organisation_id = OLD.organisation_id AND category_id = OLD.category_id
          AND visibility = OLD.visibility;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'available' THEN
        INSERT INTO available_counts (organisation_id, category_id, visibility, listings)
        VALUES (NEW.organisation_id, NEW.category_id, NEW.visibility, 1)
        ON CONFLICT (organisation_id, category_id, visibility)
        DO UPDATE SET listings = available_counts.listings + 1;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER available_counts_insert_delete AFTER INSERT OR DELETE ON items
FOR EACH ROW EXECUTE FUNCTION available_counts_follow();

-- Only when a listing enters, leaves or moves between counts: a reservation that leaves
-- units available touches no count row.
CREATE TRIGGER available_counts_update
AFTER UPDATE OF status, organisation_id, category_id, visibility ON items
FOR EACH ROW
WHEN ((OLD.status = 'available' OR NEW.status = 'available')
  AND (OLD.status IS DISTINCT FROM NEW.status
       OR OLD.organisation_id IS DISTINCT FROM NEW.organisation_id
       OR OLD.category_id IS DISTINCT FROM NEW.category_id
       OR OLD.visibility IS DISTINCT FROM NEW.visibility))
EXECUTE FUNCTION available_counts_follow();

-- Each listing carries its first photo (key and alt text), kept by a trigger whenever its
-- photos change, so a grid of cards reads nothing but the listings.
ALTER TABLE items ADD COLUMN cover_photo_key TEXT;
ALTER TABLE items ADD COLUMN cover_photo_alt TEXT;

UPDATE items SET (cover_photo_key, cover_photo_alt) = (
    SELECT p.photo_key, p.alt_text FROM item_photos p
    WHERE p.item_id = items.id ORDER BY p.position, p.id LIMIT 1
);

CREATE FUNCTION item_cover_follow() RETURNS trigger AS $$
BEGIN
    UPDATE items SET (cover_photo_key, cover_photo_alt) = (
        SELECT p.photo_key, p.alt_text FROM item_photos p
        WHERE p.item_id = items.id ORDER BY p.position, p.id LIMIT 1
    )
    WHERE id IN (
        CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE OLD.item_id END,
        CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE NEW.item_id END
    );
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER item_cover_follow AFTER INSERT OR UPDATE OR DELETE ON item_photos
FOR EACH ROW EXECUTE FUNCTION item_cover_follow();
