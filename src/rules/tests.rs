//! One test per class of error a rules folder can have, each asserting file, line and key.
//! The shipped folder's numbers and selection are tested in `shipped_tests.rs`.

use super::{RuleSet, RulesError};

/// The smallest sound file: one chain, two steps.
pub const BASE: &str = r#"description = "test"
default = true
correlation_window = "10m"
position_max_age = "5m"

[travel]
detour_factor = 1.4

[travel.speed_kmh]
maintainer = 25
property_staff = 5
fire_rescue = 35

[[select]]
chain = "main"

[chains.main]
start = ["first"]
on_urgent = "fire"

[chains.main.steps.first]
level = 1
page = "contracted_maintainer"
acknowledge = "3m"
on_exhausted = "fire"

[chains.main.steps.fire]
level = 3
page = "fire_rescue"
acknowledge = "2m"
"#;

/// A second, regional file that is sound next to [`BASE`].
fn regional(regions: &str) -> String {
    BASE.replace("default = true", &format!("regions = {regions}"))
}

fn parse(files: &[(&str, &str)]) -> Result<RuleSet, Vec<RulesError>> {
    let owned: Vec<(String, String)> = files
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    RuleSet::parse_files(&owned)
}

fn errors(files: &[(&str, &str)]) -> Vec<RulesError> {
    match parse(files) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e,
    }
}

/// The 1-based line of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in text"));
    text[..at].matches('\n').count() + 1
}

/// The single error about `key`, with the others shown when it is missing.
fn about<'e>(errors: &'e [RulesError], key: &str) -> &'e RulesError {
    let found: Vec<&RulesError> = errors.iter().filter(|e| e.key == key).collect();
    match found.as_slice() {
        [e] => e,
        _ => panic!("expected one error about {key}, got {errors:#?}"),
    }
}

/// A single-file folder with `from` replaced by `to`: its one error must be at `needle`'s line.
fn single_error(from: &str, to: &str, key: &str, needle: &str) -> RulesError {
    let text = BASE.replacen(from, to, 1);
    assert_ne!(text, BASE, "{from:?} not in BASE");
    let errs = errors(&[("r.toml", &text)]);
    let e = about(&errs, key).clone();
    assert_eq!(
        (e.file.as_str(), e.line),
        ("r.toml", line_of(&text, needle)),
        "{e}"
    );
    assert_eq!(errs.len(), 1, "{errs:#?}");
    e
}

#[test]
fn the_base_file_is_sound() {
    let set = parse(&[("r.toml", BASE)]).unwrap();
    assert_eq!(set.files[0].name, "r");
    assert_eq!(set.files[0].chains["main"].steps["first"].max_pages, 3);
}

#[test]
fn an_unknown_key_is_an_error_naming_file_line_and_key() {
    let e = single_error(
        "acknowledge = \"2m\"",
        "acknowledge = \"2m\"\nack_timeout = \"1m\"",
        "chains.main.steps.fire.ack_timeout",
        "ack_timeout",
    );
    assert!(e.message.contains("unknown field"), "{e}");
}

#[test]
fn a_bad_duration_is_an_error_at_its_value() {
    let e = single_error(
        "\"3m\"",
        "\"3 fortnights\"",
        "chains.main.steps.first.acknowledge",
        "3 fortnights",
    );
    assert!(e.message.contains("invalid duration"), "{e}");
}

#[test]
fn a_toml_syntax_error_is_located() {
    single_error(
        "acknowledge = \"2m\"",
        "acknowledge = 2m",
        "chains.main.steps.fire.acknowledge",
        "acknowledge = 2m",
    );
}

#[test]
fn a_dangling_step_reference_is_an_error() {
    let e = single_error(
        "on_exhausted = \"fire\"",
        "on_exhausted = \"mutual_aid\"",
        "chains.main.steps.first.on_exhausted",
        "mutual_aid",
    );
    assert!(e.message.contains("no step `mutual_aid`"), "{e}");
}

#[test]
fn a_dangling_chain_reference_in_a_selector_is_an_error() {
    // The chain `main` is then selected by nobody: two errors, both located.
    let text = BASE.replace("chain = \"main\"", "chain = \"mian\"");
    let errs = errors(&[("r.toml", &text)]);
    assert_eq!(about(&errs, "select[0].chain").line, line_of(&text, "mian"));
    assert_eq!(
        about(&errs, "chains.main").line,
        line_of(&text, "[chains.main]")
    );
}

#[test]
fn an_unreachable_step_is_an_error_at_its_header() {
    let spare =
        "\n[chains.main.steps.spare]\nlevel = 2\npage = \"any_maintainer\"\nacknowledge = \"3m\"\n";
    let text = format!("{BASE}{spare}");
    let errs = errors(&[("r.toml", &text)]);
    let e = about(&errs, "chains.main.steps.spare");
    assert_eq!(e.line, line_of(&text, "[chains.main.steps.spare]"));
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(e.message.contains("never started"), "{e}");
}

#[test]
fn a_cyclic_escalation_is_an_error_on_the_edge_that_closes_it() {
    let text = BASE.replace(
        "acknowledge = \"2m\"",
        "acknowledge = \"2m\"\non_exhausted = \"first\"",
    );
    let errs = errors(&[("r.toml", &text)]);
    let e = about(&errs, "chains.main.steps.fire.on_exhausted");
    assert_eq!(e.line, line_of(&text, "on_exhausted = \"first\""));
    assert!(e.message.contains("first → fire → first"), "{e}");
    assert_eq!(errs.len(), 1, "{errs:#?}");
}

#[test]
fn a_step_escalating_to_itself_is_a_cycle() {
    let e = single_error(
        "on_exhausted = \"fire\"",
        "on_exhausted = \"first\"\non_arrive_breach = \"fire\"\narrive = \"30m\"",
        "chains.main.steps.first.on_exhausted",
        "on_exhausted = \"first\"",
    );
    assert!(e.message.contains("first → first"), "{e}");
}

#[test]
fn a_chain_no_selector_picks_is_an_error() {
    let extra = "\n[chains.spare]\nstart = [\"fire\"]\non_urgent = \"fire\"\n\n[chains.spare.steps.fire]\nlevel = 3\npage = \"fire_rescue\"\nacknowledge = \"2m\"\n";
    let text = format!("{BASE}{extra}");
    let errs = errors(&[("r.toml", &text)]);
    assert_eq!(
        about(&errs, "chains.spare").line,
        line_of(&text, "[chains.spare]")
    );
    assert_eq!(errs.len(), 1, "{errs:#?}");
}

#[test]
fn a_selector_after_the_catch_all_is_an_error() {
    let text = BASE.replace(
        "chain = \"main\"\n",
        "chain = \"main\"\n\n[[select]]\nchain = \"main\"\nkinds = [\"fault\"]\n",
    );
    let errs = errors(&[("r.toml", &text)]);
    let e = about(&errs, "select[1]");
    assert_eq!(
        e.line,
        text.match_indices("[[select]]")
            .nth(1)
            .map(|(i, _)| text[..i].matches('\n').count() + 1)
            .unwrap()
    );
    assert!(e.message.contains("never used"), "{e}");
    assert_eq!(errs.len(), 1, "{errs:#?}");
}

#[test]
fn a_missing_catch_all_is_an_error() {
    let e = single_error(
        "chain = \"main\"\n",
        "chain = \"main\"\nalarm_flags_any = [\"person_ill\"]\n",
        "select",
        "[[select]]",
    );
    assert!(e.message.contains("no conditions"), "{e}");
}

#[test]
fn unknown_selector_names_are_errors() {
    let to = "chain = \"main\"\nkinds = [\"stuck\"]\n\n[[select]]\nchain = \"main\"\n";
    single_error("chain = \"main\"\n", to, "select[0].kinds[0]", "stuck");
}

#[test]
fn a_folder_without_a_default_file_is_an_error() {
    let errs = errors(&[("a.toml", &regional("[\"50\"]"))]);
    let e = about(&errs, "default");
    assert_eq!((e.file.as_str(), e.line), ("", 0));
}

#[test]
fn several_default_files_are_an_error_at_the_later_ones() {
    let errs = errors(&[("b.toml", BASE), ("a.toml", BASE)]);
    let e = about(&errs, "default");
    assert_eq!((e.file.as_str(), e.line), ("b.toml", 2));
    assert!(e.message.contains("a.toml line 2"), "{e}");
}

#[test]
fn the_same_region_in_two_files_is_an_error() {
    let a = regional("[\"50\", \"11\"]");
    let b = regional("[\"5001\", \"50\"]");
    let errs = errors(&[("d.toml", BASE), ("a.toml", &a), ("b.toml", &b)]);
    let e = about(&errs, "regions[1]");
    assert_eq!((e.file.as_str(), e.line), ("b.toml", 2));
    assert!(e.message.contains("a.toml"), "{e}");
    assert_eq!(errs.len(), 1, "nested prefixes are fine: {errs:#?}");
}

#[test]
fn a_region_must_be_a_gb_t_2260_prefix() {
    let text = regional("[\"5\", \"50x\", \"99\"]");
    let errs = errors(&[("d.toml", BASE), ("r.toml", &text)]);
    for key in ["regions[0]", "regions[1]", "regions[2]"] {
        assert_eq!(about(&errs, key).line, 2);
    }
}

#[test]
fn step_numbers_are_checked() {
    let text = BASE.replace(
        "level = 1",
        "level = 4\ncount = 4\nmax_pages = 2\nradius_m = -1",
    );
    let errs = errors(&[("r.toml", &text)]);
    for (key, needle) in [
        ("level", "level = 4"),
        ("max_pages", "max_pages = 2"),
        ("radius_m", "radius_m"),
    ] {
        assert_eq!(
            about(&errs, &format!("chains.main.steps.first.{key}")).line,
            line_of(&text, needle)
        );
    }
    assert_eq!(errs.len(), 3, "{errs:#?}");
}

#[test]
fn a_warning_must_come_before_its_limit() {
    single_error(
        "acknowledge = \"2m\"",
        "acknowledge = \"2m\"\narrive = \"15m\"\narrive_warning = \"15m\"",
        "chains.main.steps.fire.arrive_warning",
        "arrive_warning",
    );
    single_error(
        "on_urgent = \"fire\"",
        "on_urgent = \"fire\"\nconfirm_warning = \"5m\"",
        "chains.main.confirm_warning",
        "confirm_warning",
    );
}

#[test]
fn on_urgent_must_name_a_fire_rescue_step() {
    let e = single_error(
        "on_urgent = \"fire\"",
        "on_urgent = \"first\"",
        "chains.main.on_urgent",
        "on_urgent",
    );
    assert!(e.message.contains("fire_rescue"), "{e}");
}

#[test]
fn escalate_needs_a_step_to_escalate_to() {
    single_error(
        "acknowledge = \"2m\"",
        "acknowledge = \"2m\"\non_decline = \"escalate\"",
        "chains.main.steps.fire.on_decline",
        "on_decline",
    );
}

#[test]
fn the_travel_model_is_checked() {
    let text = BASE
        .replace("detour_factor = 1.4", "detour_factor = 0.9")
        .replace("fire_rescue = 35\n", "")
        .replace("property_staff = 5", "property_staff = 0");
    let errs = errors(&[("r.toml", &text)]);
    assert_eq!(about(&errs, "travel.detour_factor").line, 7);
    assert_eq!(about(&errs, "travel.speed_kmh.property_staff").line, 11);
    assert_eq!(about(&errs, "travel.speed_kmh.fire_rescue").line, 9);
    let text = BASE.replace(
        "detour_factor = 1.4",
        "detour_factor = 1.4\nbase_turnout = \"soon\"",
    );
    let errs = errors(&[("r.toml", &text)]);
    assert_eq!(about(&errs, "travel.base_turnout").line, 8);
    let set = parse(&[(
        "r.toml",
        &BASE.replace(
            "detour_factor = 1.4",
            "detour_factor = 1.4\nbase_turnout = \"90s\"",
        ),
    )]);
    assert_eq!(
        set.map(|s| s.files[0].travel.base_turnout_secs).ok(),
        Some(90)
    );
    let set = parse(&[("r.toml", BASE)]);
    assert_eq!(
        set.map(|s| s.files[0].travel.base_turnout_secs).ok(),
        Some(0),
        "absent: none"
    );
}

#[test]
fn every_error_of_a_folder_is_reported_not_just_the_first() {
    let bad = BASE
        .replace("\"3m\"", "\"3x\"")
        .replace("page = \"fire_rescue\"", "page = \"firemen\"");
    let broken = "description = \"x\"\n[chains.a\n";
    let errs = errors(&[("a.toml", &bad), ("b.toml", broken), ("c.toml", BASE)]);
    let keys: Vec<(&str, &str)> = errs
        .iter()
        .map(|e| (e.file.as_str(), e.key.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            ("a.toml", "chains.main.on_urgent"),
            ("a.toml", "chains.main.steps.first.acknowledge"),
            ("a.toml", "chains.main.steps.fire.page"),
            ("b.toml", "chains.a"),
            ("c.toml", "default"),
        ],
        "{errs:#?}"
    );
}

#[test]
fn an_empty_folder_is_an_error() {
    assert_eq!(errors(&[]).len(), 1);
}

#[test]
fn selector_kind_names_are_the_alarm_kinds_rule_names() {
    use crate::domain::AlarmKind;
    let kinds = [
        AlarmKind::EntrapmentAtLanding,
        AlarmKind::EntrapmentBetweenFloors,
        AlarmKind::PassengerAlarm,
        AlarmKind::Fault("power_loss".into()),
    ];
    let names: Vec<&str> = kinds.iter().map(|k| k.rule_name()).collect();
    assert_eq!(names, super::check::KINDS);
}
