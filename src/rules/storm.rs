//! `storm.toml`: when a storm is declared and how the desk runs one (triage, the global
//! assignment, batching). Part of the rules and of their version, since it changes decisions;
//! a folder without it runs no storm mode. Parsed as strictly as a rules file: unknown keys are
//! refused and every problem is reported with its line and key.

use super::RulesError;
use super::check::Checker;
use super::file::{Source, Text, key_at};
use crate::domain::AlarmFlags;
use crate::domain::storm::{Place, StormRules};
use serde::Deserialize;
use toml::Spanned;

/// The file's name in a rules folder.
pub const FILE: &str = "storm.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorm {
    description: String,
    detect: RawDetect,
    solve: RawSolve,
    batch: RawBatch,
    triage: RawTriage,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetect {
    entrapments: Spanned<i64>,
    within: Text,
    quiet: Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSolve {
    every: Text,
    candidates: Spanned<i64>,
    mutual_aid_after: Text,
    #[serde(default)]
    own_company_within: Option<Text>,
    on_site: Text,
    horizon: Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBatch {
    walk_m: Spanned<f64>,
    max_queue: Spanned<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTriage {
    special: Vec<Text>,
    between_floors: Spanned<i64>,
    per_minute_trapped: Spanned<i64>,
    #[serde(default)]
    place: Vec<RawPlace>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlace {
    name: Text,
    words: Spanned<Vec<String>>,
    points: Spanned<i64>,
}

/// Parses and checks `storm.toml`'s text; every problem is returned.
pub fn parse(text: &str) -> Result<StormRules, Vec<RulesError>> {
    let src = Source { name: FILE, text };
    let raw: RawStorm = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let key = key_at(text, span.clone(), e.message());
        vec![src.error(span, &key, e.message().trim())]
    })?;
    let mut c = Checker::new(src);
    let d = &raw.detect;
    let s = &raw.solve;
    let t = &raw.triage;
    let entrapments = int(&mut c, "detect.entrapments", &d.entrapments, 2..=10_000);
    let candidates = int(&mut c, "solve.candidates", &s.candidates, 1..=64);
    let max_queue = int(&mut c, "batch.max_queue", &raw.batch.max_queue, 1..=20);
    let between_floors = int(
        &mut c,
        "triage.between_floors",
        &t.between_floors,
        0..=10_000,
    );
    let per_minute = int(
        &mut c,
        "triage.per_minute_trapped",
        &t.per_minute_trapped,
        0..=1_000,
    );
    let walk = *raw.batch.walk_m.get_ref();
    if !(0.0..=2_000.0).contains(&walk) {
        let m = format!("{walk} is out of range: 0 to 2000 metres (0: no batching)");
        c.error(raw.batch.walk_m.span(), "batch.walk_m", m);
    }
    let known = AlarmFlags {
        person_ill: true,
        child_alone: true,
        smoke_or_water: true,
    }
    .names();
    for (i, f) in t.special.iter().enumerate() {
        if !known.contains(&f.get_ref().as_str()) {
            let m = format!(
                "unknown alarm flag {:?}; expected one of {}",
                f.get_ref(),
                known.join(", ")
            );
            c.error(f.span(), &format!("triage.special[{i}]"), m);
        }
    }
    let mut places = Vec::new();
    for (i, p) in t.place.iter().enumerate() {
        let key = format!("triage.place[{i}]");
        let points = int(&mut c, &format!("{key}.points"), &p.points, 0..=10_000);
        let words: Vec<String> = p.words.get_ref().iter().map(|w| w.trim().into()).collect();
        if words.is_empty() || words.iter().any(String::is_empty) {
            let m = "a place needs at least one word, and no empty word";
            c.error(p.words.span(), &format!("{key}.words"), m);
        }
        places.push(Place {
            name: p.name.get_ref().clone(),
            words,
            points,
        });
    }
    let durs = [
        ("detect.within", &d.within),
        ("detect.quiet", &d.quiet),
        ("solve.every", &s.every),
        ("solve.mutual_aid_after", &s.mutual_aid_after),
        ("solve.on_site", &s.on_site),
        ("solve.horizon", &s.horizon),
    ]
    .map(|(key, t)| c.dur(t, key));
    let own = (s.own_company_within.as_ref()).map(|t| c.dur(t, "solve.own_company_within"));
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    let [within, quiet, every, mutual_aid_after, on_site, horizon] = durs.map(Option::unwrap);
    let own_company_within = own.flatten();
    if horizon.0.as_secs() < 600 {
        c.error(s.horizon.span(), "solve.horizon", "must be at least 10m");
        return Err(c.errors);
    }
    Ok(StormRules {
        description: raw.description,
        entrapments: entrapments as u32,
        within,
        quiet,
        every,
        candidates: candidates as u32,
        mutual_aid_after,
        own_company_within,
        on_site,
        horizon,
        batch_walk_m: walk,
        max_queue: max_queue as u32,
        special: t.special.iter().map(|f| f.get_ref().clone()).collect(),
        between_floors,
        per_minute_trapped: per_minute,
        places,
    })
}

/// `v` when it lies in `range`, else an error (and the range's start, never used).
fn int(
    c: &mut Checker<'_>,
    key: &str,
    v: &Spanned<i64>,
    range: std::ops::RangeInclusive<i64>,
) -> i64 {
    let x = *v.get_ref();
    if !range.contains(&x) {
        let m = format!("{x} is out of range: {} to {}", range.start(), range.end());
        c.error(v.span(), key, m);
        return *range.start();
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../../dispatch-rules/storm.toml");

    #[test]
    fn the_shipped_file_parses_and_is_part_of_the_rules_and_their_version() {
        let s = parse(SHIPPED).expect("shipped storm.toml");
        assert_eq!((s.entrapments, s.within.0.as_secs()), (20, 120));
        assert_eq!(s.special.len(), 3);
        assert_eq!(s.own_company_within.map(|d| d.0.as_secs()), Some(900));
        let optional = SHIPPED.replace("own_company_within = \"15m\"\n", "");
        assert_eq!(
            parse(&optional).expect("without it").own_company_within,
            None
        );
        let set = crate::rules::RuleSet::built_in().unwrap();
        assert_eq!(set.storm.as_deref(), Some(&s));
        let files: Vec<(String, String)> = crate::rules::BUILT_IN_FILES
            .iter()
            .filter(|(n, _)| n.ends_with(".toml") && *n != crate::rules::quality::FILE)
            .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
            .collect();
        let edited: Vec<(String, String)> = files
            .iter()
            .map(|(n, t)| match n.as_str() {
                FILE => (n.clone(), t.replace("entrapments = 20", "entrapments = 30")),
                _ => (n.clone(), t.clone()),
            })
            .collect();
        let other = crate::rules::RuleSet::parse_files(&edited).unwrap();
        assert_ne!(other.version, set.version, "storm.toml is in the version");
        let without: Vec<(String, String)> = files.into_iter().filter(|(n, _)| n != FILE).collect();
        assert!(
            crate::rules::RuleSet::parse_files(&without)
                .unwrap()
                .storm
                .is_none()
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_line_and_key() {
        let text = SHIPPED
            .replace("entrapments = 20", "entrapments = 1")
            .replace("within = \"2m\"", "within = \"soon\"")
            .replace("candidates = 8", "candidates = 0")
            .replace("walk_m = 150", "walk_m = -3.0")
            .replace(
                "own_company_within = \"15m\"",
                "own_company_within = \"far\"",
            )
            .replace(
                "special = [\"person_ill\", \"child_alone\", \"smoke_or_water\"]",
                "special = [\"person_ill\", \"pregnant\"]",
            );
        let errors = parse(&text).unwrap_err();
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        for key in [
            "detect.entrapments",
            "detect.within",
            "solve.candidates",
            "batch.walk_m",
            "solve.own_company_within",
            "triage.special[1]",
        ] {
            assert!(keys.contains(&key), "{key} missing from {keys:?}");
        }
        assert!(
            errors.iter().all(|e| e.file == FILE && e.line > 0),
            "{errors:?}"
        );
    }

    #[test]
    fn an_unknown_key_is_refused_by_name() {
        let text = SHIPPED.replace("[batch]", "[batch]\nwalk_km = 1");
        let errors = parse(&text).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("walk_km"), "{errors:?}");
    }
}
