DROP TRIGGER items_fts_update;
DROP TRIGGER items_fts_delete;
DROP TRIGGER items_fts_insert;
DROP TABLE items_fts;
DROP TABLE item_photos;
DROP TABLE items;
