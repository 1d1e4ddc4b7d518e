-- The registry: companies, lifts and units, as the dispatcher needs them.
--
-- Lifts may name companies that are not registered (yet): the registry is a directory kept in
-- step with outside registers, so there is no foreign key from lifts or units to companies.
-- Timestamps are TEXT in one fixed format, 2026-11-29T08:00:00.000000Z (always six fractional
-- digits, always Z), so comparing and ordering them as text orders them in time.

CREATE TABLE companies (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('maintainer', 'property_staff', 'fire_rescue'))
) STRICT;

CREATE TABLE lifts (
    id                     INTEGER PRIMARY KEY,
    rescue_code            TEXT NOT NULL,
    registration_code      TEXT NOT NULL,
    district               TEXT NOT NULL,
    cabin_phone            TEXT,
    device_id              TEXT,
    address                TEXT NOT NULL,
    building               TEXT NOT NULL,
    lat                    REAL NOT NULL,
    lon                    REAL NOT NULL,
    commissioned           TEXT,
    use_unit               INTEGER,
    use_unit_phone         TEXT,
    maintainer             INTEGER,
    no_property_management INTEGER NOT NULL,
    no_maintenance_unit    INTEGER NOT NULL,
    no_repair_fund         INTEGER NOT NULL,
    CONSTRAINT lifts_rescue_code_unique UNIQUE (rescue_code),
    CONSTRAINT lifts_registration_code_unique UNIQUE (registration_code)
) STRICT;
CREATE INDEX lifts_cabin_phone ON lifts (cabin_phone);
CREATE INDEX lifts_device_id ON lifts (device_id);

CREATE TABLE units (
    id        INTEGER PRIMARY KEY,
    name      TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('maintainer', 'property_staff', 'fire_rescue')),
    company   INTEGER NOT NULL,
    skills    TEXT NOT NULL,
    phone     TEXT,
    on_duty   INTEGER NOT NULL,
    fix_lat   REAL,
    fix_lon   REAL,
    fix_taken TEXT,
    CHECK ((fix_lat IS NULL) = (fix_taken IS NULL) AND (fix_lon IS NULL) = (fix_taken IS NULL))
) STRICT;
