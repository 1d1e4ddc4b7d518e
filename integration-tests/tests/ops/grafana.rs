//! `ops/grafana/liftrescue.json`: every query names metrics the server exports.

use super::{check_exported, exported_families, metric_names, read};
use serde_json::Value;

/// Every panel, rows' nested panels included.
fn panels(v: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for p in v["panels"].as_array().into_iter().flatten() {
        out.push(p);
        out.extend(panels(p));
    }
    out
}

#[test]
fn every_dashboard_query_names_a_metric_the_server_exports() {
    let dashboard: Value =
        serde_json::from_str(&read("ops/grafana/liftrescue.json")).expect("the dashboard is JSON");
    let families = exported_families();
    let mut named = std::collections::BTreeSet::new();
    let mut queries = 0;
    for p in panels(&dashboard) {
        if p["type"] == "row" {
            continue;
        }
        let targets = p["targets"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        assert!(!targets.is_empty(), "panel {} has no query", p["title"]);
        for t in targets {
            let expr = t["expr"].as_str().expect("a target's expr");
            queries += 1;
            for name in metric_names(expr) {
                check_exported(name, &families).unwrap_or_else(|e| panic!("{}: {e}", p["title"]));
                named.insert(name.to_owned());
            }
        }
    }
    assert!(queries >= 20, "only {queries} queries");
    // The dashboard shows what the issue asks for.
    for want in [
        "liftrescue_alarms_total",
        "liftrescue_inbox_depth",
        "liftrescue_incidents",
        "liftrescue_pages_total",
        "liftrescue_deadline_lateness_seconds_bucket",
        "liftrescue_deadline_breaches_total",
        "liftrescue_messages_failed_total",
        "liftrescue_desk_holder",
        "liftrescue_lease_acquired_total",
        "liftrescue_redis_up",
    ] {
        assert!(named.contains(want), "the dashboard does not show {want}");
    }
}

/// Every query is PromQL that Prometheus parses (Grafana's `$__rate_interval` as `5m`), where
/// promtool is installed (`.ci/run` installs it before the tests).
#[test]
fn every_dashboard_query_parses_as_promql() {
    if std::process::Command::new("promtool")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("promtool is not installed: the dashboard's queries not parsed");
        return;
    }
    let dashboard: Value =
        serde_json::from_str(&read("ops/grafana/liftrescue.json")).expect("the dashboard is JSON");
    let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (n, p) in panels(&dashboard).iter().enumerate() {
        for t in p["targets"].as_array().into_iter().flatten() {
            let expr = t["expr"]
                .as_str()
                .unwrap()
                .replace("$__rate_interval", "5m");
            let expr = serde_json::to_string(&expr).unwrap();
            rules.push_str(&format!(
                "      - record: dashboard:q{n}\n        expr: {expr}\n"
            ));
        }
    }
    let file = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "{}-dashboard-rules.yml",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&file, &rules).unwrap();
    let out = std::process::Command::new("promtool")
        .args(["check", "rules"])
        .arg(&file)
        .output()
        .expect("run promtool");
    assert!(
        out.status.success(),
        "{}{}\n{rules}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_name_the_server_does_not_export_is_caught() {
    let families = exported_families();
    assert!(check_exported("liftrescue_deadline_lateness_seconds_count", &families).is_ok());
    assert!(check_exported("liftrescue_alarms", &families).is_err());
    assert!(check_exported("liftrescue_inbox_depth_sum", &families).is_err());
    assert_eq!(
        metric_names("rate(liftrescue_a_total[5m]) / my_liftrescue_b + liftrescue_c"),
        ["liftrescue_a_total", "liftrescue_c"]
    );
}
