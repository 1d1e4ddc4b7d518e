//! `ops/prometheus/alerts.yml`: every alert has a runbook that exists, and every metric the
//! rules use is exported. (promtool checks the rules and runs their unit tests in `.ci/run`.)

use super::{check_exported, exported_families, metric_names, read, repo_file};

#[test]
fn every_alert_links_a_runbook_that_exists_and_uses_exported_metrics() {
    let text = read("ops/prometheus/alerts.yml");
    let families = exported_families();
    let mut alerts: Vec<(String, Option<String>)> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix("- alert:") {
            alerts.push((name.trim().to_owned(), None));
        } else if let Some(url) = line.strip_prefix("runbook_url:") {
            let (name, runbook) = alerts.last_mut().expect("a runbook_url inside an alert");
            assert!(runbook.is_none(), "{name} has two runbook links");
            *runbook = Some(url.trim().to_owned());
        } else if !line.starts_with("summary:") && !line.starts_with("description:") {
            for name in metric_names(line) {
                check_exported(name, &families).unwrap_or_else(|e| panic!("alerts.yml: {e}"));
            }
        }
    }
    assert!(alerts.len() >= 8, "{alerts:?}");
    for (name, runbook) in &alerts {
        let url = runbook
            .as_deref()
            .unwrap_or_else(|| panic!("{name} has no runbook_url"));
        let path = url
            .split_once("/blob/main/")
            .map(|(_, p)| p.split('#').next().unwrap_or(p))
            .unwrap_or_else(|| panic!("{name}: {url} is not a link into the repository"));
        assert!(
            path.starts_with("ops/runbooks/") && repo_file(path).is_file(),
            "{name}: {path} is not a runbook"
        );
    }
}

/// `alerts_test.yml` has, for every alert, a case where it fires and one where it stays quiet.
#[test]
fn every_alert_has_a_firing_and_a_quiet_unit_test() {
    let rules = read("ops/prometheus/alerts.yml");
    let tests = read("ops/prometheus/alerts_test.yml");
    let lines: Vec<&str> = tests.lines().map(str::trim).collect();
    let mut cases: std::collections::BTreeMap<&str, (bool, bool)> = Default::default();
    for (i, line) in lines.iter().enumerate() {
        if let Some(name) = line.strip_prefix("alertname:") {
            let quiet = lines.get(i + 1) == Some(&"exp_alerts: []");
            let c = cases.entry(name.trim()).or_default();
            if quiet { c.1 = true } else { c.0 = true }
        }
    }
    for name in rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert:"))
    {
        let name = name.trim();
        assert_eq!(
            cases.get(name),
            Some(&(true, true)),
            "{name}: (fires, quiet) cases"
        );
    }
}
