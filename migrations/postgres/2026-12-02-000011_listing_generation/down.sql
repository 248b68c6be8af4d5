DROP TRIGGER listing_generation_update ON items;
DROP TRIGGER listing_generation_insert_delete ON items;
DROP FUNCTION listing_generation_bump();
DROP TABLE listing_generation;
