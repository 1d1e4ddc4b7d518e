//! The shipped `dispatch-rules/` folder: it loads, its numbers match the domain notes, selection
//! picks the right chain, and its version follows the `*.toml` bytes only.

use super::{Dur, RuleSet};
use crate::domain::{AdminCode, AlarmFlags, AlarmKind, LiftFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn shipped_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("dispatch-rules")
}

fn shipped() -> RuleSet {
    match RuleSet::load_dir(shipped_dir()) {
        Ok(set) => set,
        Err(errors) => panic!("shipped rules have errors: {errors:#?}"),
    }
}

fn min(m: u64) -> Dur {
    Dur(Duration::from_secs(m * 60))
}

fn district(code: &str) -> Option<AdminCode> {
    Some(AdminCode::parse(code).unwrap())
}

#[test]
fn every_shipped_rules_file_loads() {
    let set = shipped();
    let names: Vec<&str> = set.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["districted-city", "other-areas"]);
    assert!(set.version.0.starts_with("sha256:") && set.version.0.len() == 7 + 64);
}

#[test]
fn a_districted_city_acknowledges_in_3_minutes_and_arrives_in_30_with_a_warning_at_15() {
    let set = shipped();
    let file = set.file_for(district("500103"));
    assert_eq!(file.name, "districted-city");
    for region in ["11", "12", "31", "50"] {
        assert!(file.regions.iter().any(|r| r == region), "{region}");
    }
    let step = &file.chains["entrapment"].steps["contracted"];
    assert_eq!(step.acknowledge, min(3));
    let arrive = step.arrive.unwrap();
    assert_eq!((arrive.limit, arrive.warning), (min(30), Some(min(15))));
    assert_eq!(step.on_arrive_breach.as_deref(), Some("fire"));
    assert_eq!(step.notify_on_breach.len(), 2);
    let release = step.release.unwrap();
    assert_eq!((release.limit, release.warning), (min(15), Some(min(10))));
}

#[test]
fn other_areas_are_the_default_and_allow_an_hour() {
    let set = shipped();
    let file = set.file_for(district("440101"));
    assert!(file.default);
    assert_eq!(set.file_for(None).name, "other-areas");
    let step = &file.chains["entrapment"].steps["contracted"];
    assert_eq!(step.acknowledge, min(3));
    assert_eq!(step.arrive.unwrap().limit, min(60));
    assert_eq!(step.arrive.unwrap().warning, Some(min(30)));
}

#[test]
fn every_shipped_chain_can_bring_fire_rescue_at_once() {
    for file in shipped().files {
        for chain in file.chains.values() {
            let urgent = chain.on_urgent.as_deref().and_then(|id| chain.step(id));
            assert_eq!(
                urgent.map(|s| s.level),
                Some(3),
                "{} {}",
                file.name,
                chain.name
            );
        }
    }
}

#[test]
fn selection_picks_urgent_entrapment_and_fault_chains() {
    let set = shipped();
    let ill = AlarmFlags {
        person_ill: true,
        ..Default::default()
    };
    let none = AlarmFlags::default();
    let unmaintained = LiftFlags {
        no_maintenance_unit: true,
        ..Default::default()
    };
    let plain = LiftFlags::default();
    let fault = AlarmKind::Fault("over_speed".into());
    for code in ["500103", "440101"] {
        let pick =
            |kind: &AlarmKind, a, l| set.select(district(code), kind, a, l).chain.name.clone();
        assert_eq!(pick(&AlarmKind::PassengerAlarm, ill, plain), "urgent");
        assert_eq!(pick(&fault, ill, plain), "urgent");
        assert_eq!(
            pick(&AlarmKind::EntrapmentAtLanding, none, unmaintained),
            "urgent_unmaintained"
        );
        assert_eq!(
            pick(&AlarmKind::EntrapmentAtLanding, none, plain),
            "entrapment"
        );
        assert_eq!(
            pick(&AlarmKind::EntrapmentBetweenFloors, none, plain),
            "entrapment"
        );
        assert_eq!(pick(&AlarmKind::PassengerAlarm, none, plain), "entrapment");
        assert_eq!(pick(&fault, none, plain), "fault");
    }
    let urgent = set.select(district("500103"), &AlarmKind::PassengerAlarm, ill, plain);
    assert!(urgent.chain.start.iter().any(|s| s == "fire"));
    let unmaintained = set.select(None, &AlarmKind::EntrapmentAtLanding, none, unmaintained);
    assert_eq!(unmaintained.chain.start, ["mutual_aid", "property", "fire"]);
}

#[test]
fn a_broken_quality_file_fails_the_folder_but_is_not_part_of_the_rules_version() {
    let scratch = Scratch::copy_of_shipped("quality");
    let before = scratch.version();
    scratch.append("quality.toml", "\n[extra]\nx = 1\n");
    let errors = RuleSet::load_dir(&scratch.0).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.file == "quality.toml" && e.line > 0),
        "{errors:?}"
    );
    // Without it the built-in formula applies, and the rules' version never moved.
    std::fs::remove_file(scratch.0.join("quality.toml")).unwrap();
    assert_eq!(scratch.version(), before);
}

/// A scratch copy of the shipped folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn copy_of_shipped(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("liftrescue-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for entry in std::fs::read_dir(shipped_dir()).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
        Self(dir)
    }
    fn append(&self, file: &str, text: &str) {
        let path = self.0.join(file);
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        std::fs::write(path, old + text).unwrap();
    }
    fn version(&self) -> String {
        RuleSet::load_dir(&self.0).unwrap().version.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn the_version_changes_with_any_rules_byte_and_not_with_the_readme() {
    let scratch = Scratch::copy_of_shipped("version");
    let original = scratch.version();
    assert_eq!(original, shipped().version.0);
    scratch.append("README.md", "\nA note that changes no rule.\n");
    assert_eq!(scratch.version(), original);
    scratch.append("other-areas.toml", " ");
    assert_ne!(scratch.version(), original);
}

#[test]
fn the_version_cannot_be_forged_by_moving_bytes_between_name_and_text() {
    let a = [("a.toml".to_string(), "xy".to_string())];
    let b = [("a.tomlx".to_string(), "y".to_string())];
    assert_ne!(super::folder::version(&a), super::folder::version(&b));
}

#[test]
fn the_summary_names_every_chain_and_its_deadlines() {
    let text = shipped().summary();
    for needle in [
        "chain entrapment",
        "chain urgent_unmaintained",
        "chain fault",
        "arrive 30m (warning at 15m)",
        "arrive 1h (warning at 30m)",
    ] {
        assert!(text.contains(needle), "{needle:?} not in\n{text}");
    }
}
