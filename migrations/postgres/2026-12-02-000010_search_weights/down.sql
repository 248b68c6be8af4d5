DROP INDEX items_search_version;
ALTER TABLE items DROP COLUMN search_version;
ALTER TABLE items DROP COLUMN search_weights;
