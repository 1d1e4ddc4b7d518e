//! The rules files as written: raw serde structs, before any checking.
//!
//! Every struct denies unknown keys, so a typo is an error rather than a silently ignored
//! setting. Values that are checked after parsing (durations, enum names, numbers with a range,
//! references to steps and chains) are kept as [`Spanned`] strings or numbers: serde stops at
//! the first error in a file, while [`super::check`] goes on and reports every problem, each
//! with the line of the value at fault. What serde itself refuses (syntax, unknown keys, wrong
//! types, missing keys) is located by [`Source::parse`], which names the enclosing key.

use super::RulesError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

/// A string with its place in the file.
pub type Text = Spanned<String>;

/// One rules file: where it applies, its travel model, how a chain is selected, and the chains.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    /// What the file is for, in a sentence.
    pub description: Text,
    /// GB/T 2260 code prefixes (2 to 6 digits).
    pub regions: Option<Spanned<Vec<Text>>>,
    /// True for the one file that applies where no region matches.
    pub default: Option<Spanned<bool>>,
    /// How long after a release alarms for the same lift still join the incident.
    pub correlation_window: Text,
    /// Positions older than this are not trusted for ranking.
    pub position_max_age: Text,
    /// The travel-time model.
    pub travel: Spanned<RawTravel>,
    /// Chain selectors, first match wins.
    #[serde(default)]
    pub select: Vec<Spanned<RawSelector>>,
    /// Chains by name.
    #[serde(default)]
    pub chains: BTreeMap<Text, Spanned<RawChain>>,
}

/// `[travel]`: straight-line distance × detour factor ÷ speed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTravel {
    /// Road distance ÷ straight-line distance, at least 1.
    pub detour_factor: Spanned<f64>,
    /// Average speeds in km/h.
    pub speed_kmh: Spanned<RawSpeeds>,
    /// Added to the travel time of a unit paged from its base ("1m"); absent: nothing added.
    pub base_turnout: Option<Text>,
}

/// `[travel.speed_kmh]`: one speed per unit kind; a missing one is reported by the check.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpeeds {
    /// Maintainers (contracted and mutual aid).
    pub maintainer: Option<Spanned<f64>>,
    /// Property staff.
    pub property_staff: Option<Spanned<f64>>,
    /// Fire/rescue units.
    pub fire_rescue: Option<Spanned<f64>>,
}

/// `[[select]]`: conditions that must all hold (an absent one holds) and the chain they pick.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSelector {
    /// The chain picked.
    pub chain: Text,
    /// Alarm kinds.
    #[serde(default)]
    pub kinds: Vec<Text>,
    /// Any of these alarm flags.
    #[serde(default)]
    pub alarm_flags_any: Vec<Text>,
    /// Any of these lift flags.
    #[serde(default)]
    pub lift_flags_any: Vec<Text>,
}

/// `[chains.NAME]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChain {
    /// Steps started together when the incident opens.
    pub start: Spanned<Vec<Text>>,
    /// The fire/rescue step started at once when a later alarm reports an urgent flag.
    pub on_urgent: Option<Text>,
    /// Release confirmed by callback within this, from the release.
    pub confirm: Option<Text>,
    /// Warning before `confirm`.
    pub confirm_warning: Option<Text>,
    /// Steps by id.
    #[serde(default)]
    pub steps: BTreeMap<Text, Spanned<RawStep>>,
}

/// `[chains.NAME.steps.ID]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    /// Response level 1..=3.
    pub level: Spanned<i64>,
    /// Whom it pages (a [`super::Target`] name).
    pub page: Text,
    /// Units that must acknowledge; default 1.
    pub count: Option<Spanned<i64>>,
    /// Pages in all; default 3.
    pub max_pages: Option<Spanned<i64>>,
    /// Search radius in metres.
    pub radius_m: Option<Spanned<f64>>,
    /// May re-page units already paged; default false.
    #[serde(default)]
    pub repeat: bool,
    /// Acknowledge deadline, from each page.
    pub acknowledge: Text,
    /// `next_candidate` (default) or `escalate`.
    pub on_no_ack: Option<Text>,
    /// `next_candidate` (default) or `escalate`.
    pub on_decline: Option<Text>,
    /// Step started when this one runs out.
    pub on_exhausted: Option<Text>,
    /// Arrival deadline, from the step's first page.
    pub arrive: Option<Text>,
    /// Warning before `arrive`.
    pub arrive_warning: Option<Text>,
    /// Step started in parallel when `arrive` is breached.
    pub on_arrive_breach: Option<Text>,
    /// Parties told on any breach of this step.
    #[serde(default)]
    pub notify_on_breach: Vec<Text>,
    /// Parties told when this step starts.
    #[serde(default)]
    pub notify_on_start: Vec<Text>,
    /// Release deadline, from arrival on scene.
    pub release: Option<Text>,
    /// Warning before `release`.
    pub release_warning: Option<Text>,
}

/// A rules file's name and text, able to turn byte offsets into lines and make errors.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// File name as found in the folder, e.g. `districted-city.toml`.
    pub name: &'a str,
    /// The whole text.
    pub text: &'a str,
}

impl<'a> Source<'a> {
    /// The 1-based line holding byte `offset`.
    pub fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    /// An error at `span`, about `key`.
    pub fn error(&self, span: Range<usize>, key: &str, message: impl Into<String>) -> RulesError {
        RulesError {
            file: self.name.to_owned(),
            line: self.line(span.start),
            key: key.to_owned(),
            message: message.into(),
        }
    }

    /// Parses the text into the raw structs; a failure is located and given the key it is under.
    pub fn parse(&self) -> Result<RawFile, RulesError> {
        toml::from_str(self.text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let key = key_at(self.text, span.clone(), e.message());
            self.error(span, &key, e.message().trim())
        })
    }
}

/// The dotted key a byte span sits under, found from the last table header before it and the
/// key at the start of its line. Used only for errors serde reports (it has no key paths); it is
/// exact for the layouts the README shows and a close approximation inside inline tables.
pub(super) fn key_at(text: &str, span: Range<usize>, message: &str) -> String {
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let Some(missing) = missing_field(message) else {
        return key_of_span(text, start, span);
    };
    // serde points at the table that lacks the key (the whole file for a top-level key).
    match start {
        0 => missing.to_owned(),
        _ => join(vec![
            key_of_span(text, start, start..start),
            missing.to_owned(),
        ]),
    }
}

/// The key at byte `start` (a char boundary) of `text`; `span` is the whole place at fault.
fn key_of_span(text: &str, start: usize, span: Range<usize>) -> String {
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    let (table, counts) = table_before(&text[..line_start]);
    if let Some(h) = header_of(line) {
        // The error is about the table itself (e.g. a missing key): name the table.
        return match line.trim_start().starts_with("[[") {
            true => format!("{h}[{}]", counts.get(&h).copied().unwrap_or(0)),
            false => h,
        };
    }
    let mut parts = vec![table];
    if let Some((k, _)) = line.split_once('=') {
        parts.push(clean_key(k));
        // An unknown key inside an inline table: the span covers that key, and `=` follows.
        let inner = text.get(span.clone()).unwrap_or("").trim();
        let after = text.get(span.end..).unwrap_or("").trim_start();
        let first_eq = line_start + k.len();
        if start > first_eq && is_bare_key(inner) && after.starts_with('=') {
            parts.push(inner.to_owned());
        }
    }
    join(parts)
}

/// The table the end of `text` is in (`select[1]` for the second `[[select]]`), and how many
/// of each array of tables were seen.
fn table_before(text: &str) -> (String, BTreeMap<String, usize>) {
    let mut table = String::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for line in text.lines() {
        let Some(h) = header_of(line) else { continue };
        if line.trim_start().starts_with("[[") {
            let n = counts.entry(h.clone()).or_default();
            table = format!("{h}[{n}]");
            *n += 1;
        } else {
            table = h;
        }
    }
    (table, counts)
}

/// The non-empty parts, dotted.
fn join(mut parts: Vec<String>) -> String {
    parts.retain(|p| !p.is_empty());
    parts.join(".")
}

/// The key named by serde's "missing field `x`" message.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// `[a.b]` or `[[a]]` → `a.b` / `a`; anything else → None.
fn header_of(line: &str) -> Option<String> {
    let t = line.split('#').next().unwrap_or("").trim();
    // Lenient about a missing `]`, so an unclosed header still names its table.
    let inner = t.strip_prefix('[')?;
    let inner = inner.trim_start_matches('[').trim_end_matches(']');
    let key = clean_key(inner);
    (!key.is_empty() && is_dotted_key(&key)).then_some(key)
}

/// Removes spaces and quotes from a dotted key as written.
fn clean_key(k: &str) -> String {
    k.split('.')
        .map(|p| p.trim().trim_matches('"').trim_matches('\''))
        .collect::<Vec<_>>()
        .join(".")
}

fn is_bare_key(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn is_dotted_key(s: &str) -> bool {
    s.split('.').all(|p| !p.is_empty() && is_bare_key(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(text: &str) -> RulesError {
        Source {
            name: "x.toml",
            text,
        }
        .parse()
        .unwrap_err()
    }

    #[test]
    fn an_unknown_key_is_named_under_its_table() {
        let e = located("description = \"d\"\n[chains.a]\nstart = []\nsurprise = 1\n");
        assert_eq!((e.line, e.key.as_str()), (4, "chains.a.surprise"));
        assert!(e.message.contains("unknown field `surprise`"), "{e}");
    }

    #[test]
    fn an_unknown_key_in_an_inline_table_is_named_with_its_parent() {
        let e = located(
            "description = \"d\"\n[chains.a]\nstart = []\nsteps.s = { level = 1, nope = 2 }\n",
        );
        assert_eq!((e.line, e.key.as_str()), (4, "chains.a.steps.s.nope"));
    }

    #[test]
    fn a_missing_key_is_reported_at_its_table_header() {
        let e = located("description = \"d\"\n\n[[select]]\nchain = \"a\"\n[[select]]\n");
        assert_eq!((e.line, e.key.as_str()), (5, "select[1].chain"));
    }

    #[test]
    fn a_missing_key_in_the_first_array_table_is_indexed() {
        let e = located("description = \"d\"\n[[select]]\nkinds = []\n");
        assert_eq!((e.line, e.key.as_str()), (2, "select[0].chain"));
    }

    #[test]
    fn a_missing_top_level_key_is_named() {
        let e = located("description = \"d\"\n");
        assert_eq!(e.key, "correlation_window");
    }

    #[test]
    fn a_syntax_error_names_the_line_and_the_key() {
        let e = located("description = \"d\"\n[chains.a]\nconfirm = 10m\n");
        assert_eq!((e.line, e.key.as_str()), (3, "chains.a.confirm"));
    }

    #[test]
    fn offsets_become_one_based_lines() {
        let s = Source {
            name: "x",
            text: "a\nb\nc",
        };
        assert_eq!((s.line(0), s.line(2), s.line(4), s.line(99)), (1, 2, 3, 3));
    }
}
