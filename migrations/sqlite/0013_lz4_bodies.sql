-- PostgreSQL compresses its large values with LZ4 from this version
-- (migrations/postgres/0013_lz4_bodies.sql); SQLite does not compress values. This version
-- keeps the two folders aligned.
SELECT 1;
