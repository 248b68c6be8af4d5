-- Nothing to do on SQLite: the PostgreSQL migration of the same name adds the id to the
-- browse indexes, and SQLite's index entries already end in the rowid, which is the id.
SELECT 1;
