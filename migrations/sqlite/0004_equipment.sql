-- Equipment supervision events are read back at start to rebuild equipment health; this
-- partial index holds only those rows, so the read does not scan the whole log.
CREATE INDEX events_equipment ON events (seq) WHERE kind IN ('equipment_fault', 'equipment_ok');
