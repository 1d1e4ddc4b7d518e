//! Faults a newcomer meets in the first hour: a database that goes silent, a verifier that must
//! not write, a crew acting on someone else's incident, and registry writes the import would
//! refuse.

mod crew_refusal;
mod hung_database;
mod proxy;
mod registry_checks;
mod verify_read_only;
