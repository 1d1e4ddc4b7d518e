//! Alarm intake, the pure decoding layer: what each real source sends, checked completely and
//! turned into a [`NewAlarm`](crate::store::NewAlarm) for the inbox.
//!
//! - [`codes`]: per-source fault-code maps (TOML, in configuration, not code) from a source's
//!   numeric code to an [`AlarmKind`](crate::domain::AlarmKind). `common` (the 1–22 numbering
//!   many vendors share) and `chongqing` ship in `ops/intake-codes/` and are built in. An
//!   unmapped code is kept as a named fault, never dropped.

pub mod codes;

pub use codes::{Classified, CodeMap, CodeMapError};
