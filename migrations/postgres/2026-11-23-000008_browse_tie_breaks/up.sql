-- Pages are ordered by (…, category_id, id) so that listings with the same title, time or
-- quantity keep a stable order. With the id in the index too, a page is read straight from
-- it: before, PostgreSQL read and sorted every listing sharing a title (thousands with a
-- common title like "Kontorsstol") to find page 3 of a category sorted by name.
-- SQLite needs nothing: its index entries already end in the rowid, which is the id.
DROP INDEX items_browse;
DROP INDEX items_browse_title;
DROP INDEX items_browse_quantity;
CREATE INDEX items_browse ON items (status, organisation_id, created_at, category_id, id);
CREATE INDEX items_browse_title ON items (status, organisation_id, title, category_id, id);
CREATE INDEX items_browse_quantity ON items (status, organisation_id, quantity_available, category_id, id);
