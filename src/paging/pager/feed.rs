//! What the live feed tells the pager: pages logged, deliveries, acknowledgements and ends.

use super::{Pager, Seen};
use crate::domain::{Event, EventKind};
use crate::paging::policy::{AttemptKey, PageRef};
use std::collections::HashMap;

impl Pager {
    /// Drops the schedule and reads every ringing page again (the feed lagged).
    pub(super) fn resync(&mut self) {
        self.pages.clear();
        self.schedule.clear();
        self.by_incident.clear();
        self.last_id = 0;
        self.new_pages = true;
    }

    /// An acknowledgement, a missed deadline, a cancelled page or an ended incident takes the
    /// unit's pages off the schedule (the append already ended them in the store).
    pub(super) fn on_event(&mut self, e: &Event) {
        let Some(id) = e.incident else { return };
        let unit = match &e.kind {
            EventKind::IncidentOpened { alarm, lift, .. } => {
                let seen = Seen {
                    alarm: alarm.clone(),
                    lift: lift.as_deref().cloned(),
                    lift_since: None,
                    levels: HashMap::new(),
                    pages: HashMap::new(),
                };
                self.seen.insert(id, seen);
                return;
            }
            EventKind::StepStarted { step } => {
                if let Some(s) = self.seen.get_mut(&id) {
                    s.levels.insert(step.id.as_str().to_owned(), step.level);
                }
                return;
            }
            // The operator identified the lift: later pages say where it is.
            EventKind::LiftAttached { lift, .. } => {
                if let Some(s) = self.seen.get_mut(&id) {
                    s.lift = Some((**lift).clone());
                    s.lift_since = Some(e.at);
                }
                return;
            }
            EventKind::UnitPaged { candidate, .. } => {
                self.new_pages = true;
                if let Some(s) = self.seen.get_mut(&id) {
                    let step = e.step.clone().unwrap_or_default();
                    s.pages.insert((step, candidate.unit), e.clone());
                }
                return;
            }
            // A delivered page needs no later channel (only its repeats); a channel that gave
            // up brings the plan's next one forward.
            EventKind::Delivery {
                message, status, ..
            } => {
                let Some(key) = AttemptKey::parse(message) else {
                    return;
                };
                let gave_up = status == "failed" || status == "unknown";
                for k in self.pages_of(&key.page) {
                    let Some(r) = self.pages.get_mut(&k) else {
                        continue;
                    };
                    match status.as_str() {
                        "delivered" | "read" => {
                            r.log.delivered_at.get_or_insert(e.at);
                        }
                        _ if gave_up => {
                            r.log.gave_up.insert(key.channel);
                            self.reschedule(k, e.at);
                        }
                        _ => {}
                    }
                }
                return;
            }
            EventKind::Accepted { unit, .. }
            | EventKind::Declined { unit }
            | EventKind::AckMissed { unit, .. }
            | EventKind::PageCancelled { unit } => Some(*unit),
            EventKind::Closed { .. } | EventKind::Cancelled | EventKind::FalseAlarm => {
                self.seen.remove(&id);
                None
            }
            _ => return,
        };
        let gone: Vec<i64> = self
            .by_incident
            .get(&id)
            .into_iter()
            .flatten()
            .copied()
            .filter(|k| unit.is_none_or(|u| self.pages.get(k).is_some_and(|r| r.page.unit == u)))
            .collect();
        for k in gone {
            self.drop_page(k);
        }
    }

    /// The ringing pages (ids) that are `page`.
    pub(super) fn pages_of(&self, page: &PageRef) -> Vec<i64> {
        self.by_incident
            .get(&page.incident)
            .into_iter()
            .flatten()
            .copied()
            .filter(|k| {
                self.pages.get(k).is_some_and(|r| {
                    r.page.unit == page.unit
                        && r.page.step == page.step
                        && r.page.page_no == page.page_no
                })
            })
            .collect()
    }

    pub(super) fn drop_page(&mut self, id: i64) {
        if let Some(r) = self.pages.remove(&id) {
            self.schedule.remove(&(r.next_at, id));
            if let Some(ids) = self.by_incident.get_mut(&r.page.incident) {
                ids.remove(&id);
                if ids.is_empty() {
                    self.by_incident.remove(&r.page.incident);
                }
            }
        }
    }
}
