//! `ops/systemd/`: the units' hardening and restart keys, their `serve` command, and every
//! `LIFTRESCUE_…` variable they and the example environment files set (commented ones
//! included) loaded as settings (unknown keys are errors).

use super::{read, repo_file};
use clap::Parser;
use liftrescue::config::Settings;
use std::collections::BTreeMap;

/// `(NAME, value)` pairs.
type Vars = Vec<(String, String)>;

const UNITS: [&str; 2] = ["liftrescue.service", "liftrescue@.service"];

/// `[Service]` (and other sections') `key=value` lines, in order.
fn keys(unit: &str) -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in unit.lines().map(str::trim) {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = s.to_owned();
        } else if let Some((k, v)) = line.split_once('=') {
            out.push((section.clone(), k.to_owned(), v.to_owned()));
        }
    }
    out
}

fn value<'a>(keys: &'a [(String, String, String)], key: &str) -> Option<&'a str> {
    keys.iter()
        .rev()
        .find(|(s, k, _)| s == "Service" && k == key)
        .map(|(_, _, v)| v.as_str())
}

fn seconds(v: &str) -> f64 {
    let (n, unit) = v.split_at(v.find(|c: char| c.is_alphabetic()).unwrap_or(v.len()));
    let n: f64 = n
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{v} is not a time"));
    n * match unit {
        "" | "s" => 1.0,
        "min" => 60.0,
        "ms" => 0.001,
        other => panic!("unit {other}"),
    }
}

#[test]
fn the_units_run_serve_hardened_and_restart_on_failure() {
    for name in UNITS {
        let k = keys(&read(&format!("ops/systemd/{name}")));
        let has = |key: &str, want: &str| {
            assert_eq!(value(&k, key), Some(want), "{name}: {key}");
        };
        assert!(
            value(&k, "User").is_some_and(|u| u != "root")
                || value(&k, "DynamicUser") == Some("yes"),
            "{name}: its own user"
        );
        has("ProtectSystem", "strict");
        has("NoNewPrivileges", "yes");
        has("PrivateTmp", "yes");
        has("ProtectHome", "yes");
        has("CapabilityBoundingSet", "");
        has("Restart", "on-failure");
        assert!(value(&k, "StateDirectory").is_some_and(|d| d.starts_with("liftrescue")));
        assert!(
            value(&k, "EnvironmentFile").is_some(),
            "{name}: EnvironmentFile"
        );
        let nofile: u64 = value(&k, "LimitNOFILE")
            .expect("LimitNOFILE")
            .parse()
            .unwrap();
        assert!(nofile >= 16_384, "{name}: LimitNOFILE {nofile}");
        let restart = seconds(value(&k, "RestartSec").expect("RestartSec"));
        assert!(
            (1.0..=30.0).contains(&restart),
            "{name}: RestartSec {restart}"
        );
        // The drain: actix's 30 s grace for open requests, then the desk and the lease.
        let stop = seconds(value(&k, "TimeoutStopSec").expect("TimeoutStopSec"));
        assert!(
            stop > 30.0,
            "{name}: TimeoutStopSec {stop} is shorter than the drain"
        );
        let exec = value(&k, "ExecStart").expect("ExecStart");
        let mut args: Vec<&str> = exec.split_whitespace().collect();
        args[0] = "liftrescue";
        let cli = liftrescue::cli::Cli::try_parse_from(&args).expect("ExecStart parses");
        assert!(
            matches!(cli.command, liftrescue::cli::Command::Serve(_)),
            "{exec}"
        );
    }
}

/// `LIFTRESCUE_…=value` assignments in a unit (`Environment=`) or an environment file:
/// (active, commented out).
fn assignments(text: &str) -> (Vars, Vars) {
    let (mut active, mut commented) = (Vec::new(), Vec::new());
    for line in text.lines().map(str::trim) {
        let line = line.strip_prefix("Environment=").unwrap_or(line);
        let (target, line) = match line.strip_prefix('#') {
            Some(rest) => (&mut commented, rest.trim()),
            None => (&mut active, line),
        };
        if let Some((k, v)) = line
            .split_once('=')
            .filter(|(k, _)| k.starts_with("LIFTRESCUE_"))
        {
            target.push((k.to_owned(), v.trim_matches('"').to_owned()));
        }
    }
    (active, commented)
}

/// TOML with what `vars` set, as the settings loader reads variables: prefix off, lower case,
/// `__` nests; booleans and numbers typed, the rest strings. `LIFTRESCUE_LOG` is the log level,
/// not a setting.
fn as_toml(vars: &[(String, String)]) -> String {
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in vars {
        let key = k.trim_start_matches("LIFTRESCUE_").to_ascii_lowercase();
        if key == "log" {
            continue;
        }
        let (table, leaf) = key.rsplit_once("__").unwrap_or(("", &key));
        let typed = if v == "true" || v == "false" || v.parse::<f64>().is_ok() {
            v.clone()
        } else {
            serde_json::to_string(v).unwrap()
        };
        let lines = tables.entry(table.replace("__", ".")).or_default();
        lines.retain(|l| !l.starts_with(&format!("{leaf} = ")));
        lines.push(format!("{leaf} = {typed}"));
    }
    tables
        .iter()
        .map(|(t, lines)| {
            let head = if t.is_empty() {
                String::new()
            } else {
                format!("[{t}]\n")
            };
            format!("{head}{}\n", lines.join("\n"))
        })
        .collect()
}

fn load(name: &str, vars: &[(String, String)]) -> Settings {
    let file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{}-{name}.toml", uuid::Uuid::new_v4().simple()));
    let toml = as_toml(vars);
    std::fs::write(&file, &toml).unwrap();
    Settings::load(Some(&file)).unwrap_or_else(|e| panic!("{name}: {e}\n{toml}"))
}

#[test]
fn every_variable_the_units_and_environment_files_set_is_a_setting() {
    let file = |n: &str| assignments(&read(&format!("ops/systemd/{n}")));
    let mut units = Vec::new();
    for name in UNITS {
        let (active, commented) = file(name);
        units.extend(active.into_iter().chain(commented));
    }
    let (single, alternatives) = file("liftrescue.env.example");
    let all: Vec<_> = units
        .iter()
        .chain(&single)
        .chain(&alternatives)
        .cloned()
        .collect();
    let s = load("single", &all);
    assert!(
        s.database_url.starts_with("postgres://"),
        "the alternative was read"
    );
    let s = load("single", &[units.clone(), single].concat());
    assert_eq!(s.database_url, "sqlite:/var/lib/liftrescue/liftrescue.db");
    assert!(!s.seed_demo);

    let (shared, shared_alt) = file("cluster.env.example");
    let mut listens = Vec::new();
    for node in ["a", "b"] {
        let (own, own_alt) = file(&format!("node-{node}.env.example"));
        let vars = [
            units.clone(),
            shared.clone(),
            shared_alt.clone(),
            own,
            own_alt,
        ]
        .concat();
        let s = load(node, &vars);
        assert_eq!(s.cluster.node, node);
        assert!(s.redis_url.is_some() && s.database_url.starts_with("postgres://"));
        assert_eq!(s.intake.mqtt_client_id, format!("liftrescue-{node}"));
        listens.push(s.listen);
    }
    assert_ne!(listens[0], listens[1], "each node its own port");
    // A misspelt variable is caught.
    let bad = [("LIFTRESCUE_CLUSTER__NDOE".to_owned(), "a".to_owned())];
    let file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bad-env.toml");
    std::fs::write(&file, as_toml(&bad)).unwrap();
    assert!(Settings::load(Some(&file)).is_err());
}

/// `systemd-analyze verify` on both units, where it is installed (the binary path swapped for
/// the one under test, which must exist).
#[test]
fn systemd_analyze_finds_nothing_wrong_with_the_units() {
    if std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("systemd-analyze is not installed: units not verified");
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("units-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut paths = Vec::new();
    for (name, as_name) in [UNITS[0], UNITS[1]]
        .iter()
        .zip(["liftrescue.service", "liftrescue@a.service"])
    {
        let text = std::fs::read_to_string(repo_file(&format!("ops/systemd/{name}"))).unwrap();
        let text = text.replace(
            "/usr/local/bin/liftrescue",
            env!("CARGO_BIN_EXE_cli-under-test"),
        );
        let path = dir.join(as_name);
        std::fs::write(&path, text).unwrap();
        paths.push(path);
    }
    let out = std::process::Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .args(&paths)
        .output()
        .expect("run systemd-analyze");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        !err.contains("Unknown") && !err.contains("ignoring"),
        "{err}"
    );
}
