-- One open place in line per person and listing, also when the same press arrives at two
-- instances at once.
CREATE UNIQUE INDEX queue_entries_one_open_place ON queue_entries (item_id, requester_id)
    WHERE status IN ('waiting', 'offered');
