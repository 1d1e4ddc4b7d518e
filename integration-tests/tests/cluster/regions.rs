//! A province platform: two nodes serving three regions. The leases spread by share (two and
//! one), an alarm goes into its region's log only, a region's token opens only that region,
//! and when the node holding two regions is killed the other takes them within the failover
//! goal while the region it held never changes hands.

use crate::support::{Api, eventually, fresh_database};
use liftrescue::domain::EventKind;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const REGIONS: [&str; 3] = ["east", "north", "west"];

/// A `serve` node of the regions in `config`: its process and each region's address.
struct Node {
    child: Child,
    bases: BTreeMap<String, String>,
}

impl Node {
    fn start(config: &std::path::Path, name: &str) -> Node {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cli-under-test"))
            .args(["serve", "-c"])
            .arg(config)
            .env("LIFTRESCUE_CLUSTER__NODE", name)
            .env("LIFTRESCUE_LOG", "warn")
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start liftrescue serve");
        let mut reader = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut bases = BTreeMap::new();
        while bases.len() < REGIONS.len() {
            let mut line = String::new();
            let n = reader
                .read_line(&mut line)
                .expect("read the listening lines");
            assert!(n > 0, "the node stopped before every region listened");
            let mut words = line.split_whitespace();
            if let (Some("liftrescue"), Some("region"), Some(region)) =
                (words.next(), words.next(), words.next())
            {
                let base = line
                    .split_whitespace()
                    .find(|w| w.starts_with("http://"))
                    .expect("an address")
                    .to_owned();
                bases.insert(region.to_owned(), base);
            }
        }
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
        Node { child, bases }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Who holds each region (node names), from `liftrescue status --json`; lapsed leases left out.
fn holders(config: &std::path::Path) -> BTreeMap<String, (String, i64)> {
    let config = config.display().to_string();
    let (_, out, err) = crate::support::process::run(&["status", "--json", "-c", &config], &[]);
    let all: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    let mut held = BTreeMap::new();
    for r in all.as_array().expect("one status per region") {
        for l in r["leases"].as_array().unwrap() {
            if !l["expired"].as_bool().unwrap() {
                held.insert(
                    r["region"].as_str().unwrap().to_owned(),
                    (
                        l["node"].as_str().unwrap().to_owned(),
                        l["epoch"].as_i64().unwrap(),
                    ),
                );
            }
        }
    }
    held
}

fn count_by_node(held: &BTreeMap<String, (String, i64)>) -> BTreeMap<String, usize> {
    let mut n = BTreeMap::new();
    for (node, _) in held.values() {
        *n.entry(node.clone()).or_default() += 1;
    }
    n
}

/// A fresh PostgreSQL database and a scratch folder for one test's configuration, or `None`
/// (with the printed notice) when PostgreSQL is not configured.
async fn postgres_scratch(name: &str) -> Option<(String, std::path::PathBuf)> {
    liftrescue::telemetry::test_service("PostgreSQL", "LIFTRESCUE_TEST_DATABASE_URL")?;
    let url = fresh_database("postgres").await;
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{name}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    Some((url, dir))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regions_spread_over_the_nodes_keep_their_own_logs_and_move_when_a_node_dies() {
    let Some((url, dir)) = postgres_scratch("regions").await else {
        return;
    };
    let fast = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/fast-rules");
    let mut toml = format!(
        "database_url = {url:?}\nrules_dir = {fast:?}\nseed_demo = true\n\
         [cluster]\nlease_ttl = \"2s\"\n"
    );
    // Each region's demo lifts are registered in its first district: east 500102, north
    // 500103, west 500104.
    for (k, name) in REGIONS.iter().enumerate() {
        toml.push_str(&format!(
            "[[regions]]\nname = \"{name}\"\nlisten = \"127.0.0.1:0\"\n\
             centre = {{ lat = 29.5, lon = {} }}\nadmin_codes = [\"50010{}\"]\n",
            106.5 + k as f64 * 0.1,
            k + 2
        ));
    }
    let config = dir.join("regions.toml");
    std::fs::write(&config, toml).unwrap();

    let one = Node::start(&config, "one");
    let two = Node::start(&config, "two");
    // Spread: every region held, two by one node and one by the other.
    let spread = eventually(40, || async {
        let held = holders(&config);
        let counts = count_by_node(&held);
        let mut n: Vec<usize> = counts.values().copied().collect();
        n.sort();
        (held.len() == 3 && n == [1, 2]).then_some(held)
    })
    .await;

    // A region's token and an alarm posted to that region's address, on either node.
    let cli = |args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        let c = config.display().to_string();
        all.extend(["-c", &c]);
        crate::support::process::run(&all, &[])
    };
    let (code, token, err) = cli(&[
        "token",
        "create",
        "--role",
        "integration",
        "--region",
        "north",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let token = token.trim().to_owned();
    let north_url = liftrescue::config::regions::in_schema(&url, "region_north");
    let north = liftrescue::store::open(&north_url).await.unwrap();
    let lift = north
        .lifts(None, 50)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.maintainer.is_some())
        .expect("the region was seeded");
    let alarm = json!({"source_alarm_id": "r1", "lift": {"id": lift.id.0}, "kind": "entrapment_between_floors"});
    let (status, body) = Api::new(&one.bases["north"], &token)
        .post("/api/v1/alarms", alarm.clone())
        .await;
    assert_eq!(status, 202, "{body}");
    let (status, _) = Api::new(&two.bases["east"], &token)
        .post("/api/v1/alarms", alarm)
        .await;
    assert_eq!(status, 401, "a region's token does not open another region");
    // An alarm naming its lift by registration code, posted to east, goes to its district's
    // region: north.
    let (code, east_token, err) = cli(&[
        "token",
        "create",
        "--role",
        "integration",
        "--region",
        "east",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let routed = json!({"source_alarm_id": "r2", "lift": {"registration_code": lift.registration_code.as_str()}, "kind": "entrapment_at_landing"});
    let (status, body) = Api::new(&two.bases["east"], east_token.trim())
        .post("/api/v1/alarms", routed)
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["region"], "north", "{body}");
    eventually(20, || async {
        let page = north.log_page(0, 100).await.unwrap();
        let alarms = page
            .iter()
            .filter(|e| {
                matches!(
                    e.event.kind,
                    EventKind::IncidentOpened { .. } | EventKind::AlarmJoined { .. }
                )
            })
            .count();
        (alarms == 2).then_some(())
    })
    .await;
    for other in ["east", "west"] {
        let url = liftrescue::config::regions::in_schema(&url, &format!("region_{other}"));
        let store = liftrescue::store::open(&url).await.unwrap();
        assert_eq!(
            store.log_head().await.unwrap(),
            0,
            "{other}'s log is its own"
        );
    }

    // Once spread, no lease changed hands while the alarms went through (no flapping).
    assert_eq!(
        holders(&config),
        spread,
        "the leases stay where they spread"
    );

    // Kill the node holding two regions: the other holds all three within the failover goal,
    // and the region it held was never handed over (same epoch).
    let counts = count_by_node(&spread);
    let (big, small) = if counts.get("one") == Some(&2) {
        (one, two)
    } else {
        (two, one)
    };
    let kept: Vec<(String, (String, i64))> = spread
        .iter()
        .filter(|(_, (node, _))| counts[node] == 1)
        .map(|(r, h)| (r.clone(), h.clone()))
        .collect();
    let survivor = kept[0].1.0.clone();
    let killed = Instant::now();
    let dead = if counts.get("one") == Some(&2) {
        "one"
    } else {
        "two"
    };
    drop(big);
    // Moved: the survivor has rebuilt each region's desk and holds it.
    for region in REGIONS {
        super::wait_role(&small.bases[region], "holder", 20).await;
    }
    let took = killed.elapsed();
    assert!(
        took < Duration::from_secs(10),
        "the regions moved in {took:?}"
    );
    let after = holders(&config);
    assert!(after.values().all(|(n, _)| *n == survivor), "{after:?}");
    for (region, before) in &kept {
        assert_eq!(&after[region], before, "{region} never changed hands");
    }
    // The moved region's log goes on: its chain verifies.
    let (code, out, err) = cli(&["verify-log", "--region", "north"]);
    assert_eq!(code, Some(0), "{out}{err}");

    // The dead node comes back: the survivor, now over its share, hands it one region, and
    // the spread is two and one again.
    let back = Node::start(&config, dead);
    let again = eventually(40, || async {
        let held = holders(&config);
        let n = count_by_node(&held);
        (held.len() == 3 && n.get(dead) == Some(&1)).then_some(held)
    })
    .await;
    let (handed, _) = again
        .iter()
        .find(|(_, (node, _))| node == dead)
        .expect("one region back");
    super::wait_role(&back.bases[handed.as_str()], "holder", 10).await;
    for region in REGIONS.iter().filter(|r| **r != handed.as_str()) {
        assert_eq!(
            again[*region], after[*region],
            "{region} stayed with {survivor}"
        );
    }
    drop(back);
    drop(small);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_province_register_goes_into_its_regions_by_district_or_not_at_all() {
    let Some((url, dir)) = postgres_scratch("regions-import").await else {
        return;
    };
    let config = dir.join("regions.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = {url:?}\n\
             [[regions]]\nname = \"yuzhong\"\nlisten = \"127.0.0.1:0\"\nadmin_codes = [\"500103\"]\n\
             [[regions]]\nname = \"jiangbei\"\nlisten = \"127.0.0.1:0\"\nadmin_codes = [\"500105\"]\n"
        ),
    )
    .unwrap();
    let c = config.display().to_string();
    let header = "id,rescue_code,registration_code,address,lat,lon\n";
    let yuzhong = "1,035302,31105001032019060001,1 Minzu Road,29.556,106.568\n";
    let jiangbei = "2,035303,31105001052019060002,2 Jianxin Road,29.575,106.532\n";
    let elsewhere = "3,035304,31105001082019060003,3 Nanping Road,29.53,106.57\n";
    let register = |rows: &str| {
        let path = dir.join(format!("{}.csv", uuid::Uuid::new_v4().simple()));
        std::fs::write(&path, format!("{header}{rows}")).unwrap();
        path.display().to_string()
    };
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    // The lifts in a region's schema (none while it has no table).
    let count = |region: &'static str| {
        let pool = pool.clone();
        async move {
            let table = format!("region_{region}.lifts");
            let there: Option<String> = sqlx::query_scalar("SELECT to_regclass($1)::text")
                .bind(&table)
                .fetch_one(&pool)
                .await
                .unwrap();
            if there.is_none() {
                return 0;
            }
            let sql = format!("SELECT count(*) FROM {table}");
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };

    // A lift of a district no region covers: nothing is imported anywhere.
    let file = register(&format!("{yuzhong}{jiangbei}{elsewhere}"));
    let (code, _, err) = crate::support::process::run(&["import", "lifts", &file, "-c", &c], &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("district 500108") && err.contains("nothing imported"),
        "{err}"
    );
    assert_eq!(count("yuzhong").await, 0);
    assert_eq!(count("jiangbei").await, 0);

    // Each lift into the region of its district.
    let file = register(&format!("{yuzhong}{jiangbei}"));
    let (code, out, err) = crate::support::process::run(&["import", "lifts", &file, "-c", &c], &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("imported 1 lifts into region jiangbei"),
        "{out}"
    );
    assert_eq!(count("yuzhong").await, 1);
    assert_eq!(count("jiangbei").await, 1);

    // One store's commands need a region named.
    for args in [
        &["verify-log"][..],
        &["replay", "1"],
        &["token", "create", "--role", "operator"],
    ] {
        let mut args = args.to_vec();
        args.extend(["-c", &c]);
        let (code, _, err) = crate::support::process::run(&args, &[]);
        assert_ne!(code, Some(0), "{args:?}");
        assert!(
            err.contains("--region (yuzhong, jiangbei)"),
            "{args:?}: {err}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
