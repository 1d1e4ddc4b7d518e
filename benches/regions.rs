//! A province platform on one PostgreSQL (not criterion: each figure is a count of real
//! kills): 3 `liftrescue serve` nodes serving 12 regions of a 250,000-lift city (about 20,800
//! lifts and 500 maintainers each). It measures:
//!
//! - **spread**: from the third node's start until the leases are spread 4/4/4;
//! - **move**: each round SIGKILLs one node; from the kill until the survivors hold each of
//!   its regions with the desk rebuilt (`/readyz` says `holder` on the new holder's address);
//! - **the others never pause**: through each round a client posts an alarm to every region
//!   every 250 ms (to a node that is not killed) and times the answer, which names the incident
//!   once the region's desk has decided it (`intake_wait_ms`); for the regions whose holder
//!   lived, the answers' p99 and max, and how many came back undecided (none expected);
//! - **rebalance**: after the killed node is started again, until the leases are 4/4/4 again.
//!
//! Goal (issue 19): a dead node's regions move within the failover goal (10 s, p99 ≤ 3 s),
//! the other regions never pause.
//!
//! 36 region services hold about 250 connections: PostgreSQL needs `max_connections` ≥ 300
//! (`ALTER SYSTEM SET max_connections = 400`, then restart it). The benchmark refuses to start
//! below that, saying so.
//!
//! `LIFTRESCUE_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres
//! cargo bench --bench regions`; `LIFTRESCUE_BENCH_REGIONS_KILLS` (3),
//! `LIFTRESCUE_BENCH_REGIONS_LIFTS` (250,000), `LIFTRESCUE_BENCH_REGIONS_COUNT` (12).

#[path = "support/db.rs"]
mod db;

#[path = "support/nodes.rs"]
mod nodes;

use liftrescue::config::regions::in_schema;
use nodes::{env_count, pct, role};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A node of the regions: its process and each region's address.
struct Node {
    name: String,
    child: Child,
    bases: BTreeMap<String, String>,
}

fn start(name: &str, config: &std::path::Path, regions: usize, log: &std::path::Path) -> Node {
    let err = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_liftrescue"))
        .args(["serve", "-c"])
        .arg(config)
        .env("LIFTRESCUE_CLUSTER__NODE", name)
        .env("LIFTRESCUE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("start liftrescue: {e}"));
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let mut bases = BTreeMap::new();
    while bases.len() < regions {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap_or(0) > 0,
            "{name} stopped before every region listened (see {})",
            log.display()
        );
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() > 5 && words[0] == "liftrescue" && words[1] == "region" {
            bases.insert(words[2].to_owned(), words[5].to_owned());
        }
    }
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    Node {
        name: name.to_owned(),
        child,
        bases,
    }
}

/// Each region's holder (node name) as the lease rows say, lapsed ones left out.
async fn holders(pool: &sqlx::PgPool, regions: &[String]) -> BTreeMap<String, String> {
    let mut held = BTreeMap::new();
    for r in regions {
        let sql = format!(
            "SELECT node FROM region_{r}.desk_leases WHERE expires_at > now() AND region = $1"
        );
        if let Ok(Some(node)) = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
            .bind(r)
            .fetch_optional(pool)
            .await
        {
            held.insert(r.clone(), node);
        }
    }
    held
}

/// Waits until every region is held and no node holds more than `ceil(regions / nodes)`.
async fn balanced(pool: &sqlx::PgPool, regions: &[String], nodes: usize) -> Duration {
    let t0 = Instant::now();
    let share = regions.len().div_ceil(nodes);
    loop {
        let held = holders(pool, regions).await;
        let mut per: BTreeMap<&str, usize> = BTreeMap::new();
        for n in held.values() {
            *per.entry(n).or_default() += 1;
        }
        if held.len() == regions.len() && per.len() == nodes && per.values().all(|&n| n <= share) {
            return t0.elapsed();
        }
        assert!(
            t0.elapsed() < Duration::from_secs(180),
            "never balanced: {per:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One posted alarm: its region, when it was sent, how long the answer took, and whether it
/// named the incident (the desk decided it within `intake_wait_ms`).
type Answer = (String, Instant, f64, bool);

#[tokio::main]
async fn main() {
    let Ok(admin) = std::env::var("LIFTRESCUE_BENCH_DATABASE_URL") else {
        println!("regions: LIFTRESCUE_BENCH_DATABASE_URL is not set; skipped");
        return;
    };
    let kills = env_count("LIFTRESCUE_BENCH_REGIONS_KILLS", 3);
    let lifts = env_count("LIFTRESCUE_BENCH_REGIONS_LIFTS", 250_000);
    let count = env_count("LIFTRESCUE_BENCH_REGIONS_COUNT", 12);
    let admin_pool = sqlx::PgPool::connect(&admin).await.expect("connect");
    let max: String = sqlx::query_scalar("SHOW max_connections")
        .fetch_one(&admin_pool)
        .await
        .unwrap();
    let want = count * 3 * 8;
    if max.parse::<usize>().unwrap_or(0) < want {
        println!(
            "regions: PostgreSQL's max_connections is {max}; {count} regions on 3 nodes need about {want}: \
             ALTER SYSTEM SET max_connections = {}; then restart PostgreSQL. Skipped.",
            want + 100
        );
        return;
    }
    let db = db::fresh_pg(&admin, "lr_bench_regions").await;
    let pool = sqlx::PgPool::connect(&db).await.expect("connect");
    let dir = std::env::temp_dir().join("lr-bench-regions");
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("nodes.log");
    let _ = std::fs::remove_file(&log);
    let rules = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/integration-tests/fixtures/fast-rules"
    );
    let regions: Vec<String> = (1..=count).map(|k| format!("r{k:02}")).collect();
    let mut toml = format!(
        "database_url = {db:?}\nrules_dir = {rules:?}\nseed_demo = false\n[cluster]\nlease_ttl = \"2s\"\n"
    );
    // A city of `count` districts side by side, 5 km apart.
    for (k, r) in regions.iter().enumerate() {
        let (row, col) = ((k / 4) as f64, (k % 4) as f64);
        toml.push_str(&format!(
            "[[regions]]\nname = \"{r}\"\nlisten = \"127.0.0.1:0\"\ncentre = {{ lat = {}, lon = {} }}\n",
            29.50 + row * 0.045,
            106.45 + col * 0.052
        ));
    }
    let config = dir.join("regions.toml");
    std::fs::write(&config, &toml).unwrap();
    let settings = liftrescue::config::Settings::load(Some(&config)).expect("settings");
    liftrescue::config::regions::create_schemas(&db, &settings.regions)
        .await
        .expect("schemas");
    let t0 = Instant::now();
    let mut lifts_of = BTreeMap::new();
    let mut token_of = BTreeMap::new();
    for (k, r) in settings.regions.iter().enumerate() {
        let store = liftrescue::store::open(&in_schema(&db, &r.schema()))
            .await
            .expect("open a region");
        let spec = liftrescue::demo::RegionSpec {
            seed: 96_333 + k as u64,
            lifts: lifts / count,
            maintainers: 6_000 / count,
            fire_stations: (150 / count).max(1),
            centre: r.centre.expect("a centre"),
            ..Default::default()
        };
        liftrescue::registry::seed_demo(store.as_ref(), &spec, chrono::Utc::now())
            .await
            .expect("seed");
        let secret = nodes::integration_token(store.as_ref()).await;
        let ids: Vec<i64> = store
            .lifts(None, 2_000)
            .await
            .unwrap()
            .iter()
            .filter(|l| l.maintainer.is_some())
            .map(|l| l.id.0)
            .collect();
        lifts_of.insert(r.name.clone(), ids);
        token_of.insert(r.name.clone(), secret);
    }
    println!(
        "seeded {count} regions, {} lifts, in {:.1} s",
        lifts / count * count,
        t0.elapsed().as_secs_f64()
    );
    let names = ["n1", "n2", "n3"];
    let mut nodes: Vec<Node> = Vec::new();
    for n in names {
        nodes.push(start(n, &config, count, &log));
    }
    let spread = balanced(&pool, &regions, 3).await;
    println!(
        "3 nodes up: leases spread {} per node in {:.1} s",
        count.div_ceil(3),
        spread.as_secs_f64()
    );
    let http = reqwest::Client::new();
    let (mut moved, mut rebalance) = (Vec::new(), Vec::new());
    let kept_answers: Arc<Mutex<Vec<Answer>>> = Arc::default();
    let mut undecided_kept = 0;
    let mut n = 0usize;
    for round in 0..kills {
        let victim = round % nodes.len();
        let held = holders(&pool, &regions).await;
        let lost: Vec<String> = held
            .iter()
            .filter(|(_, node)| **node == nodes[victim].name)
            .map(|(r, _)| r.clone())
            .collect();
        // The client: an alarm to every region every 250 ms, through a node that lives.
        let via = nodes[(victim + 1) % nodes.len()].bases.clone();
        let answers: Arc<Mutex<Vec<Answer>>> = Arc::default();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let client = {
            let (http, answers, stop) = (http.clone(), answers.clone(), stop.clone());
            let (lifts_of, token_of) = (lifts_of.clone(), token_of.clone());
            let start_n = n;
            tokio::spawn(async move {
                let mut k = start_n;
                let mut tick = tokio::time::interval(Duration::from_millis(250));
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    tick.tick().await;
                    for (r, base) in &via {
                        k += 1;
                        let lifts = &lifts_of[r];
                        let body = serde_json::json!({"source_alarm_id": format!("b{k}"), "lift": {"id": lifts[k % lifts.len()]}, "kind": "entrapment_at_landing"});
                        let (http, answers, token) =
                            (http.clone(), answers.clone(), token_of[r].clone());
                        let (r, url) = (r.clone(), format!("{base}/api/v1/alarms"));
                        tokio::spawn(async move {
                            let sent = Instant::now();
                            let res = http.post(url).bearer_auth(token).json(&body).send().await;
                            let named = match res {
                                Ok(res) => res
                                    .json::<serde_json::Value>()
                                    .await
                                    .is_ok_and(|v| v["incident_id"].is_i64()),
                                Err(_) => false,
                            };
                            let took = sent.elapsed().as_secs_f64();
                            answers.lock().unwrap().push((r, sent, took, named));
                        });
                    }
                }
                k
            })
        };
        tokio::time::sleep(Duration::from_secs(2)).await;
        let killed = Instant::now();
        nodes[victim].child.kill().expect("SIGKILL");
        let _ = nodes[victim].child.wait();
        let mut took = Vec::new();
        for r in &lost {
            // Whichever survivor now holds it, its address for the region says holder.
            loop {
                let mut holder = false;
                for (i, node) in nodes.iter().enumerate() {
                    if i != victim && role(&http, &node.bases[r]).await == "holder" {
                        holder = true;
                    }
                }
                if holder {
                    break;
                }
                assert!(
                    killed.elapsed() < Duration::from_secs(60),
                    "{r} never moved"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            took.push(killed.elapsed().as_secs_f64());
        }
        let worst = took.iter().copied().fold(0.0, f64::max);
        tokio::time::sleep(Duration::from_secs(3)).await;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        n = client.await.unwrap();
        tokio::time::sleep(Duration::from_secs(3)).await;
        let answers = std::mem::take(&mut *answers.lock().unwrap());
        let kept: Vec<Answer> = answers
            .into_iter()
            .filter(|(r, ..)| !lost.contains(r))
            .collect();
        let undecided = kept.iter().filter(|a| !a.3).count();
        undecided_kept += undecided;
        let lat: Vec<f64> = kept.iter().map(|a| a.2).collect();
        println!(
            "kill {}: {} held {} region(s), moved in {:.2} s (last); the other {} regions: {} alarms, answer p99 {:.0} ms, max {:.0} ms, {undecided} undecided",
            round + 1,
            nodes[victim].name,
            lost.len(),
            worst,
            count - lost.len(),
            lat.len(),
            pct(&lat, 0.99) * 1000.0,
            pct(&lat, 1.0) * 1000.0
        );
        moved.extend(took);
        kept_answers.lock().unwrap().extend(kept);
        let name = nodes[victim].name.clone();
        let t = Instant::now();
        nodes[victim] = start(&name, &config, count, &log);
        let back = balanced(&pool, &regions, 3).await + t.elapsed();
        println!(
            "  {name} back: balanced again in {:.1} s",
            back.as_secs_f64()
        );
        rebalance.push(back.as_secs_f64());
    }
    let kept = kept_answers.lock().unwrap();
    let lat: Vec<f64> = kept.iter().map(|a| a.2).collect();
    println!(
        "\nregions: 3 nodes, {count} regions, {} lifts, lease TTL 2s (node logs: {})",
        lifts / count * count,
        log.display()
    );
    println!("| measure | n | p50 | p99 | max |\n|---|---|---|---|---|");
    let show = |what: &str, v: &[f64], unit: f64, suffix: &str| {
        if !v.is_empty() {
            println!(
                "| {what} | {} | {:.2}{suffix} | {:.2}{suffix} | {:.2}{suffix} |",
                v.len(),
                pct(v, 0.5) * unit,
                pct(v, 0.99) * unit,
                pct(v, 1.0) * unit
            );
        }
    };
    show(
        "SIGKILL → each of its regions held and rebuilt elsewhere",
        &moved,
        1.0,
        " s",
    );
    show(
        "alarm → answer naming the incident, regions whose holder lived",
        &lat,
        1000.0,
        " ms",
    );
    show(
        "restart of the killed node → leases 4/4/4 again",
        &rebalance,
        1.0,
        " s",
    );
    println!(
        "alarms to the other regions left undecided during the kills: {undecided_kept} of {}",
        lat.len()
    );
    for mut node in nodes {
        let _ = Command::new("kill")
            .args(["-TERM", &node.child.id().to_string()])
            .status();
        let _ = node.child.wait();
    }
}
