//! Triage: an incident's place in a storm's order, from the storm rules.
//!
//! Tier 0 holds the special cases (the rules' `special` alarm flags: a person ill, a child
//! alone, smoke or water); everything else is tier 1, and no tier-1 incident is ever given a
//! unit a waiting tier-0 incident could have had. Within a tier the score orders: points for a
//! car between floors, for each minute trapped, and for a building the rules name (hospital,
//! care home, school). The solve weighs an incident's waiting time by [`weight`].

use crate::dispatch::Incident;
use crate::domain::AlarmKind;
use crate::domain::storm::{StormRules, Triage, TriageReason};
use chrono::{DateTime, Utc};

/// Every incident's weight before its points: a score of 0 still counts.
pub const BASE_WEIGHT: i64 = 10;

/// The incident's triage at `now`: its reasons coded, their points summed into the score, and
/// the same reasons in words.
pub fn triage(rules: &StormRules, i: &Incident, now: DateTime<Utc>) -> Triage {
    let why = reasons(rules, i, now);
    let tier = if why
        .iter()
        .any(|r| matches!(r, TriageReason::Special { .. }))
    {
        0
    } else {
        1
    };
    Triage {
        tier,
        score: why.iter().map(TriageReason::points).sum(),
        reasons: why.iter().map(ToString::to_string).collect(),
        why,
    }
}

/// Each point source of the incident at `now`, or [`TriageReason::Ordinary`] when none.
fn reasons(rules: &StormRules, i: &Incident, now: DateTime<Utc>) -> Vec<TriageReason> {
    let mut why = Vec::new();
    let special: Vec<String> = i
        .flags
        .names()
        .into_iter()
        .filter(|f| rules.special.iter().any(|s| s == f))
        .map(str::to_owned)
        .collect();
    if !special.is_empty() {
        why.push(TriageReason::Special { flags: special });
    }
    let between = i
        .alarms
        .iter()
        .any(|a| a.kind == AlarmKind::EntrapmentBetweenFloors);
    if between && rules.between_floors > 0 {
        why.push(TriageReason::BetweenFloors {
            points: rules.between_floors,
        });
    }
    let minutes = (now - i.opened_at).num_minutes().max(0);
    if minutes > 0 && rules.per_minute_trapped > 0 {
        why.push(TriageReason::Trapped {
            minutes,
            points: minutes * rules.per_minute_trapped,
        });
    }
    if let Some(l) = &i.lift {
        let text = format!("{} {}", l.address, l.building).to_lowercase();
        for place in &rules.places {
            let word = place
                .words
                .iter()
                .find(|w| text.contains(&w.to_lowercase()));
            if let Some(w) = word {
                why.push(TriageReason::Place {
                    name: place.name.clone(),
                    word: w.clone(),
                    points: place.points,
                });
            }
        }
    }
    if why.is_empty() {
        why.push(TriageReason::Ordinary);
    }
    why
}

/// The solve's weight of an incident with this triage.
pub fn weight(t: &Triage) -> u32 {
    u32::try_from(BASE_WEIGHT + t.score.max(0)).unwrap_or(u32::MAX)
}

/// Orders triaged incidents: tier, then score (higher first), then the earlier opened.
pub fn order(a: (&Triage, DateTime<Utc>), b: (&Triage, DateTime<Utc>)) -> std::cmp::Ordering {
    a.0.tier
        .cmp(&b.0.tier)
        .then(b.0.score.cmp(&a.0.score))
        .then(a.1.cmp(&b.1))
}
