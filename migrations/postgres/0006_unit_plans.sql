-- A unit's own contact plan ("push:0s,sms:30s,voice:60s,repeat:60s"), over its kind's from the
-- configuration; NULL: its kind's.
ALTER TABLE units ADD COLUMN contact_plan TEXT;
