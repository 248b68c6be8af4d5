DROP INDEX items_browse;
DROP INDEX items_browse_title;
DROP INDEX items_browse_quantity;
CREATE INDEX items_browse ON items (status, organisation_id, created_at, category_id);
CREATE INDEX items_browse_title ON items (status, organisation_id, title, category_id);
CREATE INDEX items_browse_quantity ON items (status, organisation_id, quantity_available, category_id);
