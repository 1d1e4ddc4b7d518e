//! A readable summary of a checked rules folder, for `liftrescue rules check` and reviews.

use super::{Chain, Deadline, RuleSet, RulesFile, Selector, Step};
use std::fmt::{self, Display, Formatter};

/// Displays a [`RuleSet`] as the text `liftrescue rules check` prints.
#[derive(Debug, Clone, Copy)]
pub struct Summary<'a>(pub &'a RuleSet);

impl Display for Summary<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        writeln!(f, "rules version {}", self.0.version)?;
        for file in &self.0.files {
            writeln!(f)?;
            write_file(f, file)?;
        }
        writeln!(f)?;
        match &self.0.storm {
            Some(s) => write_storm(f, s),
            None => writeln!(f, "storm mode: off (no storm.toml)"),
        }
    }
}

fn write_storm(f: &mut Formatter<'_>, s: &crate::domain::storm::StormRules) -> fmt::Result {
    writeln!(f, "storm.toml: {}", s.description)?;
    writeln!(
        f,
        "  declared at {} entrapments in one street (or district) within {}; ends after {} quiet",
        s.entrapments, s.within, s.quiet
    )?;
    writeln!(
        f,
        "  solve every {} (0.5 s after a change), {} nearest units each, other companies after {}, {} on site, horizon {}",
        s.every, s.candidates, s.mutual_aid_after, s.on_site, s.horizon
    )?;
    if let Some(d) = &s.own_company_within {
        writeln!(
            f,
            "  the own company first only with a crew there within {d}"
        )?;
    }
    writeln!(
        f,
        "  batch cars within {} m, at most {} per crew",
        s.batch_walk_m, s.max_queue
    )?;
    let places: Vec<String> = s
        .places
        .iter()
        .map(|p| format!("{} +{}", p.name, p.points))
        .collect();
    writeln!(
        f,
        "  triage: special ({}) first; between floors +{}, +{} a minute trapped, {}",
        s.special.join(", "),
        s.between_floors,
        s.per_minute_trapped,
        places.join(", ")
    )
}

fn write_file(f: &mut Formatter<'_>, file: &RulesFile) -> fmt::Result {
    writeln!(f, "{}.toml: {}", file.name, file.description)?;
    if file.default {
        writeln!(
            f,
            "  applies: wherever no other file's region matches (default)"
        )?;
    } else {
        writeln!(f, "  applies: regions {}", file.regions.join(", "))?;
    }
    writeln!(
        f,
        "  correlation window {}, positions trusted for {}",
        file.correlation_window, file.position_max_age
    )?;
    let speeds: Vec<String> = file
        .travel
        .speed_kmh
        .iter()
        .map(|(k, v)| format!("{} {v} km/h", k.as_str()))
        .collect();
    writeln!(
        f,
        "  travel: detour factor {}, {}; from a base +{} s to turn out",
        file.travel.detour_factor,
        speeds.join(", "),
        file.travel.base_turnout_secs
    )?;
    writeln!(f, "  select (first match wins):")?;
    for (i, s) in file.select.iter().enumerate() {
        writeln!(f, "    {}. {} -> {}", i + 1, conditions(s), s.chain)?;
    }
    for chain in file.chains.values() {
        write_chain(f, chain)?;
    }
    Ok(())
}

fn conditions(s: &Selector) -> String {
    let mut parts = Vec::new();
    for (name, list) in [
        ("kind", &s.kinds),
        ("alarm flag", &s.alarm_flags_any),
        ("lift flag", &s.lift_flags_any),
    ] {
        if !list.is_empty() {
            parts.push(format!("{name} {}", list.join("|")));
        }
    }
    if parts.is_empty() {
        "anything else".into()
    } else {
        parts.join(" and ")
    }
}

fn write_chain(f: &mut Formatter<'_>, chain: &Chain) -> fmt::Result {
    writeln!(f, "  chain {}", chain.name)?;
    writeln!(f, "    start: {}", chain.start.join(" + "))?;
    if let Some(u) = &chain.on_urgent {
        writeln!(f, "    on urgent alarm: start {u}")?;
    }
    if let Some(c) = &chain.confirm {
        writeln!(
            f,
            "    release confirmed by callback within {}",
            deadline(c)
        )?;
    }
    let mut steps: Vec<&Step> = chain.steps.values().collect();
    steps.sort_by_key(|s| (s.level, !chain.start.contains(&s.id), &s.id));
    for step in steps {
        write_step(f, step)?;
    }
    Ok(())
}

fn deadline(d: &Deadline) -> String {
    match d.warning {
        Some(w) => format!("{} (warning at {w})", d.limit),
        None => d.limit.to_string(),
    }
}

fn write_step(f: &mut Formatter<'_>, s: &Step) -> fmt::Result {
    let radius = s
        .radius_m
        .map(|r| format!(", within {r} m"))
        .unwrap_or_default();
    let repeat = if s.repeat { ", may repeat" } else { "" };
    writeln!(
        f,
        "    step {}: level {}, page {} x{} (at most {} pages{radius}{repeat})",
        s.id,
        s.level,
        serde_name(&s.page),
        s.count,
        s.max_pages,
    )?;
    for line in step_details(s) {
        writeln!(f, "      {line}")?;
    }
    Ok(())
}

fn step_details(s: &Step) -> Vec<String> {
    let exhausted = s
        .on_exhausted
        .as_ref()
        .map(|e| format!("; exhausted: start {e}"));
    let mut lines = vec![format!(
        "acknowledge {}; no ack: {}; decline: {}{}",
        s.acknowledge,
        serde_name(&s.on_no_ack),
        serde_name(&s.on_decline),
        exhausted.unwrap_or_default()
    )];
    if let Some(a) = &s.arrive {
        let breach = s
            .on_arrive_breach
            .as_ref()
            .map(|b| format!("; breach: start {b}"));
        lines.push(format!(
            "arrive {}{}",
            deadline(a),
            breach.unwrap_or_default()
        ));
    }
    if let Some(r) = &s.release {
        lines.push(format!("release {} after arrival", deadline(r)));
    }
    for (when, list) in [
        ("start", &s.notify_on_start),
        ("breach", &s.notify_on_breach),
    ] {
        if !list.is_empty() {
            let names: Vec<String> = list.iter().map(serde_name).collect();
            lines.push(format!("on {when} notify {}", names.join(", ")));
        }
    }
    lines
}

/// The snake_case name a value has in rules files.
fn serde_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
