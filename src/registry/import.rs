//! CSV import of the lift and unit registers.
//!
//! Files are UTF-8 CSV with a header row naming the columns, in any order. A column not listed
//! here is an error (a misspelt optional column would otherwise be silently ignored); optional
//! columns may be left out or left empty. Surrounding spaces are trimmed. Every value is checked
//! with the domain's `parse` constructors, and every bad value of every row is reported
//! ([`RowError`]: line, column, why); if any row is bad, nothing is imported.
//!
//! # Lifts
//!
//! | column | | |
//! |---|---|---|
//! | `id` | required | registry id, a positive integer; unique in the file |
//! | `rescue_code` | required | the 5 or 6 digits on the sign in the car; unique |
//! | `registration_code` | required | the 20-digit registration code; unique |
//! | `district` | optional | GB/T 2260 code; default: the registration code's digits 5-10 |
//! | `cabin_phone` | optional | caller id of the cabin emergency phone |
//! | `device_id` | optional | IoT terminal id |
//! | `street` | optional | the street (街道) or township, at most 64 characters |
//! | `address` | required | street address |
//! | `building` | optional | block / unit / car |
//! | `lat`, `lon` | required | decimal degrees |
//! | `coord_system` | optional | `wgs84` (default) or `gcj02` (converted to WGS-84) |
//! | `commissioned` | optional | `YYYY-MM-DD` |
//! | `use_unit` | optional | company id of the use unit (usually the property company) |
//! | `use_unit_phone` | optional | the use unit's duty phone |
//! | `maintainer` | optional | company id of the contracted maintenance company |
//! | `no_property_management`, `no_maintenance_unit`, `no_repair_fund` | optional | `true` / `false` (also `1`/`0`, `yes`/`no`); default false; `no_maintenance_unit` cannot be true with a `maintainer` |
//!
//! # Units
//!
//! | column | | |
//! |---|---|---|
//! | `id` | required | registry id, a positive integer; unique in the file |
//! | `name` | required | display name or call sign |
//! | `kind` | required | `maintainer`, `property_staff` or `fire_rescue` |
//! | `company` | required | company id of the employer |
//! | `skills` | optional | separated by `;`, e.g. `traction;escalator` |
//! | `phone` | optional | mobile number for SMS and voice pages |
//! | `on_duty` | optional | `true` / `false`; default false (crews come on duty from the app) |
//! | `lat`, `lon` | optional | last known position (WGS-84), both or neither |
//! | `fix_taken` | optional | RFC 3339 time of that position; without it the position counts as known long ago (shown, never fresh enough to page on) |
//! | `base_lat`, `base_lon` | optional | its base (WGS-84), both or neither: a fire station, the building property staff work in, a maintenance depot; without a fresh fix the unit is paged from there |
//! | `contact_plan` | optional | the unit's own contact plan, e.g. `"voice:0s,sms:60s,repeat:60s"` (quoted: it holds commas); without it, its kind's from the configuration |
//!
//! The same tables, as text, are [`LIFTS_COLUMNS`] and [`UNITS_COLUMNS`].

mod lifts;
mod units;

#[cfg(test)]
mod tests;

pub use lifts::parse_lifts;
pub use units::parse_units;

use super::check::Problem;
use crate::store::{Store, StoreError};
use csv::StringRecord;
use std::collections::HashMap;
use std::fmt;

/// The lift register's columns, for `--help` text.
pub const LIFTS_COLUMNS: &str = "\
id                      required  registry id, a positive integer, unique in the file
rescue_code             required  the 5 or 6 digits on the sign in the car, unique
registration_code       required  the 20-digit registration code, unique
district                optional  GB/T 2260 code (default: registration code digits 5-10)
cabin_phone             optional  caller id of the cabin emergency phone
device_id               optional  IoT terminal id
street                  optional  the street (街道) or township, at most 64 characters
address                 required  street address
building                optional  block / unit / car
lat, lon                required  decimal degrees
coord_system            optional  wgs84 (default) or gcj02 (converted to WGS-84)
commissioned            optional  YYYY-MM-DD
use_unit                optional  company id of the use unit (property company)
use_unit_phone          optional  the use unit's duty phone
maintainer              optional  company id of the contracted maintenance company
no_property_management  optional  true/false (1/0, yes/no), default false
no_maintenance_unit     optional  true/false, default false; not true with a maintainer
no_repair_fund          optional  true/false, default false";

/// The unit register's columns, for `--help` text.
pub const UNITS_COLUMNS: &str = "\
id           required  registry id, a positive integer, unique in the file
name         required  display name or call sign
kind         required  maintainer, property_staff or fire_rescue
company      required  company id of the employer
skills       optional  separated by ';', e.g. traction;escalator
phone        optional  mobile number for SMS and voice pages
on_duty      optional  true/false (1/0, yes/no), default false
lat, lon     optional  last known position (WGS-84), both or neither
fix_taken    optional  RFC 3339 time of that position (default: long ago, never fresh)
base_lat, base_lon
             optional  its base (station, building, depot), both or neither; without a
                       fresh position it is paged from there
contact_plan optional  its own contact plan, e.g. \"voice:0s,sms:60s\" (quoted: it holds
                       commas); default: its kind's from the configuration";

/// One bad value (or a bad header, or a line that is not CSV).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Line in the file, from 1 (the header is line 1).
    pub line: u64,
    /// The column, or empty for a line that could not be read.
    pub field: String,
    /// What is wrong.
    pub why: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field.as_str() {
            "" => write!(f, "line {}: {}", self.line, self.why),
            field => write!(f, "line {}, field {field}: {}", self.line, self.why),
        }
    }
}

impl std::error::Error for RowError {}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file has bad rows (all of them are listed).
    #[error("{} bad value(s):\n{}", .0.len(), lines(.0))]
    Invalid(Vec<RowError>),
    /// The store refused the rows (e.g. a rescue code another lift already holds).
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn lines(errors: &[RowError]) -> String {
    let v: Vec<String> = errors.iter().map(ToString::to_string).collect();
    v.join("\n")
}

/// Parses a lift register and writes it in one put. Returns the number of lifts.
pub async fn import_lifts(store: &dyn Store, text: &str) -> Result<usize, ImportError> {
    let lifts = parse_lifts(text).map_err(ImportError::Invalid)?;
    store.put_lifts(&lifts).await?;
    Ok(lifts.len())
}

/// Parses a unit register and writes it in one put. Returns the number of units.
pub async fn import_units(store: &dyn Store, text: &str) -> Result<usize, ImportError> {
    let units = parse_units(text).map_err(ImportError::Invalid)?;
    store.put_units(&units).await?;
    Ok(units.len())
}

/// Reads a register: checks the header against `known` and `required`, then builds each row
/// with `build`, collecting every error of every row.
fn read<T>(
    text: &str,
    known: &[&str],
    required: &[&str],
    mut build: impl FnMut(&mut Row) -> Option<T>,
) -> Result<Vec<T>, Vec<RowError>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let columns = header(&mut reader, known, required)?;
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(RowError {
                    line,
                    field: String::new(),
                    why: e.to_string(),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let mut row = Row {
            line,
            record: &record,
            columns: &columns,
            errors: Vec::new(),
        };
        match build(&mut row) {
            Some(v) if row.errors.is_empty() => out.push(v),
            _ => errors.append(&mut row.errors),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn header(
    reader: &mut csv::Reader<&[u8]>,
    known: &[&str],
    required: &[&str],
) -> Result<HashMap<String, usize>, Vec<RowError>> {
    let bad = |field: &str, why: String| RowError {
        line: 1,
        field: field.into(),
        why,
    };
    let headers = reader.headers().map_err(|e| vec![bad("", e.to_string())])?;
    let mut columns = HashMap::new();
    let mut errors = Vec::new();
    for (i, name) in headers.iter().enumerate() {
        if !known.contains(&name) {
            errors.push(bad(
                name,
                format!("unknown column (known: {})", known.join(", ")),
            ));
        } else if columns.insert(name.to_owned(), i).is_some() {
            errors.push(bad(name, "column appears twice".into()));
        }
    }
    for name in required {
        if !columns.contains_key(*name) {
            errors.push(bad(name, "required column is missing".into()));
        }
    }
    if errors.is_empty() {
        Ok(columns)
    } else {
        Err(errors)
    }
}

/// One record being read, and the errors found in it so far.
struct Row<'r> {
    line: u64,
    record: &'r StringRecord,
    columns: &'r HashMap<String, usize>,
    errors: Vec<RowError>,
}

impl Row<'_> {
    /// The value of `name`, if the column exists and the cell is not empty.
    fn text(&self, name: &str) -> Option<&str> {
        let i = *self.columns.get(name)?;
        self.record.get(i).filter(|s| !s.is_empty())
    }

    fn fail(&mut self, name: &str, why: impl fmt::Display) {
        let (line, field) = (self.line, name.to_owned());
        self.errors.push(RowError {
            line,
            field,
            why: why.to_string(),
        });
    }

    /// A required value, parsed.
    fn required<T, E: fmt::Display>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        match self.text(name).map(parse) {
            Some(Ok(v)) => Some(v),
            Some(Err(e)) => {
                self.fail(name, e);
                None
            }
            None => {
                self.fail(name, "is required");
                None
            }
        }
    }

    /// An optional value, parsed: `Some(None)` when empty, `None` when bad (error recorded).
    fn optional<T, E: fmt::Display>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<Option<T>> {
        match self.text(name).map(parse) {
            Some(Ok(v)) => Some(Some(v)),
            Some(Err(e)) => {
                self.fail(name, e);
                None
            }
            None => Some(None),
        }
    }

    /// A problem the shared record checks (`registry::check`) found, on its column.
    fn problem(&mut self, p: Problem) {
        self.fail(p.field, p.why);
    }

    /// The value a shared record check passed, or `None` with its problem recorded.
    fn checked<T>(&mut self, checked: Result<T, Problem>) -> Option<T> {
        checked.map_err(|p| self.problem(p)).ok()
    }

    /// An optional yes/no value, false when empty.
    fn flag(&mut self, name: &str) -> bool {
        self.optional(name, parse_bool).flatten().unwrap_or(false)
    }
}

fn parse_bool(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" => Ok(true),
        "false" | "0" | "no" | "n" => Ok(false),
        _ => Err(format!("{s:?} is not true or false")),
    }
}

/// A registry id: a positive integer.
fn parse_id(s: &str) -> Result<i64, String> {
    match s.parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{s:?} is not a positive integer id")),
    }
}

/// A decimal number of degrees (range is checked with the pair).
fn parse_degrees(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .map_err(|_| format!("{s:?} is not a decimal number of degrees"))
}

/// Notes the first line each key was seen on; a repeat is an error naming that line. Keys are
/// compared in their parsed form when they parse (`01` and `1` are the same id), as written
/// otherwise, so a repeat is reported even on a row with other errors.
#[derive(Default)]
struct Seen(HashMap<(&'static str, String), u64>);

impl Seen {
    fn check(
        &mut self,
        row: &mut Row,
        field: &'static str,
        canon: impl Fn(&str) -> Option<String>,
    ) {
        let Some(text) = row.text(field) else {
            return;
        };
        let key = canon(text).unwrap_or_else(|| text.to_owned());
        match self.0.get(&(field, key.clone())) {
            Some(first) => row.fail(field, format!("{key} is also on line {first}")),
            None => {
                self.0.insert((field, key), row.line);
            }
        }
    }
}

/// An id's canonical form, for [`Seen`].
fn canon_id(s: &str) -> Option<String> {
    parse_id(s).ok().map(|n| n.to_string())
}
