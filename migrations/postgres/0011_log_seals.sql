-- The daily seals (`log_sealed` rows) are listed newest first for the bureau and the newest is
-- read at start to know which day was sealed last; this partial index holds only those rows,
-- so neither scans the whole log.
CREATE INDEX events_seals ON events (seq) WHERE kind = 'log_sealed';
