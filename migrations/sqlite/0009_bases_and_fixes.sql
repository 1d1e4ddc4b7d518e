-- Bases and durable live positions.
--
-- A unit's base (a fire station, the building property staff work in, a maintenance depot) is
-- where it is paged from when it has no fresh fix: a registry value, both coordinates or none.
ALTER TABLE units ADD COLUMN base_lat REAL;
ALTER TABLE units ADD COLUMN base_lon REAL CHECK ((base_lat IS NULL) = (base_lon IS NULL));

-- The last live fix of each unit, as crews report it (`POST /api/v1/crew/position`), written
-- behind the desk at most every second, so a restart pages from where crews last were. Kept
-- apart from the registry's own fix columns, which imports and `PUT /api/v1/units` replace.
-- No foreign key: the writer must never be refused a batch over one row; a row for a unit the
-- registry no longer has is ignored at start.
CREATE TABLE unit_fixes (
    unit_id INTEGER PRIMARY KEY,
    lat     REAL NOT NULL,
    lon     REAL NOT NULL,
    taken   TEXT NOT NULL
) STRICT;
