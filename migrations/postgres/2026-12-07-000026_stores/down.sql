DROP TABLE store_handins;
DROP INDEX items_store;
ALTER TABLE items DROP COLUMN shelf;
ALTER TABLE items DROP COLUMN store_unit_id;
ALTER TABLE units DROP COLUMN store_instructions;
ALTER TABLE units DROP COLUMN store_address;
