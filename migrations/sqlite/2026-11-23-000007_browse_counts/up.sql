-- Available listings per organisation, category and visibility, kept by triggers in the
-- same transaction as every change to a listing. Browse reads its totals from here (a few
-- dozen rows) instead of counting the listings themselves, so they are exact at any size.
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

CREATE TRIGGER available_counts_insert AFTER INSERT ON items
WHEN NEW.status = 'available'
BEGIN
    INSERT INTO available_counts (organisation_id, category_id, visibility, listings)
    VALUES (NEW.organisation_id, NEW.category_id, NEW.visibility, 1)
    ON CONFLICT (organisation_id, category_id, visibility) DO UPDATE SET listings = listings + 1;
END;

CREATE TRIGGER available_counts_delete AFTER DELETE ON items
WHEN OLD.status = 'available'
BEGIN
    UPDATE available_counts SET listings = listings - 1
    WHERE organisation_id = OLD.organisation_id AND category_id = OLD.category_id
      AND visibility = OLD.visibility;
END;

-- Only when a listing enters, leaves or moves between counts: a reservation that leaves
-- units available touches no count row.
CREATE TRIGGER available_counts_update
AFTER UPDATE OF status, organisation_id, category_id, visibility ON items
WHEN (OLD.status = 'available' OR NEW.status = 'available')
 AND (OLD.status IS NOT NEW.status OR OLD.organisation_id IS NOT NEW.organisation_id
      OR OLD.category_id IS NOT NEW.category_id OR OLD.visibility IS NOT NEW.visibility)
BEGIN
    UPDATE available_counts SET listings = listings - 1
    WHERE OLD.status = 'available' AND organisation_id = OLD.organisation_id
      AND category_id = OLD.category_id AND visibility = OLD.visibility;
    INSERT INTO available_counts (organisation_id, category_id, visibility, listings)
    SELECT NEW.organisation_id, NEW.category_id, NEW.visibility, 1
    WHERE NEW.status = 'available'
    ON CONFLICT (organisation_id, category_id, visibility) DO UPDATE SET listings = listings + 1;
END;

-- Each listing carries its first photo (key and alt text), kept by triggers whenever its
-- photos change, so a grid of cards reads nothing but the listings.
ALTER TABLE items ADD COLUMN cover_photo_key TEXT;
ALTER TABLE items ADD COLUMN cover_photo_alt TEXT;

UPDATE items SET (cover_photo_key, cover_photo_alt) = (
    SELECT p.photo_key, p.alt_text FROM item_photos p
    WHERE p.item_id = items.id ORDER BY p.position, p.id LIMIT 1
);

CREATE TRIGGER item_cover_insert AFTER INSERT ON item_photos
BEGIN
    UPDATE items SET (cover_photo_key, cover_photo_alt) = (
        SELECT p.photo_key, p.alt_text FROM item_photos p
        WHERE p.item_id = NEW.item_id ORDER BY p.position, p.id LIMIT 1
    ) WHERE id = NEW.item_id;
END;

CREATE TRIGGER item_cover_update AFTER UPDATE ON item_photos
BEGIN
    UPDATE items SET (cover_photo_key, cover_photo_alt) = (
        SELECT p.photo_key, p.alt_text FROM item_photos p
        WHERE p.item_id = items.id ORDER BY p.position, p.id LIMIT 1
    ) WHERE id IN (OLD.item_id, NEW.item_id);
END;

CREATE TRIGGER item_cover_delete AFTER DELETE ON item_photos
BEGIN
    UPDATE items SET (cover_photo_key, cover_photo_alt) = (
        SELECT p.photo_key, p.alt_text FROM item_photos p
        WHERE p.item_id = OLD.item_id ORDER BY p.position, p.id LIMIT 1
    ) WHERE id = OLD.item_id;
END;
