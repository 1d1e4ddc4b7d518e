-- The same change as PostgreSQL's 0007: each index ordered by id within a value. (`id` is the
-- rowid here, which every SQLite index already ends with; this keeps the two schemas alike.)
DROP INDEX lifts_device_id;
CREATE INDEX lifts_device_id ON lifts (device_id, id);
DROP INDEX lifts_cabin_phone;
CREATE INDEX lifts_cabin_phone ON lifts (cabin_phone, id);
