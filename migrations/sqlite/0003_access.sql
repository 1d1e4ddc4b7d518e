-- Bearer tokens (only the SHA-256 of each secret is kept) and idempotency keys.

CREATE TABLE tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    hash       TEXT NOT NULL,
    role       TEXT NOT NULL
        CHECK (role IN ('operator', 'crew', 'investigator', 'admin', 'integration')),
    unit_id    INTEGER,
    label      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT tokens_hash_unique UNIQUE (hash)
) STRICT;

-- The first response to a request with a given key is kept and replayed for repeats.
CREATE TABLE idempotency (
    actor      TEXT NOT NULL,
    key        TEXT NOT NULL,
    status     INTEGER NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (actor, key)
) STRICT;
