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
