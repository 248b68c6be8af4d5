-- What happens to a listing nobody claims, per organisation: the lister is reminded some
-- days before its end date, then it goes through the steps in the organisation's order
-- (comma-separated: store, network, recycle), each lasting some days, before it ends.
ALTER TABLE organisations ADD COLUMN end_reminder_days INTEGER NOT NULL DEFAULT 3;
ALTER TABLE organisations ADD COLUMN end_steps TEXT NOT NULL DEFAULT '';
ALTER TABLE organisations ADD COLUMN end_step_days INTEGER NOT NULL DEFAULT 14;

-- How many of its organisation's steps a listing has been through, the end date its
-- lister was last reminded of, and how it ended when it ended by a step (recycling).
ALTER TABLE items ADD COLUMN end_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN end_reminded_for DATE;
ALTER TABLE items ADD COLUMN ended_as TEXT;
