-- The large values of the log, the inbox, the outbox and the review index compressed with LZ4
-- instead of PostgreSQL's default pglz (PostgreSQL 14 or later). An `incident_opened` body (the decision's inputs kept for replay) is about 3 kB, over the
-- 2 kB at which PostgreSQL compresses a value; pglz took about twice LZ4's time to insert such
-- rows (measured with pgbench), on the path of every burst of alarms. Only values written from
-- now on are affected: stored rows keep theirs, and a value reads back byte for byte either way,
-- so the hash chain is untouched. A server built without LZ4 keeps pglz.
DO $$
BEGIN
    ALTER TABLE events ALTER COLUMN body SET COMPRESSION lz4;
    ALTER TABLE alarms ALTER COLUMN body SET COMPRESSION lz4;
    ALTER TABLE outbox ALTER COLUMN payload SET COMPRESSION lz4;
    ALTER TABLE outbox_messages ALTER COLUMN body SET COMPRESSION lz4;
    ALTER TABLE incident_fact_bodies ALTER COLUMN body SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this PostgreSQL has no LZ4: large values stay compressed with pglz';
END $$;
