ALTER TABLE items DROP COLUMN ended_as;
ALTER TABLE items DROP COLUMN end_reminded_for;
ALTER TABLE items DROP COLUMN end_step;
ALTER TABLE organisations DROP COLUMN end_step_days;
ALTER TABLE organisations DROP COLUMN end_steps;
ALTER TABLE organisations DROP COLUMN end_reminder_days;
