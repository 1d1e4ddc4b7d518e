//! How the desk takes each input other than its own wake-ups: commands (decided, or forwarded
//! by a standby's desk), reads of its state, live positions and role changes.

use super::{Desk, DeskError, DeskStats, EquipmentFault, EventSink, Input};
use crate::dispatch::{Command, incident_view};
use tokio::sync::mpsc;

impl<S: EventSink> Desk<S> {
    /// Takes one input. A batch of alarms may take the inputs that come while it is appended
    /// (see [`super::ahead`]); one it did not handle is left in `next`, to be taken first.
    pub(super) async fn handle(
        &mut self,
        input: Input,
        rx: &mut mpsc::Receiver<Input>,
        next: &mut Option<Input>,
    ) {
        match input {
            Input::Position(unit, fix) => {
                if let Some(f) = &self.follower {
                    f.forward.position(unit, fix);
                    self.state.update_position(unit, fix);
                } else if self.state.update_position(unit, fix) {
                    self.sink.position(unit, fix);
                }
            }
            Input::Promote(state, reply) => {
                self.promote(*state);
                let _ = reply.send(());
            }
            Input::StandDown(reply) => {
                self.fenced = true;
                let _ = reply.send(());
            }
            Input::Demote(state, follower, reply) => {
                self.demote(*state, follower);
                let _ = reply.send(());
            }
            Input::Fixes(unit, reply) => {
                let _ = reply.send(self.state.fixes(unit));
            }
            Input::Board(ids, reply) => {
                let _ = reply.send(self.board(ids));
            }
            Input::Command(cmd @ Command::Alarms { .. }, reply) if self.decides() => {
                if let Some(stashed) = self.batches(cmd, reply, rx).await {
                    *next = Some(stashed);
                }
            }
            Input::Command(cmd, reply) if self.decides() => {
                let _ = reply.send(self.step(cmd).await);
            }
            Input::Command(cmd, reply) => self.forward(cmd, reply),
            Input::Forwarded(cmd, row, reply) if self.decides() => {
                self.answering = Some(row);
                let _ = reply.send(self.step(cmd).await);
                self.answering = None;
            }
            // Forwarded to a desk that stood down: the next holder takes the row again.
            Input::Forwarded(_, _, reply) => {
                let _ = reply.send(Err(DeskError::Standby));
            }
            Input::View(id, reply) => {
                let _ = reply.send(incident_view(&self.state, id, self.clock.now()));
            }
            Input::Stats(reply) => {
                let _ = reply.send(DeskStats::of(&self.state));
            }
            Input::Storms(reply) => {
                let now = self.clock.now();
                let _ = reply.send(crate::dispatch::storm::view::storms_view(&self.state, now));
            }
            Input::EquipmentFaults(reply) => {
                let faults =
                    self.state
                        .equipment_faults()
                        .into_iter()
                        .map(|(e, s)| EquipmentFault {
                            equipment: e.clone(),
                            lift: s.lift,
                            fault: s.fault.clone().unwrap_or_default(),
                            since: s.since,
                            last_test: s.last_test,
                        });
                let _ = reply.send(faults.collect());
            }
            Input::Watch(equipment) => {
                let now = self.clock.now();
                for (e, lift) in equipment {
                    self.state.watch(e, lift, now);
                }
            }
            Input::Rules(swap, reply) if self.decides() => {
                let _ = reply.send(self.swap_rules(swap).await);
            }
            // A standby reads the rules from their source when it takes the desk; a reload
            // is for the holder (which logs it).
            Input::Rules(_, reply) => {
                let _ = reply.send(Err(DeskError::Standby));
            }
            Input::Units(units) => {
                if let Some(f) = &self.follower {
                    f.forward.units(units.clone());
                }
                for unit in units {
                    self.state.register_unit(unit);
                }
            }
            Input::Assignments(unit, reply) => {
                let now = self.clock.now();
                let held = self
                    .state
                    .units
                    .get(&unit)
                    .map(|u| u.held_by.clone())
                    .unwrap_or_default();
                let views = held
                    .into_iter()
                    .filter_map(|id| incident_view(&self.state, id, now))
                    .collect();
                let _ = reply.send(views);
            }
        }
    }
}
