//! One typed configuration tree: a TOML file (optional), overridden by `LIFTRESCUE_…`
//! environment variables (`LIFTRESCUE_LISTEN=0.0.0.0:8080`, `LIFTRESCUE_DATABASE_URL=…`).
//! Unknown keys are errors. With nothing set at all, liftrescue runs on an embedded SQLite file
//! with the demo region, which is what the README's run command relies on.

mod cluster;
pub mod regions;
mod review;

pub use cluster::ClusterSettings;
pub use regions::RegionSettings;
pub use review::ReviewSettings;

use crate::domain::LatLon;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines (default).
    Pretty,
    /// One JSON object per line (production).
    Json,
}

/// The coordinate system a map tile service draws in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TilesCrs {
    /// GPS coordinates (OpenStreetMap and most services outside China).
    #[default]
    Wgs84,
    /// China's offset system (AMap, Tencent, Tianditu's Chinese styles): the console converts
    /// every WGS-84 position before drawing it.
    Gcj02,
}

/// The operator's console (`/console`): the map's tiles and the outline of the region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleSettings {
    /// Tile URL template, `http(s)://…{z}/{x}/{y}…` (`{s}` for subdomains allowed). Unset (the
    /// default): no tiles, the map draws the region's outline on a plain background.
    #[serde(deserialize_with = "tiles_url")]
    pub tiles_url: Option<String>,
    /// What the tiles draw in: `"wgs84"` (default) or `"gcj02"`.
    pub tiles_crs: TilesCrs,
    /// The attribution the tile service requires, shown on the map.
    pub attribution: String,
    /// Margin around the lifts' outline on the blank map, metres.
    pub outline_padding_m: f64,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings {
            tiles_url: None,
            tiles_crs: TilesCrs::Wgs84,
            attribution: String::new(),
            outline_padding_m: 800.0,
        }
    }
}

fn tiles_url<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let url = Option::<String>::deserialize(d)?.filter(|u| !u.trim().is_empty());
    if let Some(u) = &url {
        let web = u.starts_with("https://") || u.starts_with("http://");
        let xyz = ["{z}", "{x}", "{y}"].iter().all(|p| u.contains(p));
        if !web || !xyz {
            return Err(serde::de::Error::custom(format!(
                "{u:?} is not a tile URL template: http(s)://… with {{z}}, {{x}} and {{y}}"
            )));
        }
    }
    Ok(url)
}

/// One machine source of alarms posting over HTTP (an IoT platform).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSettings {
    /// The HMAC-SHA256 secret it signs its requests with.
    pub secret: String,
    /// The fault-code map for its codes: a built-in name (`common`, `chongqing`) or a TOML file.
    #[serde(default = "default_codes")]
    pub codes: String,
    /// Requests per minute it may send before getting 429 (other sources are unaffected).
    #[serde(default = "default_rate")]
    pub requests_per_minute: u32,
}

fn default_codes() -> String {
    "common".into()
}

fn default_rate() -> u32 {
    600
}

impl fmt::Debug for SourceSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceSettings")
            .field("secret", &"***")
            .field("codes", &self.codes)
            .field("requests_per_minute", &self.requests_per_minute)
            .finish()
    }
}

/// Alarm intake from machines: IoT terminals over MQTT, IoT platforms over HTTP, cabin phones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntakeSettings {
    /// The MQTT broker (`mqtt://host:1883`); unset: no MQTT intake.
    pub mqtt_url: Option<String>,
    /// Topic prefix: terminals publish to `{prefix}/{device_id}/events` and `…/heartbeat`.
    pub mqtt_topic_prefix: String,
    /// The MQTT client id (unique per node).
    pub mqtt_client_id: String,
    /// The fault-code map MQTT terminals use (built-in name or TOML file).
    pub mqtt_codes: String,
    /// Terminals send a heartbeat this often, seconds.
    pub heartbeat_interval_secs: u64,
    /// This many missed heartbeats make a terminal offline.
    pub heartbeat_misses: u32,
    /// A cabin phone with no test call for this long has an alarm line fault, hours.
    pub phone_test_interval_hours: u64,
    /// IoT platforms posting to `POST /api/v1/intake/iot/{source}`, by source name.
    pub sources: std::collections::BTreeMap<String, SourceSettings>,
    /// Signed requests older or newer than this are refused as replays, seconds.
    pub signature_max_skew_secs: u64,
}

impl Default for IntakeSettings {
    fn default() -> Self {
        IntakeSettings {
            mqtt_url: None,
            mqtt_topic_prefix: "lifts".into(),
            mqtt_client_id: "liftrescue".into(),
            mqtt_codes: "common".into(),
            heartbeat_interval_secs: 60,
            heartbeat_misses: 3,
            phone_test_interval_hours: 72,
            sources: Default::default(),
            signature_max_skew_secs: 300,
        }
    }
}

/// The store as request paths use it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSettings {
    /// How long a request (an HTTP call, an MQTT alarm) waits for the database, e.g. `"5s"`,
    /// `"1500ms"`. Past it the caller gets 503 with `Retry-After` (an MQTT alarm stays
    /// unacknowledged and is tried again) instead of hanging on a database that went silent.
    /// A write that lands after the deadline is harmless: the same alarm sent again is found
    /// by its source id, not stored twice.
    #[serde(with = "duration_text")]
    pub request_timeout: std::time::Duration,
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            request_timeout: std::time::Duration::from_secs(5),
        }
    }
}

/// Durations written as text (`"5s"`, `"1500ms"`, `"1m"`), read with `humantime`.
pub(crate) mod duration_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(*d).to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        match humantime::parse_duration(text.trim()) {
            Ok(d) if !d.is_zero() => Ok(d),
            Ok(_) => Err(serde::de::Error::custom("must be longer than zero")),
            Err(e) => Err(serde::de::Error::custom(format!(
                "{text:?} is not a duration like \"5s\" or \"1500ms\": {e}"
            ))),
        }
    }
}

/// Every setting of `liftrescue serve`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Address and port to listen on.
    pub listen: String,
    /// `sqlite:PATH` (embedded, created if missing) or `postgres://user@host/db`.
    pub database_url: String,
    /// The dispatch rules folder. Unset: `./dispatch-rules` if there is one in the working
    /// folder, else the rules built into the binary. A folder named here must exist.
    pub rules_dir: Option<PathBuf>,
    /// Load the synthetic Yuzhong region when the registry has no lifts.
    pub seed_demo: bool,
    /// The region's centre (WGS-84), the origin of the nearest-unit index's projection.
    pub region_centre: LatLon,
    /// Largest request body accepted, bytes.
    pub max_body_bytes: usize,
    /// How long alarm intake waits for the desk to name the incident before answering 202
    /// without it, milliseconds.
    pub intake_wait_ms: u64,
    /// Log line format.
    pub log_format: LogFormat,
    /// Alarm intake from machines.
    pub intake: IntakeSettings,
    /// Paging: contact plans, retries, gateways.
    pub notify: crate::paging::NotifySettings,
    /// The store on request paths: the deadline of a request's database calls.
    pub store: StoreSettings,
    /// The operator's console: map tiles.
    pub console: ConsoleSettings,
    /// Review: the daily seal of the event log.
    pub review: ReviewSettings,
    /// Redis, carrying the live feed between nodes (`redis://127.0.0.1:6379`). Unset: each
    /// node's feed reads the log (the one SQLite node reads its own commits).
    pub redis_url: Option<String>,
    /// Several nodes on one PostgreSQL: this node's name, its region, the desk lease.
    pub cluster: ClusterSettings,
    /// A province platform: the regions this node serves, each its own desk, lease, schema and
    /// listener (see [`regions`]). Empty: one region, `cluster.region`, on `listen`.
    pub regions: Vec<RegionSettings>,
    /// The district a region's demo lifts are registered in (its first `admin_codes`), set by
    /// [`Settings::for_region`]; not a setting of its own.
    #[serde(skip)]
    pub demo_district: Option<crate::domain::AdminCode>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite:liftrescue.db".into(),
            rules_dir: None,
            seed_demo: true,
            region_centre: crate::demo::YUZHONG,
            max_body_bytes: 64 * 1024,
            intake_wait_ms: 2_000,
            log_format: LogFormat::Pretty,
            intake: IntakeSettings::default(),
            notify: crate::paging::NotifySettings::default(),
            store: StoreSettings::default(),
            console: ConsoleSettings::default(),
            review: ReviewSettings::default(),
            redis_url: None,
            cluster: ClusterSettings::default(),
            regions: Vec::new(),
            demo_district: None,
        }
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("database_url", &redact(&self.database_url))
            .field("rules_dir", &self.rules_dir)
            .field("seed_demo", &self.seed_demo)
            .field("region_centre", &self.region_centre)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("intake_wait_ms", &self.intake_wait_ms)
            .field("log_format", &self.log_format)
            .field("intake", &self.intake)
            .field("notify", &self.notify)
            .field("store", &self.store)
            .field("console", &self.console)
            .field("review", &self.review)
            .field("redis_url", &self.redis_url.as_deref().map(redact))
            .field("cluster", &self.cluster)
            .field("regions", &self.regions)
            .finish()
    }
}

/// A database URL with any password replaced by `***`.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl Settings {
    /// Defaults, then the TOML file if given, then `LIFTRESCUE_…` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        let mut fig = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = file {
            fig = fig.merge(Toml::file_exact(path));
        }
        // Nested keys use a double underscore: LIFTRESCUE_INTAKE__MQTT_URL. The tests' and
        // benchmarks' variables (LIFTRESCUE_TEST_…, LIFTRESCUE_BENCH_…) and the log level
        // (LIFTRESCUE_LOG) share the prefix but are not settings.
        fig.merge(
            Env::prefixed("LIFTRESCUE_")
                .filter(|key| {
                    let key = key.as_str().to_ascii_uppercase();
                    !(key.starts_with("TEST_") || key.starts_with("BENCH_") || key == "LOG")
                })
                .split("__"),
        )
        .extract()
        .map_err(Box::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_debug_output() {
        let s = Settings {
            database_url: "postgres://lift:s3cret@db/lr".into(),
            ..Settings::default()
        };
        let shown = format!("{s:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("postgres://lift:***@db/lr"));
        assert_eq!(redact("sqlite:liftrescue.db"), "sqlite:liftrescue.db");
    }

    #[test]
    fn a_file_overrides_defaults_and_unknown_keys_are_refused() {
        let dir = std::env::temp_dir().join(format!("lr-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(&good, "listen = \"0.0.0.0:9000\"\nseed_demo = false\n").unwrap();
        let s = Settings::load(Some(&good)).unwrap();
        assert_eq!(s.listen, "0.0.0.0:9000");
        assert!(!s.seed_demo);
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "listn = \"x\"\n").unwrap();
        let e = Settings::load(Some(&bad)).unwrap_err().to_string();
        assert!(e.contains("listn"), "{e}");
    }

    #[test]
    fn the_store_deadline_is_read_as_text_and_a_bad_one_is_refused() {
        let dir = std::env::temp_dir().join(format!("lr-config-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(
            Settings::default().store.request_timeout,
            std::time::Duration::from_secs(5)
        );
        let good = dir.join("good.toml");
        std::fs::write(&good, "[store]\nrequest_timeout = \"1500ms\"\n").unwrap();
        let s = Settings::load(Some(&good)).unwrap();
        assert_eq!(
            s.store.request_timeout,
            std::time::Duration::from_millis(1500)
        );
        for bad in ["\"soon\"", "\"0s\""] {
            let file = dir.join("bad.toml");
            std::fs::write(&file, format!("[store]\nrequest_timeout = {bad}\n")).unwrap();
            let e = Settings::load(Some(&file)).unwrap_err().to_string();
            assert!(e.contains("request_timeout"), "{e}");
        }
    }

    #[test]
    fn console_tiles_are_checked_when_read() {
        let dir = std::env::temp_dir().join(format!("lr-config-console-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let s = Settings::default();
        assert_eq!(s.console.tiles_url, None, "no tiles unless configured");
        assert_eq!(s.console.tiles_crs, TilesCrs::Wgs84);
        let good = dir.join("good.toml");
        let url = "https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}&style=8";
        std::fs::write(
            &good,
            format!("[console]\ntiles_url = \"{url}\"\ntiles_crs = \"gcj02\"\nattribution = \"© AMap\"\n"),
        )
        .unwrap();
        let s = Settings::load(Some(&good)).unwrap();
        assert_eq!(s.console.tiles_url.as_deref(), Some(url));
        assert_eq!(s.console.tiles_crs, TilesCrs::Gcj02);
        for (bad, names) in [
            ("tiles_crs = \"bd09\"", "bd09"),
            ("tiles_url = \"ftp://tiles/{z}/{x}/{y}.png\"", "tile URL"),
            ("tiles_url = \"https://tiles/{z}/{x}.png\"", "tile URL"),
        ] {
            let file = dir.join("bad.toml");
            std::fs::write(&file, format!("[console]\n{bad}\n")).unwrap();
            let e = Settings::load(Some(&file)).unwrap_err().to_string();
            assert!(e.contains(names), "{bad}: {e}");
        }
    }
}
