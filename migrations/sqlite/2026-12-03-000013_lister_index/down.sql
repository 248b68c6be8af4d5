DROP INDEX items_lister;
CREATE INDEX items_created_by ON items (created_by);
