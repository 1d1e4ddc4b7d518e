//! `liftrescue demo`: the dispatch core on a synthetic Yuzhong, as a newcomer first sees it.

use crate::cli::{liftrescue, text};

#[test]
fn the_demo_plays_a_rescue_from_alarm_to_close_with_the_shipped_rules() {
    let out = liftrescue(&["demo"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert!(stdout.contains("15000 lifts"), "{stdout}");
    let order = [
        "incident_opened",
        "unit_paged",
        "alarm_joined",
        "ack_missed",
        "accepted",
        "crew_progress",
        "release_confirmed",
        "closed",
    ];
    let mut at = 0;
    for needle in order {
        let found = stdout[at..]
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} after byte {at}:\n{stdout}"));
        at += found;
    }
}

#[test]
fn the_demo_refuses_a_rules_folder_with_errors_and_says_where() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("demo-bad-rules");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("x.toml"), "description = 1\n").unwrap();
    let out = liftrescue(&["demo", "--rules", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("x.toml:1"),
        "{}",
        text(&out.stderr)
    );
}
