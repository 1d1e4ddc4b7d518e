//! `quality.toml`: the shipped file loads, and bad files are refused with lines and keys.

use super::quality::*;

fn shipped() -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("dispatch-rules/quality.toml"),
    )
    .unwrap()
}

#[test]
fn the_shipped_quality_file_loads_and_is_built_in() {
    let c = QualityConfig::built_in().unwrap();
    assert_eq!(c.grades.a, 90.0);
    assert_eq!(c.flag_years, [10, 15]);
    assert_eq!(c.weights.age_from_years, 10.0);
    let folder = QualityConfig::parse(FILE, &shipped(), "x").unwrap();
    assert_eq!(folder.weights, c.weights);
}

#[test]
fn an_unknown_key_is_an_error_with_its_line_and_key() {
    let text = shipped().replace("[grades]\n", "[grades]\nbest = 1.0\n");
    let errors = QualityConfig::parse(FILE, &text, "x").unwrap_err();
    let line = text.lines().position(|l| l == "best = 1.0").unwrap() + 1;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].line, errors[0].file.as_str()), (line, FILE));
    assert!(errors[0].key.starts_with("grades"), "{errors:?}");
}

#[test]
fn negative_weights_and_grades_that_do_not_fall_are_all_reported_with_lines() {
    let text = shipped()
        .replace("sanwu = { points = 5.0", "sanwu = { points = -5.0")
        .replace("b = 75.0", "b = 95.0");
    let errors = QualityConfig::parse(FILE, &text, "x").unwrap_err();
    let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["weights.sanwu.points", "grades"], "{errors:?}");
    assert!(errors.iter().all(|e| e.line > 0));
}

#[test]
fn a_key_that_belongs_to_another_weight_is_refused() {
    let text = shipped().replace(
        "sanwu = { points = 5.0, max = 15.0 }",
        "sanwu = { points = 5.0, max = 15.0, from_years = 3.0 }",
    );
    let errors = QualityConfig::parse(FILE, &text, "x").unwrap_err();
    assert_eq!(errors[0].key, "weights.sanwu.from_years", "{errors:?}");
}

#[test]
fn a_deduction_is_capped_at_its_max_and_never_negative() {
    let w = Weight {
        points: 4.0,
        max: 40.0,
    };
    assert_eq!(w.deduct(3.0), 12.0);
    assert_eq!(w.deduct(100.0), 40.0);
    assert_eq!(w.deduct(-1.0), 0.0);
}
