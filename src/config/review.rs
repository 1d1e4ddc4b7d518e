//! `[review]`: what the bureau's review needs of the running service — the daily seal.

use crate::dispatch::seal::SealSchedule;
use chrono::{FixedOffset, NaiveTime};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The daily seal of the event log (`LIFTRESCUE_REVIEW__SEAL_AT=00:30` and so on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReviewSettings {
    /// Write a `log_sealed` record once a day (the bureau keeps its hash outside the system).
    pub seal: bool,
    /// The local time of day the head of the log is sealed, `"HH:MM"`.
    #[serde(serialize_with = "hhmm_out", deserialize_with = "hhmm_in")]
    pub seal_at: NaiveTime,
    /// The UTC offset `seal_at` and the sealed day are read in, `"+08:00"` (China time).
    #[serde(serialize_with = "offset_out", deserialize_with = "offset_in")]
    pub seal_utc_offset: FixedOffset,
}

impl Default for ReviewSettings {
    fn default() -> Self {
        ReviewSettings {
            seal: true,
            // 00:05:00 is a valid time and +8 h is within ±24 h: neither can fail.
            seal_at: NaiveTime::from_hms_opt(0, 5, 0).expect("00:05 is a time of day"),
            seal_utc_offset: FixedOffset::east_opt(8 * 3600).expect("+08:00 is an offset"),
        }
    }
}

impl ReviewSettings {
    /// The seal's schedule, `None` when sealing is off.
    pub fn schedule(&self) -> Option<SealSchedule> {
        self.seal.then_some(SealSchedule {
            at: self.seal_at,
            offset: self.seal_utc_offset,
        })
    }
}

fn hhmm_out<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.format("%H:%M").to_string())
}

fn hhmm_in<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
    let text = String::deserialize(d)?;
    NaiveTime::parse_from_str(text.trim(), "%H:%M").map_err(|_| {
        serde::de::Error::custom(format!("{text:?} is not a time of day like \"00:05\""))
    })
}

fn offset_out<S: Serializer>(o: &FixedOffset, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&o.to_string())
}

fn offset_in<'de, D: Deserializer<'de>>(d: D) -> Result<FixedOffset, D::Error> {
    let text = String::deserialize(d)?;
    text.trim().parse::<FixedOffset>().map_err(|_| {
        serde::de::Error::custom(format!("{text:?} is not a UTC offset like \"+08:00\""))
    })
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;

    #[test]
    fn the_seal_time_is_read_strictly_and_defaults_to_five_past_midnight_china_time() {
        let s = Settings::default().review;
        assert_eq!(s.seal_at.to_string(), "00:05:00");
        assert_eq!(s.seal_utc_offset.to_string(), "+08:00");
        let dir = std::env::temp_dir().join(format!("lr-config-review-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(
            &good,
            "[review]\nseal_at = \"23:30\"\nseal_utc_offset = \"+00:00\"\n",
        )
        .unwrap();
        let s = Settings::load(Some(&good)).unwrap().review;
        assert_eq!(s.seal_at.to_string(), "23:30:00");
        assert_eq!(s.seal_utc_offset.local_minus_utc(), 0);
        for bad in [
            "seal_at = \"25:00\"",
            "seal_utc_offset = \"CST\"",
            "seal_time = \"00:05\"",
        ] {
            let file = dir.join("bad.toml");
            std::fs::write(&file, format!("[review]\n{bad}\n")).unwrap();
            let e = Settings::load(Some(&file)).unwrap_err().to_string();
            assert!(e.contains("seal"), "{bad}: {e}");
        }
    }
}
