//! Triage: an incident's place in a storm's order, from the storm rules.
//!
//! Tier 0 holds the special cases (the rules' `special` alarm flags: a person ill, a child
//! alone, smoke or water); everything else is tier 1, and no tier-1 incident is ever given a
//! unit a waiting tier-0 incident could have had. Within a tier the score orders: points for a
//! car between floors, for each minute trapped, and for a building the rules name (hospital,
//! care home, school). The solve weighs an incident's waiting time by [`weight`].

use crate::dispatch::Incident;
use crate::domain::AlarmKind;
use crate::domain::storm::{StormRules, Triage};
use chrono::{DateTime, Utc};

/// Every incident's weight before its points: a score of 0 still counts.
pub const BASE_WEIGHT: i64 = 10;

/// The incident's triage at `now`.
pub fn triage(rules: &StormRules, i: &Incident, now: DateTime<Utc>) -> Triage {
    let mut reasons = Vec::new();
    let flags = i.flags.names();
    let special: Vec<&str> = flags
        .iter()
        .copied()
        .filter(|f| rules.special.iter().any(|s| s == f))
        .collect();
    let tier = if special.is_empty() {
        1
    } else {
        reasons.push(format!(
            "special case ({}): ahead of every other entrapment",
            special.join(", ")
        ));
        0
    };
    let mut score = 0;
    let between = i
        .alarms
        .iter()
        .any(|a| a.kind == AlarmKind::EntrapmentBetweenFloors);
    if between && rules.between_floors > 0 {
        score += rules.between_floors;
        reasons.push(format!("car between floors +{}", rules.between_floors));
    }
    let minutes = (now - i.opened_at).num_minutes().max(0);
    if minutes > 0 && rules.per_minute_trapped > 0 {
        let p = minutes * rules.per_minute_trapped;
        score += p;
        reasons.push(format!("trapped {minutes} min +{p}"));
    }
    if let Some(l) = &i.lift {
        let text = format!("{} {}", l.address, l.building).to_lowercase();
        for place in &rules.places {
            let word = place
                .words
                .iter()
                .find(|w| text.contains(&w.to_lowercase()));
            if let Some(w) = word {
                score += place.points;
                reasons.push(format!("{} ({w}) +{}", place.name, place.points));
            }
        }
    }
    if reasons.is_empty() {
        reasons.push("ordinary entrapment: served in order of waiting time".into());
    }
    Triage {
        tier,
        score,
        reasons,
    }
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
