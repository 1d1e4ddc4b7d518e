//! `[[regions]]`: a province platform, one node process serving several regions. Each region
//! is a unit of ownership: its own desk and lease, its own index, inbox, rules and log, kept in a
//! PostgreSQL schema of its own (`region_<name>`), and its own HTTP listener (the console, the
//! crew page, the API and the intake of that region) and MQTT topic prefix. Every node runs
//! every listed region, holding the desk of some and standing by for the others
//! ([`crate::cluster::share`] spreads the leases).

use super::Settings;
use crate::domain::{AdminCode, LatLon};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One region of a province platform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionSettings {
    /// Its name: lowercase letters, digits and `_`, starting with a letter (`yuzhong`). Its
    /// tables live in the PostgreSQL schema `region_<name>`.
    pub name: String,
    /// Where this region's HTTP server listens (its console, crew page, API and intake).
    pub listen: String,
    /// Its centre (WGS-84), the origin of its index's projection; unset: `region_centre`.
    #[serde(default)]
    pub centre: Option<LatLon>,
    /// Its dispatch rules folder; unset: `rules_dir`.
    #[serde(default)]
    pub rules_dir: Option<PathBuf>,
    /// The GB/T 2260 district codes it covers (6 digits, `500103`): an alarm naming its lift
    /// by registration code goes to the region covering the code's district (digits 5–10),
    /// and `liftrescue import lifts` without `--region` places each lift the same way.
    #[serde(default)]
    pub admin_codes: Vec<String>,
}

impl RegionSettings {
    /// The PostgreSQL schema of its tables.
    pub fn schema(&self) -> String {
        format!("region_{}", self.name)
    }
}

/// What is wrong with a `[[regions]]` list, if anything.
pub fn check(settings: &Settings) -> Result<(), String> {
    let regions = &settings.regions;
    if regions.is_empty() {
        return Ok(());
    }
    if !crate::store::is_postgres(&settings.database_url) {
        return Err(
            "[[regions]] needs PostgreSQL (database_url = \"postgres://…\"): an SQLite file is one region"
                .into(),
        );
    }
    let mut names = std::collections::HashSet::new();
    let mut listens = std::collections::HashSet::new();
    let mut codes = std::collections::HashMap::new();
    for r in regions {
        let good = r.name.len() <= 40
            && r.name.starts_with(|c: char| c.is_ascii_lowercase())
            && r.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !good {
            return Err(format!(
                "region name {:?}: use 1-40 lowercase letters, digits or _, starting with a letter",
                r.name
            ));
        }
        if !names.insert(r.name.as_str()) {
            return Err(format!("region {:?} is listed twice", r.name));
        }
        if !r.listen.ends_with(":0") && !listens.insert(r.listen.as_str()) {
            return Err(format!(
                "regions share the listen address {:?}: each needs its own",
                r.listen
            ));
        }
        for code in &r.admin_codes {
            if let Err(e) = crate::domain::AdminCode::parse(code) {
                return Err(format!(
                    "region {:?}: admin code {code:?}: {}",
                    r.name, e.why
                ));
            }
            if let Some(other) = codes.insert(code.as_str(), r.name.as_str()) {
                return Err(format!(
                    "admin code {code} is in both region {other:?} and {:?}",
                    r.name
                ));
            }
        }
    }
    Ok(())
}

/// `url` with its sessions' `search_path` set to `schema` (before any `#fragment`).
pub fn in_schema(url: &str, schema: &str) -> String {
    let (base, fragment) = url
        .split_once('#')
        .map_or((url, None), |(b, f)| (b, Some(f)));
    let sep = if base.contains('?') { '&' } else { '?' };
    let mut out = format!("{base}{sep}options[search_path]={schema}");
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

impl Settings {
    /// The region named `name`, if listed.
    pub fn region(&self, name: &str) -> Option<&RegionSettings> {
        self.regions.iter().find(|r| r.name == name)
    }

    /// The settings one region runs with: its listener, schema, centre, rules, MQTT topics
    /// (`{prefix}/{name}/…`, client id `{id}-{name}`) and lease.
    pub fn for_region(&self, region: &RegionSettings) -> Settings {
        let mut s = self.clone();
        s.regions = Vec::new();
        s.listen = region.listen.clone();
        s.database_url = in_schema(&self.database_url, &region.schema());
        s.cluster.region = region.name.clone();
        if let Some(c) = region.centre {
            s.region_centre = c;
        }
        if region.rules_dir.is_some() {
            s.rules_dir = region.rules_dir.clone();
        }
        s.intake.mqtt_topic_prefix = format!("{}/{}", self.intake.mqtt_topic_prefix, region.name);
        s.intake.mqtt_client_id = format!("{}-{}", self.intake.mqtt_client_id, region.name);
        // Checked codes (`check`): one that does not parse leaves the demo's own district.
        s.demo_district = (region.admin_codes.first()).and_then(|c| AdminCode::parse(c).ok());
        s
    }

    /// The settings of the region `name` (`--region`), or an error naming those listed.
    pub fn only_region(&self, name: &str) -> Result<Settings, String> {
        match self.region(name) {
            Some(r) => Ok(self.for_region(r)),
            None if self.regions.is_empty() => {
                Err(format!("--region {name}: no [[regions]] are configured"))
            }
            None => Err(format!(
                "--region {name}: not configured (regions: {})",
                self.regions
                    .iter()
                    .map(|r| r.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// The region whose admin codes cover the district `code` (GB/T 2260, 6 digits).
    pub fn region_of_district(&self, code: &str) -> Option<&RegionSettings> {
        self.regions
            .iter()
            .find(|r| r.admin_codes.iter().any(|c| c == code))
    }
}

/// Creates each region's schema if it is missing (before its store migrates into it).
pub async fn create_schemas(url: &str, regions: &[RegionSettings]) -> anyhow::Result<()> {
    use anyhow::Context;
    let pool = sqlx::PgPool::connect(url)
        .await
        .context("connect to PostgreSQL")?;
    for r in regions {
        let there: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)")
                .bind(r.schema())
                .fetch_one(&pool)
                .await
                .context("look for the region's schema")?;
        if there {
            continue;
        }
        let sql = format!("CREATE SCHEMA IF NOT EXISTS {}", r.schema());
        // Two nodes starting together may both create it: the loser finds it there.
        if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&pool)
            .await
        {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&pool)
                .await
                .with_context(|| format!("create the schema {} ({e})", r.schema()))?;
        }
    }
    pool.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(name: &str, listen: &str) -> RegionSettings {
        RegionSettings {
            name: name.into(),
            listen: listen.into(),
            centre: None,
            rules_dir: None,
            admin_codes: Vec::new(),
        }
    }

    fn pg(regions: Vec<RegionSettings>) -> Settings {
        Settings {
            database_url: "postgres://postgres@db/lr".into(),
            regions,
            ..Settings::default()
        }
    }

    #[test]
    fn a_region_runs_in_its_schema_with_its_listener_topics_and_lease() {
        let mut a = region("yuzhong", "0.0.0.0:8081");
        a.centre = Some(LatLon {
            lat: 29.5,
            lon: 106.5,
        });
        let s = pg(vec![a.clone(), region("jiangbei", "0.0.0.0:8082")]);
        let r = s.for_region(&a);
        assert_eq!(
            r.database_url,
            "postgres://postgres@db/lr?options[search_path]=region_yuzhong"
        );
        assert_eq!(r.listen, "0.0.0.0:8081");
        assert_eq!(r.cluster.region, "yuzhong");
        assert_eq!(r.region_centre.lat, 29.5);
        assert_eq!(r.intake.mqtt_topic_prefix, "lifts/yuzhong");
        assert_eq!(r.intake.mqtt_client_id, "liftrescue-yuzhong");
        assert_eq!(
            r.demo_district, None,
            "no admin codes: the demo's own district"
        );
        let mut b = region("jiangbei", "0.0.0.0:8082");
        b.admin_codes = vec!["500105".into()];
        let district = s.for_region(&b).demo_district.map(|d| d.as_string());
        assert_eq!(district.as_deref(), Some("500105"));
        assert!(r.regions.is_empty());
        assert_eq!(
            in_schema("postgres://h/db?sslmode=disable", "region_a"),
            "postgres://h/db?sslmode=disable&options[search_path]=region_a"
        );
        assert_eq!(
            in_schema("postgres://h/db#x", "region_a"),
            "postgres://h/db?options[search_path]=region_a#x"
        );
    }

    #[test]
    fn the_province_example_configuration_loads_and_checks() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ops/regions.example.toml");
        let s = Settings::load(Some(&path)).expect("the example loads");
        check(&s).expect("its regions check out");
        let names: Vec<&str> = s.regions.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["yuzhong", "jiangbei", "nanan"]);
        assert_eq!(
            s.region_of_district("500108").map(|r| r.name.as_str()),
            Some("nanan")
        );
        let nanan = s.for_region(&s.regions[2]);
        assert_eq!(nanan.intake.mqtt_topic_prefix, "lifts/nanan");
        assert!(
            nanan
                .database_url
                .ends_with("options[search_path]=region_nanan")
        );
    }

    #[test]
    fn a_bad_region_list_is_refused_with_what_is_wrong() {
        assert!(check(&pg(vec![region("a", "x:1"), region("b", "x:2")])).is_ok());
        let sqlite = Settings {
            regions: vec![region("a", "x:1")],
            ..Settings::default()
        };
        assert!(check(&sqlite).unwrap_err().contains("PostgreSQL"));
        for bad in ["A", "1a", "a-b", "", "a;drop"] {
            let e = check(&pg(vec![region(bad, "x:1")])).unwrap_err();
            assert!(e.contains("lowercase"), "{bad}: {e}");
        }
        let e = check(&pg(vec![region("a", "x:1"), region("a", "x:2")])).unwrap_err();
        assert!(e.contains("twice"), "{e}");
        let e = check(&pg(vec![region("a", "x:1"), region("b", "x:1")])).unwrap_err();
        assert!(e.contains("listen"), "{e}");
        let mut c = region("c", "x:3");
        c.admin_codes = vec!["5001".into()];
        assert!(
            check(&pg(vec![c.clone()]))
                .unwrap_err()
                .contains("6 digits")
        );
        c.admin_codes = vec!["990103".into()];
        assert!(check(&pg(vec![c])).unwrap_err().contains("province"));
    }

    #[test]
    fn a_district_names_its_region_by_admin_code() {
        let mut a = region("yuzhong", "x:1");
        a.admin_codes = vec!["500103".into()];
        let mut b = region("jiangbei", "x:2");
        b.admin_codes = vec!["500105".into(), "500106".into()];
        let s = pg(vec![a, b]);
        let of = |code: &str| s.region_of_district(code).map(|r| r.name.clone());
        assert_eq!(of("500106").as_deref(), Some("jiangbei"));
        assert_eq!(of("500103").as_deref(), Some("yuzhong"));
        assert_eq!(of("500108"), None);
        assert!(s.only_region("nowhere").unwrap_err().contains("yuzhong"));
        assert_eq!(
            s.only_region("jiangbei").unwrap().cluster.region,
            "jiangbei"
        );
    }
}
