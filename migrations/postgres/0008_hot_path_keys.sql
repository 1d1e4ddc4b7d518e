-- The rows an alarm's decision writes are written together, by one statement of the one writer
-- (`store::opening`, or the locked append), from one plan: the incident row, its log rows, the
-- alarm's mark, the page and its first message. The foreign keys between them only re-checked,
-- row by row, what that plan already holds, and on the alarm path they were a fifth of the
-- append's execution (one lookup and one row lock per log row). The log no longer leans on a
-- projection of itself either: `incidents` is rebuilt from `events`, never the other way round.
-- What keeps the record whole is unchanged: the append-only triggers, the hash chain
-- (`verify-log`), and the uniqueness of `seq`, `prev_hash` and (incident, incident_seq) that
-- refuses a writer chaining from a stale head or a stale incident. SQLite keeps these keys (its
-- 0008), so the conformance tests, which run on both engines, still check every reference.
ALTER TABLE events DROP CONSTRAINT events_incident_id_fkey;
ALTER TABLE alarms DROP CONSTRAINT alarms_incident_id_fkey;
ALTER TABLE outbox DROP CONSTRAINT outbox_incident_id_fkey;
ALTER TABLE outbox DROP CONSTRAINT outbox_event_seq_fkey;
ALTER TABLE outbox_messages DROP CONSTRAINT outbox_messages_page_id_fkey;
-- Nothing reads pages by next_attempt_at since their messages moved to `outbox_messages`
-- (0005): one index entry fewer per page.
DROP INDEX outbox_due;
