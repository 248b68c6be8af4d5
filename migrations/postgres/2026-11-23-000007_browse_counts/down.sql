DROP TRIGGER item_cover_follow ON item_photos;
DROP FUNCTION item_cover_follow();
ALTER TABLE items DROP COLUMN cover_photo_alt;
ALTER TABLE items DROP COLUMN cover_photo_key;
DROP TRIGGER available_counts_update ON items;
DROP TRIGGER available_counts_insert_delete ON items;
DROP FUNCTION available_counts_follow();
DROP TABLE available_counts;
