//! Column types that need one representation per engine, so the SQL and the row structs can be
//! shared.
//!
//! - [`Ts`]: a timestamp. `TIMESTAMPTZ` on PostgreSQL; on SQLite TEXT in one fixed format,
//!   `2026-11-29T08:00:00.000000Z` (six fractional digits, always `Z`), so that comparing and
//!   ordering the text orders the instants. sqlx's own SQLite encoding varies the number of
//!   fractional digits, which would break `ORDER BY` and range filters. Both engines keep
//!   microseconds, so timestamps are truncated to microseconds before they are written
//!   ([`micros`]): what is read back equals what was written.
//! - [`JsonText`]: JSON kept as text. `JSONB` on PostgreSQL (queryable by investigators), TEXT on
//!   SQLite.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::types::Oid;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueFormat, PgValueRef};
use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};

/// A timestamp column (see the module docs for its form on each engine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ts(pub DateTime<Utc>);

/// JSON kept as text (see the module docs for its form on each engine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonText(pub String);

/// `t` truncated to whole microseconds, the precision both engines keep.
pub fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// The fixed RFC 3339 form: six fractional digits and `Z` (used by SQLite and the hash chain).
pub fn fixed_rfc3339(t: DateTime<Utc>) -> String {
    micros(t).to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl Type<Postgres> for Ts {
    fn type_info() -> PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        <DateTime<Utc> as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for Ts {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <DateTime<Utc> as Encode<Postgres>>::encode_by_ref(&micros(self.0), buf)
    }
}

impl<'r> Decode<'r, Postgres> for Ts {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        <DateTime<Utc> as Decode<Postgres>>::decode(value).map(Ts)
    }
}

impl Type<Sqlite> for Ts {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty) || <DateTime<Utc> as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for Ts {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        <String as Encode<Sqlite>>::encode(fixed_rfc3339(self.0), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Ts {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<Sqlite>>::decode(value)?;
        Ok(Ts(DateTime::parse_from_rfc3339(text)?.to_utc()))
    }
}

/// PostgreSQL's `jsonb` type (a fixed, built-in oid).
const JSONB_OID: Oid = Oid(3802);
/// PostgreSQL's `json` type.
const JSON_OID: Oid = Oid(114);
/// The version byte that starts jsonb's binary form.
const JSONB_VERSION: u8 = 1;

impl Type<Postgres> for JsonText {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_oid(JSONB_OID)
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        *ty == PgTypeInfo::with_oid(JSONB_OID) || *ty == PgTypeInfo::with_oid(JSON_OID)
    }
}

impl Encode<'_, Postgres> for JsonText {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        buf.push(JSONB_VERSION);
        buf.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }
}

impl<'r> Decode<'r, Postgres> for JsonText {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let is_jsonb = *sqlx::ValueRef::type_info(&value) == PgTypeInfo::with_oid(JSONB_OID);
        let mut bytes = value.as_bytes()?;
        if value.format() == PgValueFormat::Binary && is_jsonb {
            match bytes.split_first() {
                Some((&JSONB_VERSION, rest)) => bytes = rest,
                _ => return Err("unsupported jsonb version".into()),
            }
        }
        Ok(JsonText(std::str::from_utf8(bytes)?.to_owned()))
    }
}

impl Type<Sqlite> for JsonText {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for JsonText {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        <String as Encode<Sqlite>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Sqlite> for JsonText {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        <String as Decode<Sqlite>>::decode(value).map(JsonText)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixed_form_always_has_six_fractional_digits_and_a_z() {
        let t = DateTime::parse_from_rfc3339("2026-11-29T08:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(fixed_rfc3339(t), "2026-11-29T08:00:00.000000Z");
        let t = DateTime::parse_from_rfc3339("2026-11-29T08:00:00.123456789+08:00")
            .unwrap()
            .to_utc();
        assert_eq!(fixed_rfc3339(t), "2026-11-29T00:00:00.123456Z");
        assert_eq!(micros(t).timestamp_subsec_nanos(), 123_456_000);
    }
}
