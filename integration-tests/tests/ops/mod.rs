//! The operations kit (`ops/`) checked against the code it describes: the systemd units'
//! settings load, the dashboard's and the alerts' metrics are exported, the runbooks'
//! commands parse, and `liftrescue backup` makes a copy that verifies.

mod alerts;
mod backup;
mod grafana;
mod runbooks;
mod systemd;

use std::collections::BTreeMap;
use std::path::PathBuf;

/// A file of the repository.
pub fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/..")).join(path)
}

/// Its text.
pub fn read(path: &str) -> String {
    std::fs::read_to_string(repo_file(path)).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// The metric families the server exports (name → type), from the exposition of a node with
/// every family present: a desk, an inbox, a region's role, Redis.
pub fn exported_families() -> BTreeMap<String, String> {
    use liftrescue::desk::DeskStats;
    use liftrescue::domain::IncidentStatus;
    let m = liftrescue::telemetry::Metrics::default();
    m.desk_role("yuzhong", true);
    m.redis_up(true);
    let mut desk = DeskStats::default();
    desk.by_status.insert(IncidentStatus::Reported, 1);
    let text = m.render(Some(&desk), Some(0));
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .map(|l| {
            let (name, kind) = l.split_once(' ').expect("# TYPE name kind");
            (name.to_owned(), kind.to_owned())
        })
        .collect()
}

/// Every `liftrescue_…` metric name in `expr`.
pub fn metric_names(expr: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(i) = rest.find("liftrescue_") {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        // Part of a longer identifier (e.g. `my_liftrescue_x`) is not a name of ours.
        let part_of_word = rest[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        if !part_of_word {
            out.push(&tail[..end]);
        }
        rest = &tail[end..];
    }
    out
}

/// `Ok` when `name` is an exported family, or a histogram family's `_bucket`, `_sum` or
/// `_count` series.
pub fn check_exported(name: &str, families: &BTreeMap<String, String>) -> Result<(), String> {
    if families.contains_key(name) {
        return Ok(());
    }
    let histogram = ["_bucket", "_sum", "_count"]
        .iter()
        .filter_map(|s| name.strip_suffix(s))
        .any(|f| families.get(f).is_some_and(|k| k == "histogram"));
    if histogram {
        Ok(())
    } else {
        Err(format!("{name} is not exported (families: {families:?})"))
    }
}
