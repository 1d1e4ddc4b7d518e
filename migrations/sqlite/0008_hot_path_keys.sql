-- PostgreSQL's 0008 drops the foreign keys among the rows an alarm's decision writes (one
-- statement writes them all from one plan) and an index nothing reads. Here only the index goes:
-- SQLite cannot drop a constraint without rebuilding the append-only log table, and keeping the
-- keys means the conformance tests, which run on both engines, still check every reference the
-- shared write plan makes.
DROP INDEX outbox_due;
