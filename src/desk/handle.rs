//! What request handlers, the pump and the service ask of a running desk.

use super::{Board, Committed, DeskError, DeskStats, EquipmentFault, Follower, Input};
use crate::dispatch::{Command, DeskState, IncidentView};
use crate::domain::{Equipment, Event, Fix, IncidentId, LiftId, Unit, UnitId};
use std::sync::Arc;
use tokio::sync::{broadcast, oneshot};

use super::DeskHandle;

impl DeskHandle {
    /// Sends the desk an input carrying a reply slot and waits for the reply; a desk that has
    /// stopped (or drops the slot) is [`DeskError::Stopped`].
    pub(super) async fn ask<T>(
        &self,
        input: impl FnOnce(oneshot::Sender<T>) -> Input,
    ) -> Result<T, DeskError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(input(reply))
            .await
            .map_err(|_| DeskError::Stopped)?;
        rx.await.map_err(|_| DeskError::Stopped)
    }

    /// Submits a command and waits for its events (or why it was refused).
    pub async fn submit(&self, command: Command) -> Result<Vec<Event>, DeskError> {
        self.ask(|reply| Input::Command(command, reply)).await?
    }
    /// Submits a command a standby forwarded (row `row` of `desk_commands`): when it appends
    /// events, its answer is written with them.
    pub async fn submit_forwarded(
        &self,
        command: Command,
        row: i64,
    ) -> Result<Vec<Event>, DeskError> {
        self.ask(|reply| Input::Forwarded(command, row, reply))
            .await?
    }
    /// Sends a position update without waiting.
    pub async fn position(&self, unit: UnitId, fix: Fix) -> Result<(), DeskError> {
        self.tx
            .send(Input::Position(unit, fix))
            .await
            .map_err(|_| DeskError::Stopped)
    }
    /// The console's view of an incident, if the desk holds it.
    pub async fn view(&self, id: IncidentId) -> Result<Option<IncidentView>, DeskError> {
        self.ask(|reply| Input::View(id, reply)).await
    }
    /// Counts for the board and `/metrics`.
    pub async fn stats(&self) -> Result<DeskStats, DeskError> {
        self.ask(Input::Stats).await
    }
    /// The incidents a unit is paged for or assigned to, for the crew's phone.
    pub async fn assignments(&self, unit: UnitId) -> Result<Vec<IncidentView>, DeskError> {
        self.ask(|reply| Input::Assignments(unit, reply)).await
    }
    /// The storms the desk holds, newest first, with their open incidents in priority order.
    pub async fn storms(&self) -> Result<crate::dispatch::storm::view::StormsView, DeskError> {
        self.ask(Input::Storms).await
    }
    /// Supervised equipment with a fault, longest-standing first.
    pub async fn equipment_faults(&self) -> Result<Vec<EquipmentFault>, DeskError> {
        self.ask(Input::EquipmentFaults).await
    }
    /// Puts equipment under supervision from now (known equipment keeps its history).
    pub async fn watch(
        &self,
        equipment: Vec<(Equipment, Option<LiftId>)>,
    ) -> Result<(), DeskError> {
        self.tx
            .send(Input::Watch(equipment))
            .await
            .map_err(|_| DeskError::Stopped)
    }
    /// The live fixes the desk pages from: `unit`'s, or every unit's that has one.
    pub async fn fixes(&self, unit: Option<UnitId>) -> Result<Vec<(UnitId, Fix)>, DeskError> {
        self.ask(|reply| Input::Fixes(unit, reply)).await
    }
    /// Hands registry edits of units to the desk.
    pub async fn register_units(&self, units: Vec<Unit>) -> Result<(), DeskError> {
        self.tx
            .send(Input::Units(units))
            .await
            .map_err(|_| DeskError::Stopped)
    }
    /// The live feed of applied events.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.feed.subscribe()
    }
    /// The console feed: each committed event with its log sequence and its incident's board
    /// row after the step. Rows are made only while someone subscribes.
    pub fn subscribe_committed(&self) -> broadcast::Receiver<Arc<Committed>> {
        self.live.subscribe()
    }
    /// The open incidents (or the named ones, in any state) as board rows, with the log
    /// sequence they stand at.
    pub async fn board(&self, ids: Option<Vec<IncidentId>>) -> Result<Board, DeskError> {
        self.ask(|reply| Input::Board(ids, reply)).await
    }
    /// Makes the desk decide with `state` (its node took the lease and rebuilt from the log).
    pub async fn promote(&self, state: DeskState) -> Result<(), DeskError> {
        self.ask(|reply| Input::Promote(Box::new(state), reply))
            .await
    }
    /// Makes the desk stop deciding at once (its node lost the lease); it refuses commands and
    /// fires nothing until [`Self::demote`].
    pub async fn stand_down(&self) -> Result<(), DeskError> {
        self.ask(Input::StandDown).await
    }
    /// Makes the desk a standby's mirror of `state`, following the log.
    pub async fn demote(&self, state: DeskState, follower: Follower) -> Result<(), DeskError> {
        self.ask(|reply| Input::Demote(Box::new(state), follower, reply))
            .await
    }
    /// Counts the times the log refused the desk's append because another node held the
    /// lease: each time the desk has stood down and waits to be made a standby.
    pub fn fenced(&self) -> tokio::sync::watch::Receiver<u64> {
        self.fenced.clone()
    }
}
