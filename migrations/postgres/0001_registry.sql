-- The registry: companies, lifts and units, as the dispatcher needs them.
--
-- Lifts may name companies that are not registered (yet): the registry is a directory kept in
-- step with outside registers, so there is no foreign key from lifts or units to companies.

CREATE TABLE companies (
    id   BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('maintainer', 'property_staff', 'fire_rescue'))
);

CREATE TABLE lifts (
    id                     BIGINT PRIMARY KEY,
    rescue_code            TEXT NOT NULL,
    registration_code      TEXT NOT NULL,
    district               TEXT NOT NULL,
    cabin_phone            TEXT,
    device_id              TEXT,
    address                TEXT NOT NULL,
    building               TEXT NOT NULL,
    lat                    DOUBLE PRECISION NOT NULL,
    lon                    DOUBLE PRECISION NOT NULL,
    commissioned           DATE,
    use_unit               BIGINT,
    use_unit_phone         TEXT,
    maintainer             BIGINT,
    no_property_management BOOLEAN NOT NULL,
    no_maintenance_unit    BOOLEAN NOT NULL,
    no_repair_fund         BOOLEAN NOT NULL,
    CONSTRAINT lifts_rescue_code_unique UNIQUE (rescue_code),
    CONSTRAINT lifts_registration_code_unique UNIQUE (registration_code)
);
CREATE INDEX lifts_cabin_phone ON lifts (cabin_phone);
CREATE INDEX lifts_device_id ON lifts (device_id);

CREATE TABLE units (
    id        BIGINT PRIMARY KEY,
    name      TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('maintainer', 'property_staff', 'fire_rescue')),
    company   BIGINT NOT NULL,
    skills    JSONB NOT NULL,
    phone     TEXT,
    on_duty   BOOLEAN NOT NULL,
    fix_lat   DOUBLE PRECISION,
    fix_lon   DOUBLE PRECISION,
    fix_taken TIMESTAMPTZ,
    CHECK ((fix_lat IS NULL) = (fix_taken IS NULL) AND (fix_lon IS NULL) = (fix_taken IS NULL))
);
