//! Storm mode (issue #20): when a blackout traps many at once, the desk triages the waiting
//! incidents and assigns the free units to them together rather than one alarm at a time.
//!
//! [`solve`] is the pure global assignment: waiting jobs in strict priority tiers, each with
//! its K nearest eligible units and their times to arrival, in; the units they get, out.

pub mod solve;
