//! The registry's ways in: the lift and unit registers as CSV files ([`import`]), and the
//! synthetic demo region ([`seed_demo`]) with, if asked, a history of incidents played through
//! the desk ([`history`]). [`check`] holds the record checks the import and
//! the admin API share.
//!
//! Both parse and check everything first and only then write, so a bad file writes nothing;
//! writing goes through the store's puts, which are upserts keyed by id (importing a corrected
//! file again replaces the rows it names).

pub mod check;
pub mod history;
pub mod import;

pub use import::{
    ImportError, LIFTS_COLUMNS, RowError, UNITS_COLUMNS, import_lifts, import_units, parse_lifts,
    parse_units,
};

use crate::demo::{RegionSpec, region};
use crate::store::{Company, Store, StoreError};
use chrono::{DateTime, Utc};

/// What [`seed_demo`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    /// Companies written.
    pub companies: usize,
    /// Lifts written.
    pub lifts: usize,
    /// Units written (positions fixed at the `now` given).
    pub units: usize,
}

/// Writes the demo region `spec` describes (`crate::demo::region(spec, now)`) into the store:
/// companies, lifts, units. Deterministic: the same spec writes the same rows, so seeding twice
/// changes nothing but the units' fix times.
pub async fn seed_demo(
    store: &dyn Store,
    spec: &RegionSpec,
    now: DateTime<Utc>,
) -> Result<Seeded, StoreError> {
    let r = region(spec, now);
    let companies: Vec<Company> = r
        .companies
        .into_iter()
        .map(|c| Company {
            id: c.id,
            name: c.name,
            kind: c.kind,
        })
        .collect();
    store.put_companies(&companies).await?;
    store.put_lifts(&r.lifts).await?;
    store.put_units(&r.units).await?;
    Ok(Seeded {
        companies: companies.len(),
        lifts: r.lifts.len(),
        units: r.units.len(),
    })
}

#[cfg(test)]
mod tests;
