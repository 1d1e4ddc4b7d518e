//! Swapping the desk's rules: ordered with every other command, recorded before it counts.

use super::{Desk, DeskError, DeskHandle, EventSink, Input};
use crate::domain::Event;

/// New rules for the desk, with where they were read and who asked, for the record.
#[derive(Debug)]
pub struct RulesSwap {
    /// The checked rules.
    pub rules: std::sync::Arc<crate::rules::RuleSet>,
    /// `built-in`, or the folder's path.
    pub source: String,
    /// `signal`, or the admin token's label.
    pub by: String,
}

impl DeskHandle {
    /// Replaces the rules for incidents opened from now on, in order with every other command:
    /// the `rules_reloaded` event is appended first, then the rules are swapped; open incidents
    /// keep the chain they snapshotted. No events (and no swap) when the version is the same.
    pub async fn swap_rules(&self, swap: RulesSwap) -> Result<Vec<Event>, DeskError> {
        self.ask(|reply| Input::Rules(swap, reply)).await?
    }
}

impl<S: EventSink> Desk<S> {
    /// New rules: decide the record of it, append it, then swap.
    pub(super) async fn swap_rules(&mut self, swap: RulesSwap) -> Result<Vec<Event>, DeskError> {
        let now = self.clock.now();
        let decided =
            crate::dispatch::rules_reloaded(&self.state, &swap.rules, &swap.source, &swap.by, now);
        let events: Vec<Event> = decided.into_iter().collect();
        if events.is_empty() {
            return Ok(events);
        }
        let seqs = self.append(&events).await?;
        self.state.rules = swap.rules;
        self.publish(&events, seqs, true);
        Ok(events)
    }
}
