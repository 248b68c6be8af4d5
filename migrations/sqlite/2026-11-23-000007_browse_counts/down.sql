DROP TRIGGER item_cover_delete;
DROP TRIGGER item_cover_update;
DROP TRIGGER item_cover_insert;
ALTER TABLE items DROP COLUMN cover_photo_alt;
ALTER TABLE items DROP COLUMN cover_photo_key;
DROP TRIGGER available_counts_update;
DROP TRIGGER available_counts_delete;
DROP TRIGGER available_counts_insert;
DROP TABLE available_counts;
