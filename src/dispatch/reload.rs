//! Replacing the running rules: a decision like any other, so it is on the record and ordered
//! with the commands around it. The desk swaps [`DeskState::rules`] only after the event is
//! appended; incidents already open keep the chain they snapshotted when they opened.

use super::state::DeskState;
use crate::domain::{Actor, Event, EventKind};
use crate::rules::RuleSet;
use chrono::{DateTime, Utc};

/// The event recording that `rules` (read from `source`, asked for by `by`) replace the running
/// ones at `now`; `None` when they are the same version (nothing changes, nothing is logged).
pub fn rules_reloaded(
    state: &DeskState,
    rules: &RuleSet,
    source: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Option<Event> {
    let from = &state.rules.version;
    let to = &rules.version;
    if from == to {
        return None;
    }
    let reason = format!(
        "rules reloaded from {source} (asked by {by}): version {} replaces {}; incidents opened \
         from now on follow it, open incidents keep the rules they opened with",
        to.short(),
        from.short()
    );
    Some(Event {
        incident: None,
        at: now,
        actor: Actor::System,
        step: None,
        rules_version: Some(to.clone()),
        reason,
        kind: EventKind::RulesReloaded {
            from: from.clone(),
            to: to.clone(),
            source: source.to_owned(),
            by: by.to_owned(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::tests::{RULES, rules, t0};
    use crate::domain::LatLon;

    #[test]
    fn a_new_version_is_one_event_with_both_versions_and_the_same_version_is_none() {
        let old = rules(RULES);
        let new = rules(&RULES.replacen("acknowledge = \"3m\"", "acknowledge = \"4m\"", 1));
        assert_ne!(old.version, new.version);
        let state = DeskState::new(old.clone(), LatLon::parse(29.5, 106.5).unwrap());
        let now = t0();
        assert_eq!(
            rules_reloaded(&state, &old, "built-in", "signal", now),
            None
        );
        let e = rules_reloaded(&state, &new, "/etc/rules", "signal", now).unwrap();
        assert_eq!(e.incident, None);
        assert_eq!(e.rules_version.as_ref(), Some(&new.version));
        assert_eq!(
            e.kind,
            EventKind::RulesReloaded {
                from: old.version.clone(),
                to: new.version.clone(),
                source: "/etc/rules".into(),
                by: "signal".into(),
            }
        );
        assert!(e.reason.contains(new.version.short()), "{}", e.reason);
    }
}
