//! Checking one parsed rules file and turning it into the model.
//!
//! The [`Checker`] walks the raw file, records every problem it finds with the file, line and
//! dotted key, and keeps going: an operator fixing a folder should see all of its problems in
//! one run. The model is only built when nothing was found. Chains and their steps are checked
//! in [`super::chain`]; folder-wide rules (one default file, no region claimed twice) in
//! [`super::folder`].

use super::file::{RawFile, RawSelector, RawTravel, Source, Text};
use super::{Deadline, Dur, RulesError, RulesFile, Selector, TravelModel, lift_flag_names};
use crate::domain::{AlarmFlags, LiftFlags, UnitKind};
use serde::de::{DeserializeOwned, IntoDeserializer, value::StrDeserializer};
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

/// Alarm kind names a selector may use; the same strings as `AlarmKind::rule_name`.
pub const KINDS: [&str; 4] = [
    "entrapment_at_landing",
    "entrapment_between_floors",
    "passenger_alarm",
    "fault",
];

/// Collects the problems of one file while it is converted.
#[derive(Debug)]
pub struct Checker<'a> {
    /// The file being checked.
    pub src: Source<'a>,
    /// Everything found so far.
    pub errors: Vec<RulesError>,
}

/// `prefix.name`, or `name` at the top level.
pub fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

impl<'a> Checker<'a> {
    /// A checker with nothing found yet.
    pub fn new(src: Source<'a>) -> Self {
        Self {
            src,
            errors: Vec::new(),
        }
    }

    /// Records a problem at `span` about `key`.
    pub fn error(&mut self, span: Range<usize>, key: &str, message: impl Into<String>) {
        let e = self.src.error(span, key, message);
        self.errors.push(e);
    }

    /// A duration such as "3m"; None (and an error) when it does not parse.
    pub fn dur(&mut self, t: &Text, key: &str) -> Option<Dur> {
        Dur::parse(t.get_ref())
            .map_err(|m| self.error(t.span(), key, m))
            .ok()
    }

    /// A deadline written as `limit_key` and an optional `warning_key` under `prefix`.
    pub fn deadline(
        &mut self,
        prefix: &str,
        (limit_key, limit): (&str, Option<&Text>),
        (warning_key, warning): (&str, Option<&Text>),
    ) -> Option<Deadline> {
        let l = limit.and_then(|t| self.dur(t, &join(prefix, limit_key)));
        let w = warning.and_then(|t| self.dur(t, &join(prefix, warning_key)));
        if let Some(wt) = warning {
            let key = join(prefix, warning_key);
            if limit.is_none() {
                self.error(
                    wt.span(),
                    &key,
                    format!("a warning needs `{limit_key}` to warn of"),
                );
            } else if let (Some(l), Some(w)) = (l, w)
                && w >= l
            {
                let m = format!("the warning ({w}) must come before `{limit_key}` ({l})");
                self.error(wt.span(), &key, m);
            }
        }
        l.map(|limit| Deadline { limit, warning: w })
    }

    /// A snake_case name of one of the model's enums (`Target`, `OnMiss`, `Party`).
    pub fn named<T: DeserializeOwned>(&mut self, t: &Text, key: &str) -> Option<T> {
        let de: StrDeserializer<'_, serde::de::value::Error> =
            t.get_ref().as_str().into_deserializer();
        T::deserialize(de)
            .map_err(|e| self.error(t.span(), key, e.to_string()))
            .ok()
    }

    /// Every entry of `list` must be one of `known`.
    fn names_in(&mut self, list: &[Text], key: &str, known: &[&str]) -> Vec<String> {
        for (i, t) in list.iter().enumerate() {
            if !known.contains(&t.get_ref().as_str()) {
                let m = format!(
                    "unknown name {:?}; expected one of {}",
                    t.get_ref(),
                    known.join(", ")
                );
                self.error(t.span(), &format!("{key}[{i}]"), m);
            }
        }
        list.iter().map(|t| t.get_ref().clone()).collect()
    }
}

/// Checks one parsed file; the model when nothing is wrong, else every problem found.
pub fn check_file(src: Source<'_>, raw: &RawFile) -> Result<RulesFile, Vec<RulesError>> {
    let mut c = Checker::new(src);
    if raw.description.get_ref().trim().is_empty() {
        c.error(
            raw.description.span(),
            "description",
            "say what the file is for",
        );
    }
    let (regions, default) = regions(&mut c, raw);
    let correlation_window = c.dur(&raw.correlation_window, "correlation_window");
    let position_max_age = c.dur(&raw.position_max_age, "position_max_age");
    let travel = travel(&mut c, &raw.travel);
    let select = selectors(&mut c, raw);
    let mut chains = BTreeMap::new();
    for (name, chain) in &raw.chains {
        let ch = c.chain(name, chain);
        chains.insert(name.get_ref().clone(), std::sync::Arc::new(ch));
    }
    let (Some(correlation_window), Some(position_max_age), Some(travel), true) = (
        correlation_window,
        position_max_age,
        travel,
        c.errors.is_empty(),
    ) else {
        return Err(c.errors);
    };
    Ok(RulesFile {
        name: src
            .name
            .strip_suffix(".toml")
            .unwrap_or(src.name)
            .to_owned(),
        description: raw.description.get_ref().trim().to_owned(),
        regions,
        default,
        correlation_window,
        position_max_age,
        travel,
        select,
        chains,
    })
}

/// `regions` and `default`: a file has one or the other; prefixes are GB/T 2260 digits.
fn regions(c: &mut Checker<'_>, raw: &RawFile) -> (Vec<String>, bool) {
    let default = raw.default.as_ref().is_some_and(|d| *d.get_ref());
    let list: &[Text] = raw.regions.as_ref().map_or(&[], |r| r.get_ref());
    let span = raw.regions.as_ref().map_or(0..0, |r| r.span());
    for (i, r) in list.iter().enumerate() {
        let key = format!("regions[{i}]");
        if let Err(m) = check_region(r.get_ref()) {
            c.error(r.span(), &key, m);
        } else if list[..i].iter().any(|p| p.get_ref() == r.get_ref()) {
            c.error(
                r.span(),
                &key,
                format!("region {:?} is listed twice", r.get_ref()),
            );
        }
    }
    match (default, list.is_empty()) {
        (true, false) => c.error(
            span,
            "regions",
            "the default file applies wherever no region matches; drop `regions` or `default`",
        ),
        (false, true) => c.error(
            span,
            "regions",
            "list GB/T 2260 code prefixes in `regions` (e.g. [\"50\"]) or set `default = true`",
        ),
        _ => {}
    }
    (list.iter().map(|r| r.get_ref().clone()).collect(), default)
}

/// A region prefix: 2 to 6 digits starting with a province code (11–82).
fn check_region(r: &str) -> Result<(), String> {
    if !(2..=6).contains(&r.len()) || !r.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "region {r:?} must be 2 to 6 digits (a GB/T 2260 code prefix)"
        ));
    }
    match r[..2].parse::<u8>() {
        Ok(11..=82) => Ok(()),
        _ => Err(format!(
            "region {r:?} must start with a province code (11–82)"
        )),
    }
}

/// `[travel]`: detour factor at least 1, a positive speed for every unit kind, and a duration
/// for the optional base turnout.
fn travel(c: &mut Checker<'_>, t: &Spanned<RawTravel>) -> Option<TravelModel> {
    let raw = t.get_ref();
    let detour = raw.detour_factor.get_ref();
    let mut ok = true;
    if !(detour.is_finite() && *detour >= 1.0) {
        let m = "must be at least 1 (roads are never shorter than the straight line)";
        c.error(raw.detour_factor.span(), "travel.detour_factor", m);
        ok = false;
    }
    let s = raw.speed_kmh.get_ref();
    let mut speed_kmh = BTreeMap::new();
    let given = [&s.maintainer, &s.property_staff, &s.fire_rescue];
    for (kind, v) in UnitKind::ALL.into_iter().zip(given) {
        let key = format!("travel.speed_kmh.{}", kind.as_str());
        match v {
            None => {
                c.error(
                    raw.speed_kmh.span(),
                    &key,
                    "missing: every unit kind needs a speed",
                );
                ok = false;
            }
            Some(v) if !(v.get_ref().is_finite() && *v.get_ref() > 0.0) => {
                c.error(v.span(), &key, "must be more than 0 km/h");
                ok = false;
            }
            Some(v) => {
                speed_kmh.insert(kind, *v.get_ref());
            }
        }
    }
    let base_turnout_secs = match &raw.base_turnout {
        None => 0,
        Some(t) => match c.dur(t, "travel.base_turnout") {
            Some(d) => u32::try_from(d.0.as_secs()).unwrap_or(u32::MAX),
            None => {
                ok = false;
                0
            }
        },
    };
    ok.then_some(TravelModel {
        detour_factor: *detour,
        speed_kmh,
        base_turnout_secs,
    })
}

/// `[[select]]`: known names, existing chains, one catch-all at the end, every chain selected.
fn selectors(c: &mut Checker<'_>, raw: &RawFile) -> Vec<Selector> {
    let mut catch_all: Option<usize> = None;
    let mut out = Vec::new();
    for (i, s) in raw.select.iter().enumerate() {
        let key = format!("select[{i}]");
        out.push(selector(c, raw, s.get_ref(), &key));
        if let Some(first) = catch_all {
            let m = format!(
                "never used: select[{first}] before it has no conditions and matches every alarm"
            );
            c.error(s.span(), &key, m);
        } else if is_catch_all(s.get_ref()) {
            catch_all = Some(i);
        }
    }
    if catch_all.is_none() {
        let span = raw.select.last().map_or(0..0, |s| s.span());
        let m = "the last [[select]] must have no conditions, so every alarm gets a chain";
        c.error(span, "select", m);
    }
    let live = &raw.select[..catch_all.map_or(raw.select.len(), |i| i + 1)];
    for name in raw.chains.keys() {
        if !live
            .iter()
            .any(|s| s.get_ref().chain.get_ref() == name.get_ref())
        {
            let m = format!(
                "no [[select]] picks chain `{}`; add a selector or remove it",
                name.get_ref()
            );
            c.error(name.span(), &join("chains", name.get_ref()), m);
        }
    }
    out
}

fn is_catch_all(s: &RawSelector) -> bool {
    s.kinds.is_empty() && s.alarm_flags_any.is_empty() && s.lift_flags_any.is_empty()
}

fn selector(c: &mut Checker<'_>, raw: &RawFile, s: &RawSelector, key: &str) -> Selector {
    let chain = s.chain.get_ref();
    if !raw.chains.contains_key(chain.as_str()) {
        let known: Vec<&str> = raw.chains.keys().map(|k| k.get_ref().as_str()).collect();
        let m = format!("no chain named `{chain}` (chains: {})", known.join(", "));
        c.error(s.chain.span(), &join(key, "chain"), m);
    }
    let all_alarm = AlarmFlags {
        person_ill: true,
        child_alone: true,
        smoke_or_water: true,
    };
    let all_lift = LiftFlags {
        no_property_management: true,
        no_maintenance_unit: true,
        no_repair_fund: true,
    };
    Selector {
        chain: chain.clone(),
        kinds: c.names_in(&s.kinds, &join(key, "kinds"), &KINDS),
        alarm_flags_any: c.names_in(
            &s.alarm_flags_any,
            &join(key, "alarm_flags_any"),
            &all_alarm.names(),
        ),
        lift_flags_any: c.names_in(
            &s.lift_flags_any,
            &join(key, "lift_flags_any"),
            &lift_flag_names(all_lift),
        ),
    }
}
