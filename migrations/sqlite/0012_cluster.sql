-- Several nodes on one database are a PostgreSQL feature (the desk lease, its fence and the
-- commands forwarded to the holder: migrations/postgres/0012_cluster.sql). SQLite is one node;
-- this version keeps the two folders aligned.
SELECT 1;
