//! `liftrescue simulate storm`, run as a user would: a small storm in both modes, its JSON
//! shape and the invariants its figures must keep, the same figures for the same seed, and
//! clear refusals of a storm that does not fit.

use crate::cli::{liftrescue, text};
use serde_json::Value;

const STORM: [&str; 13] = [
    "simulate",
    "storm",
    "--entrapments",
    "40",
    "--minutes",
    "2",
    "--seed",
    "7",
    "--lifts",
    "3000",
    "--special-share",
    "0.2",
    "--json",
];

fn minutes(m: &Value, key: &str) -> f64 {
    m[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {m}"))
}

fn count(m: &Value, key: &str) -> u64 {
    m[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is not a count in {m}"))
}

/// The invariants of one mode's figures for a storm of `n` entrapments, `special` of them
/// special.
fn check_figures(m: &Value, n: u64, special: u64) {
    assert_eq!(count(m, "entrapments"), n, "{m}");
    assert_eq!(count(m, "released"), n, "every entrapment released: {m}");
    assert_eq!(count(m, "not_arrived"), 0, "{m}");
    assert_eq!(count(m, "special"), special, "{m}");
    let (a_mean, a_p90) = (
        minutes(m, "arrival_mean_min"),
        minutes(m, "arrival_p90_min"),
    );
    let (r_mean, r_p90, r_max) = (
        minutes(m, "release_mean_min"),
        minutes(m, "release_p90_min"),
        minutes(m, "release_max_min"),
    );
    assert!(0.0 < a_mean && a_mean < r_mean, "{m}");
    assert!(a_p90 < r_p90 && r_mean <= r_max && r_p90 <= r_max, "{m}");
    let (s_p90, s_max) = (
        minutes(m, "special_arrival_p90_min"),
        minutes(m, "special_arrival_max_min"),
    );
    assert!(0.0 < s_p90 && s_p90 <= s_max && s_max < r_max, "{m}");
    assert!(minutes(m, "crew_km") > 0.0, "{m}");
    assert!(count(m, "over_30_min") <= n, "{m}");
    assert!(count(m, "special_behind_ordinary") <= special, "{m}");
}

#[test]
fn a_small_storm_in_both_modes_releases_everyone_and_repeats_exactly_for_its_seed() {
    let out = liftrescue(&STORM);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let report: Value = serde_json::from_str(&stdout).expect("the report is JSON");
    let storm = &report["storm"];
    assert_eq!(storm["entrapments"], 40);
    assert_eq!(storm["area"]["type"], "street", "{storm}");
    let special = count(storm, "special");
    assert!(special > 0, "a fifth of 40 alarms are special: {storm}");
    let runs = report["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 2, "{report}");
    assert_eq!(runs[0]["mode"], "greedy");
    assert_eq!(runs[1]["mode"], "storm");
    check_figures(&runs[0]["metrics"], 40, special);
    let greedy = &runs[0]["run"];
    assert!(count(greedy, "events") > 40 * 5, "{greedy}");
    assert_eq!(greedy["stopped_at_limit"], false);
    let m = runs[1]
        .get("metrics")
        .expect("storm mode runs on the shipped rules");
    check_figures(m, 40, special);
    let storm = &runs[1]["run"];
    assert!(count(storm, "storms_declared") >= 1, "{report}");
    assert!(count(storm, "storm_solves") >= 1, "{report}");
    assert_eq!(storm["stopped_at_limit"], false);
    assert_ne!(runs[0]["rules_version"], runs[1]["rules_version"]);

    let again = liftrescue(&STORM);
    assert_eq!(
        text(&again.stdout),
        stdout,
        "the same seed, the same figures"
    );
}

#[test]
fn the_table_compares_the_modes_and_a_storm_that_does_not_fit_is_refused() {
    let out = liftrescue(&[
        "simulate",
        "storm",
        "--entrapments",
        "20",
        "--lifts",
        "1000",
        "--mode",
        "greedy",
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    for needle in [
        "20 entrapments over 5 min in street 解放碑街道",
        "greedy",
        "alarm → arrival, p90 (min)",
        "crew km driven",
    ] {
        assert!(stdout.contains(needle), "{needle:?} not in\n{stdout}");
    }

    let out = liftrescue(&["simulate", "storm", "--lifts", "1000", "--area", "Atlantis"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("\"Atlantis\" is neither a street nor a district code"),
        "{stderr}"
    );
    let out = liftrescue(&["simulate", "storm", "--lifts", "1000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("500 entrapments do not fit"),
        "{}",
        text(&out.stderr)
    );
    let out = liftrescue(&["simulate", "storm", "--special-share", "1.5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not a share between 0 and 1"));
}
