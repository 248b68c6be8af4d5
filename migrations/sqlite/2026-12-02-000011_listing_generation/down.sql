DROP TRIGGER listing_generation_update;
DROP TRIGGER listing_generation_delete;
DROP TRIGGER listing_generation_insert;
DROP TABLE listing_generation;
