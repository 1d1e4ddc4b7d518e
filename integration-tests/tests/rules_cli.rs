//! `liftrescue rules check DIR` and `rules export DIR`, run as a user would.

use crate::cli::{liftrescue, text};
use std::path::{Path, PathBuf};

/// An empty folder under Cargo's scratch directory for integration tests.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch folder");
    dir
}

#[test]
fn checking_the_shipped_rules_succeeds_and_prints_every_chain() {
    let out = liftrescue(&["rules", "check", "dispatch-rules"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert!(stdout.starts_with("rules version sha256:"), "{stdout}");
    for needle in [
        "districted-city.toml",
        "other-areas.toml",
        "chain entrapment",
        "chain urgent",
        "chain urgent_unmaintained",
        "chain fault",
        "acknowledge 3m",
        "arrive 30m (warning at 15m); breach: start fire",
        "arrive 1h (warning at 30m)",
        "quality.toml (",
        "grades A ≥ 90, B ≥ 75, C ≥ 60",
    ] {
        assert!(stdout.contains(needle), "{needle:?} not in\n{stdout}");
    }
}

#[test]
fn checking_a_folder_with_a_bad_file_exits_1_and_names_file_line_and_key() {
    let dir = scratch("rules-cli-bad");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dispatch-rules/other-areas.toml");
    let good = std::fs::read_to_string(shipped).expect("read the shipped default file");
    let bad = good.replacen("acknowledge = \"3m\"", "acknowledge = \"3 mins-ish\"", 1);
    assert_ne!(bad, good);
    let line = bad[..bad.find("3 mins-ish").unwrap()].matches('\n').count() + 1;
    std::fs::write(dir.join("bad.toml"), bad).unwrap();
    std::fs::write(dir.join("README.md"), "not a rules file").unwrap();

    let out = liftrescue(&["rules", "check", dir.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    let expected = format!(
        "{}:{line}: chains.entrapment.steps.contracted.acknowledge: invalid duration",
        dir.join("bad.toml").display()
    );
    assert!(stderr.contains(&expected), "{expected:?} not in\n{stderr}");
    assert!(stderr.contains("1 error in"), "{stderr}");
}

#[test]
fn a_folder_whose_quality_file_has_an_unknown_key_fails_the_check_with_its_line() {
    let dir = scratch("rules-cli-bad-quality");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dispatch-rules");
    for name in ["other-areas.toml", "quality.toml"] {
        std::fs::copy(shipped.join(name), dir.join(name)).unwrap();
    }
    let good = std::fs::read_to_string(dir.join("quality.toml")).unwrap();
    let bad = good.replacen("[grades]\n", "[grades]\nbest = 99.0\n", 1);
    let line = bad[..bad.find("best = 99.0").unwrap()]
        .matches('\n')
        .count()
        + 1;
    std::fs::write(dir.join("quality.toml"), bad).unwrap();

    let out = liftrescue(&["rules", "check", dir.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    let expected = format!("{}:{line}: grades", dir.join("quality.toml").display());
    assert!(stderr.contains(&expected), "{expected:?} not in\n{stderr}");
}

#[test]
fn a_missing_folder_is_an_error_not_a_panic() {
    let out = liftrescue(&["rules", "check", "no-such-folder"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("the rules folder `no-such-folder` does not exist"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(":0:") && !stderr.contains("``"),
        "{stderr}"
    );
}

#[test]
fn exported_rules_pass_the_check_with_the_built_in_version_and_are_not_overwritten() {
    let dir = scratch("rules-cli-export").join("mine");
    let path = dir.to_str().unwrap();
    let out = liftrescue(&["rules", "export", path]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let written = text(&out.stdout);
    for name in ["README.md", "districted-city.toml", "other-areas.toml"] {
        assert!(dir.join(name).is_file(), "{name} not written: {written}");
    }
    let checked = liftrescue(&["rules", "check", path]);
    assert!(checked.status.success(), "{}", text(&checked.stderr));
    let built_in = liftrescue::rules::RuleSet::built_in().unwrap().version;
    assert!(
        text(&checked.stdout).starts_with(&format!("rules version {built_in}\n")),
        "{}",
        text(&checked.stdout)
    );

    std::fs::write(dir.join("other-areas.toml"), "# my own").unwrap();
    let again = liftrescue(&["rules", "export", path]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("not overwriting"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("other-areas.toml")).unwrap(),
        "# my own"
    );
}
