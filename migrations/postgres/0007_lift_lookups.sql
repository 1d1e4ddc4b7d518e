-- A lift is found by its terminal or its cabin phone as the first lift (lowest id) that has it.
-- Indexed on the column alone, a plan made before `lifts` has statistics (right after an
-- import, until autovacuum analyzes it) walked every lift in id order testing the column, once
-- per alarm; ordered by id within each value, the index answers "the first by id" in one entry
-- whatever the statistics.
DROP INDEX lifts_device_id;
CREATE INDEX lifts_device_id ON lifts (device_id, id);
DROP INDEX lifts_cabin_phone;
CREATE INDEX lifts_cabin_phone ON lifts (cabin_phone, id);
