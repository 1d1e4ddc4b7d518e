//! Lifts and the codes people and machines use to name them.
//!
//! A trapped passenger reads the 6-digit rescue code off the 96333 sign; the register knows the
//! 20-digit registration code; the cabin phone identifies itself by its caller number; an IoT
//! terminal by its device id. All four resolve to one [`Lift`].

use super::geo::LatLon;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why an identifier was refused; the message names the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {value:?}: {why}")]
pub struct IdError {
    /// Which kind of identifier (e.g. "rescue code").
    pub what: &'static str,
    /// The value that was refused.
    pub value: String,
    /// The rule it broke.
    pub why: String,
}

fn id_error(what: &'static str, value: &str, why: impl Into<String>) -> IdError {
    IdError {
        what,
        value: value.to_owned(),
        why: why.into(),
    }
}

id_type!(
    /// Database id of a lift in the registry.
    LiftId
);

id_type!(
    /// Database id of a company (maintenance company, property company, fire brigade).
    CompanyId
);

/// The rescue identification code (救援识别码) on the sign inside the car: 6 digits
/// (some cities use 5).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[derive(utoipa::ToSchema)]
#[schema(pattern = "^[0-9]{5,6}$", example = "035302")]
pub struct RescueCode(String);

impl RescueCode {
    /// Accepts exactly 5 or 6 ASCII digits; surrounding spaces are trimmed.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let t = s.trim();
        if !(t.len() == 5 || t.len() == 6) {
            return Err(id_error(
                "rescue code",
                s,
                "must be 6 digits (5 in some cities)",
            ));
        }
        if !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(id_error("rescue code", s, "must contain digits only"));
        }
        Ok(Self(t.to_owned()))
    }
    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A GB/T 2260 administrative division code: 6 digits, e.g. 500103 for Yuzhong District.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[derive(utoipa::ToSchema)]
#[schema(
    value_type = String,
    example = "500103",
    pattern = "^(1[1-9]|[2-7][0-9]|8[0-2])[0-9]{4}$"
)]
pub struct AdminCode(u32);

impl AdminCode {
    /// Yuzhong District, Chongqing: 500103.
    pub const YUZHONG: AdminCode = AdminCode(500_103);

    /// Accepts 6 digits whose 2-digit province part is a real province code (11–82).
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let t = s.trim();
        if t.len() != 6 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(id_error("admin code", s, "must be 6 digits (GB/T 2260)"));
        }
        let province: u32 = t[..2]
            .parse()
            .map_err(|_| id_error("admin code", s, "not a number"))?;
        if !(11..=82).contains(&province) {
            return Err(id_error("admin code", s, "province part must be 11..=82"));
        }
        let n = t
            .parse()
            .map_err(|_| id_error("admin code", s, "not a number"))?;
        Ok(Self(n))
    }
    /// The six digits, zero-padded.
    pub fn as_string(&self) -> String {
        format!("{:06}", self.0)
    }
}

/// The 20-digit registration code (注册代码): equipment class (4) + GB/T 2260 admin code (6) +
/// registration year-month YYYYMM (6) + sequence (4).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegistrationCode {
    code: String,
}

impl RegistrationCode {
    /// Checks length, digits, a lift equipment class (31xx, 32xx, 33xx), a real admin code and a
    /// real registration month between 1990 and 2099.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        const WHAT: &str = "registration code";
        let t = s.trim();
        if t.len() != 20 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(id_error(WHAT, s, "must be 20 digits"));
        }
        if !matches!(&t[..2], "31" | "32" | "33") {
            return Err(id_error(
                WHAT,
                s,
                "equipment class must be a lift class (31xx, 32xx or 33xx)",
            ));
        }
        AdminCode::parse(&t[4..10])
            .map_err(|e| id_error(WHAT, s, format!("digits 5-10: {}", e.why)))?;
        let year: u32 = t[10..14]
            .parse()
            .map_err(|_| id_error(WHAT, s, "bad year"))?;
        let month: u32 = t[14..16]
            .parse()
            .map_err(|_| id_error(WHAT, s, "bad month"))?;
        if !(1990..=2099).contains(&year) || !(1..=12).contains(&month) {
            return Err(id_error(
                WHAT,
                s,
                "digits 11-16 must be a real year-month YYYYMM",
            ));
        }
        Ok(Self { code: t.to_owned() })
    }
    /// The 20 digits.
    pub fn as_str(&self) -> &str {
        &self.code
    }
    /// Equipment class, e.g. "3110" for a traction passenger lift.
    pub fn equipment_class(&self) -> &str {
        &self.code[..4]
    }
    /// The GB/T 2260 district the lift was registered in.
    pub fn admin_code(&self) -> AdminCode {
        // Checked in `parse`: six digits with a valid province part.
        AdminCode(self.code[4..10].parse().unwrap_or_default())
    }
    /// Registration year and month.
    pub fn registered(&self) -> (u32, u32) {
        let y = self.code[10..14].parse().unwrap_or_default();
        let m = self.code[14..16].parse().unwrap_or_default();
        (y, m)
    }
}

/// A telephone number as the network presents it (cabin phone caller id, crew mobile):
/// an optional leading `+`, then 3 to 20 digits; spaces and dashes are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[derive(utoipa::ToSchema)]
#[schema(pattern = "^\\+?[0-9]{3,20}$", example = "02360000001")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Normalises and checks a number.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let cleaned: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect();
        let digits = cleaned.strip_prefix('+').unwrap_or(&cleaned);
        if !(3..=20).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(id_error(
                "phone number",
                s,
                "must be 3 to 20 digits, optionally after +",
            ));
        }
        Ok(Self(cleaned))
    }
    /// The normalised number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IoT terminal's device id: 1 to 64 characters of letters, digits, `-`, `_`, `.` or `:`
/// (it appears in MQTT topics, so no `/`, `+` or `#`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[derive(utoipa::ToSchema)]
#[schema(pattern = "^[A-Za-z0-9_.:-]{1,64}$", example = "CQ-IOT-000001")]
pub struct DeviceId(String);

impl DeviceId {
    /// Checks the character set and length.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':');
        if s.is_empty() || s.len() > 64 || !s.chars().all(ok) {
            return Err(id_error(
                "device id",
                s,
                "must be 1-64 of A-Z a-z 0-9 - _ . :",
            ));
        }
        Ok(Self(s.to_owned()))
    }
    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_conversions {
    ($($t:ty),*) => {$(
        impl TryFrom<String> for $t {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::parse(&s)
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&String::from(self.clone()))
            }
        }
    )*};
}
string_conversions!(
    RescueCode,
    RegistrationCode,
    PhoneNumber,
    DeviceId,
    AdminCode
);

impl From<RescueCode> for String {
    fn from(c: RescueCode) -> String {
        c.0
    }
}
impl From<RegistrationCode> for String {
    fn from(c: RegistrationCode) -> String {
        c.code
    }
}
impl From<PhoneNumber> for String {
    fn from(c: PhoneNumber) -> String {
        c.0
    }
}
impl From<DeviceId> for String {
    fn from(c: DeviceId) -> String {
        c.0
    }
}
impl From<AdminCode> for String {
    fn from(c: AdminCode) -> String {
        c.as_string()
    }
}

/// The "三无电梯" flags: a lift missing any of these goes straight to fire/rescue when someone is
/// trapped in it, because nobody else is obliged to come.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LiftFlags {
    /// No property management company looks after the building.
    pub no_property_management: bool,
    /// No maintenance company holds a contract for the lift.
    pub no_maintenance_unit: bool,
    /// The building has no repair fund.
    pub no_repair_fund: bool,
}

/// A lift as the dispatcher needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Lift {
    /// Registry id.
    pub id: LiftId,
    /// Rescue identification code on the sign in the car.
    pub rescue_code: RescueCode,
    /// 20-digit registration code.
    #[schema(
        value_type = String,
        example = "31105001032019060001",
        pattern = "^3[123][0-9]{2}(1[1-9]|[2-7][0-9]|8[0-2])[0-9]{4}(199[0-9]|20[0-9]{2})(0[1-9]|1[0-2])[0-9]{4}$"
    )]
    pub registration_code: RegistrationCode,
    /// District the lift stands in (selects the rules file).
    pub district: AdminCode,
    /// The street (街道) or township within the district, as the registry names it; the
    /// investigators' statistics group by it. Absent when the register does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// Caller id of the cabin emergency phone, if known.
    pub cabin_phone: Option<PhoneNumber>,
    /// IoT terminal fitted to the lift, if any.
    pub device_id: Option<DeviceId>,
    /// Street address.
    pub address: String,
    /// Building / unit / car name, e.g. "Block 3, Unit 2, Car A".
    pub building: String,
    /// Where the lift is (WGS-84).
    pub position: LatLon,
    /// Commissioning date (lifts ≥ 15 years are "old").
    pub commissioned: Option<NaiveDate>,
    /// The use unit (使用单位), usually the property company.
    pub use_unit: Option<CompanyId>,
    /// The use unit's duty phone.
    pub use_unit_phone: Option<PhoneNumber>,
    /// The contracted maintenance company.
    pub maintainer: Option<CompanyId>,
    /// The "三无" flags.
    pub flags: LiftFlags,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rescue_codes_are_five_or_six_digits() {
        assert_eq!(RescueCode::parse(" 035302 ").unwrap().as_str(), "035302");
        assert!(RescueCode::parse("03530").is_ok());
        let e = RescueCode::parse("03530x").unwrap_err();
        assert!(e.to_string().contains("digits only"), "{e}");
        assert!(RescueCode::parse("0353021").is_err());
        assert!(RescueCode::parse("").is_err());
    }

    #[test]
    fn registration_codes_carry_class_district_and_month() {
        let c = RegistrationCode::parse("31105001032019060001").unwrap();
        assert_eq!(c.equipment_class(), "3110");
        assert_eq!(c.admin_code().as_string(), "500103");
        assert_eq!(c.registered(), (2019, 6));
    }

    #[test]
    fn registration_codes_with_impossible_parts_are_refused() {
        for (bad, why) in [
            ("3110500103201906000", "20 digits"),
            ("3110500103201906000a", "20 digits"),
            ("21105001032019060001", "lift class"),
            ("31109901032019060001", "digits 5-10"),
            ("31105001032019130001", "year-month"),
            ("31105001031889060001", "year-month"),
        ] {
            let e = RegistrationCode::parse(bad).unwrap_err();
            assert!(e.to_string().contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn phone_numbers_are_normalised() {
        assert_eq!(
            PhoneNumber::parse("+86 138-0000-0000").unwrap().as_str(),
            "+8613800000000"
        );
        assert!(PhoneNumber::parse("12").is_err());
        assert!(PhoneNumber::parse("023-6x").is_err());
    }

    #[test]
    fn device_ids_cannot_break_mqtt_topics() {
        assert!(DeviceId::parse("CQ-00017:a").is_ok());
        assert!(DeviceId::parse("a/b").is_err());
        assert!(DeviceId::parse("a+").is_err());
        assert!(DeviceId::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn codes_round_trip_through_json_and_bad_ones_fail_to_deserialize() {
        let c: RescueCode = serde_json::from_str("\"035302\"").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"035302\"");
        assert!(serde_json::from_str::<RescueCode>("\"03x302\"").is_err());
        let a: AdminCode = serde_json::from_str("\"500103\"").unwrap();
        assert_eq!(a.to_string(), "500103");
    }
}
