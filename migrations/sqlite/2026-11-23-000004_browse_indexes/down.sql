DROP INDEX items_browse_site;
DROP INDEX items_browse;
DROP INDEX items_browse_title;
DROP INDEX items_browse_quantity;
CREATE INDEX items_browse ON items (status, organisation_id, created_at);
CREATE INDEX items_browse_title ON items (status, organisation_id, title);
CREATE INDEX items_browse_quantity ON items (status, organisation_id, quantity_available);
