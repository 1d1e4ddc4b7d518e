//! Commands a standby takes, decided by the holder: the standby writes a `desk_commands` row
//! and waits for its answer; the holder's [`serve`] takes waiting rows (`FOR UPDATE SKIP
//! LOCKED`, so a row is taken once however many nodes look), submits each to its desk and
//! writes the answer. PostgreSQL's `NOTIFY` wakes both sides ([`Wakes`]); each also looks every
//! [`POLL`] in case a notification was lost with a connection.
//!
//! A command that appends events is answered in the append's transaction (the answer counts
//! exactly when its events do), so a holder that dies at any moment leaves it either decided
//! and answered, or neither; a row taken but not answered is taken again by the next holder.

use super::Node;
use crate::desk::{DeskError, DeskHandle, Forward, Forwarded, RemoteRejection};
use crate::dispatch::Command;
use crate::domain::{Event, Fix, Unit, UnitId, keep_newest};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, mpsc};

/// The longest either side waits without looking at the table.
const POLL: Duration = Duration::from_millis(250);

/// Rows taken per round.
const BATCH: i64 = 100;

/// How often the holder deletes old answered rows.
const CLEAN_EVERY: Duration = Duration::from_secs(60);

/// Answered rows older than this are deleted by the holder.
const KEEP: &str = "10 minutes";

/// What a standby asks of the holder.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Request {
    Command {
        command: Command,
    },
    /// One live position (rows written before positions were forwarded in batches).
    Position {
        unit: UnitId,
        fix: Fix,
    },
    /// The live positions that came while the standby's last row was written, each unit's
    /// newest.
    Positions {
        fixes: Vec<(UnitId, Fix)>,
    },
    Units {
        units: Vec<Unit>,
    },
}

/// What the holder answers.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
enum Answer {
    Events(Vec<Event>),
    Rejected(RemoteRejection),
    Failed(String),
}

impl Answer {
    fn of(outcome: Result<Vec<Event>, DeskError>) -> Self {
        match outcome {
            Ok(events) => Answer::Events(events),
            Err(DeskError::Rejected(r)) => Answer::Rejected((&r).into()),
            Err(DeskError::Remote(r)) => Answer::Rejected(r),
            Err(e) => Answer::Failed(e.to_string()),
        }
    }

    fn outcome(self) -> Result<Vec<Event>, DeskError> {
        match self {
            Answer::Events(events) => Ok(events),
            Answer::Rejected(r) => Err(DeskError::Remote(r)),
            Answer::Failed(why) => Err(DeskError::Log(format!("the holder: {why}"))),
        }
    }
}

/// Wakes for forwarded commands (the holder) and their answers (the standbys).
#[derive(Debug, Default)]
pub struct Wakes {
    /// A command was written for this node's region.
    pub commands: Notify,
    /// The commands this node waits for, each woken when its answer is written.
    answers: std::sync::Mutex<std::collections::HashMap<i64, Arc<Notify>>>,
    /// A standby committed alarms to the inbox.
    pub inbox: Notify,
}

impl Wakes {
    /// Listens on PostgreSQL's notifications until the pool closes (reconnecting as needed).
    pub fn listen(pool: PgPool, region: String) -> Arc<Wakes> {
        let wakes = Arc::new(Wakes::default());
        let w = wakes.clone();
        tokio::spawn(async move {
            loop {
                let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(l) => l,
                    Err(_) if pool.is_closed() => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot listen for forwarded commands; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                if let Err(e) = listener
                    .listen_all([
                        "liftrescue_commands",
                        "liftrescue_answers",
                        "liftrescue_inbox",
                    ])
                    .await
                {
                    tracing::warn!(error = %e, "cannot listen for forwarded commands; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                loop {
                    match listener.recv().await {
                        Ok(n) if n.channel() == "liftrescue_answers" => {
                            if let Ok(id) = n.payload().parse() {
                                w.answered(id);
                            }
                        }
                        // A region's notice, or one without (a node of an older build).
                        Ok(n) if n.channel() == "liftrescue_inbox" => {
                            if n.payload().is_empty() || n.payload() == region {
                                w.inbox.notify_one();
                            }
                        }
                        Ok(n) if n.payload() == region => {
                            w.commands.notify_one();
                        }
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
                // Whatever was notified while reconnecting is found by the next look.
                w.answered_all();
                w.commands.notify_one();
                w.inbox.notify_one();
            }
        });
        wakes
    }
}

impl Wakes {
    fn waiters(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<i64, Arc<Notify>>> {
        self.answers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for the answer to command `id` from now on (until [`Self::forget`]).
    fn expect(&self, id: i64) -> Arc<Notify> {
        self.waiters().entry(id).or_default().clone()
    }

    fn forget(&self, id: i64) {
        self.waiters().remove(&id);
    }

    fn answered(&self, id: i64) {
        if let Some(n) = self.waiters().get(&id) {
            n.notify_one();
        }
    }

    /// Notifications may have been lost (the listener reconnected): every waiter looks.
    fn answered_all(&self) {
        for n in self.waiters().values() {
            n.notify_one();
        }
    }
}

/// Tells the holder that this standby committed alarms: `NOTIFY liftrescue_inbox` with the
/// region (the channel is the database's: other regions' holders let it pass), at most once
/// per [`INBOX_NOTICE`] however many alarms came meanwhile.
pub fn inbox_notice(pool: PgPool, region: String) -> Arc<dyn Fn() + Send + Sync> {
    let pending = Arc::new(Notify::new());
    let p = pending.clone();
    tokio::spawn(async move {
        loop {
            p.notified().await;
            let notice = sqlx::query("SELECT pg_notify('liftrescue_inbox', $1)").bind(&region);
            if let Err(e) = notice.execute(&pool).await {
                if pool.is_closed() {
                    return;
                }
                tracing::warn!(error = %e, "could not tell the holder of committed alarms");
            }
            tokio::time::sleep(INBOX_NOTICE).await;
        }
    });
    Arc::new(move || pending.notify_one())
}

/// The shortest gap between two inbox notices of a standby.
const INBOX_NOTICE: Duration = Duration::from_millis(20);

/// Writes a request for `node`'s region's holder; answers its row.
async fn write(pool: &PgPool, node: &Node, request: &Request) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO desk_commands (region, from_node, request) VALUES ($1, $2, $3) \
         RETURNING id",
    )
    .bind(&node.region)
    .bind(&node.instance)
    .bind(sqlx::types::Json(request))
    .fetch_one(pool)
    .await
}

/// Forwards the live positions a standby takes as one row per batch: whatever came while the
/// last row was being written, each unit's newest fix (crews report every few seconds each, so
/// a row per fix would be hundreds a second). Ends when the forwarder is dropped.
async fn forward_positions(
    pool: PgPool,
    node: Node,
    mut queued: mpsc::UnboundedReceiver<(UnitId, Fix)>,
) {
    while let Some((unit, fix)) = queued.recv().await {
        let mut newest = HashMap::from([(unit, fix)]);
        while let Ok((unit, fix)) = queued.try_recv() {
            keep_newest(&mut newest, unit, fix);
        }
        let mut fixes: Vec<(UnitId, Fix)> = newest.into_iter().collect();
        fixes.sort_by_key(|(unit, _)| *unit);
        let n = fixes.len();
        if let Err(e) = write(&pool, &node, &Request::Positions { fixes }).await {
            tracing::warn!(error = %e, fixes = n, "could not forward live positions to the desk's holder");
        }
    }
}

/// A standby's door to the holder.
#[derive(Debug, Clone)]
pub struct Forwarder {
    pool: PgPool,
    node: Node,
    wakes: Arc<Wakes>,
    /// How long a caller waits for the holder's answer.
    timeout: Duration,
    /// Live positions, forwarded in batches ([`forward_positions`]).
    positions: mpsc::UnboundedSender<(UnitId, Fix)>,
}

impl Forwarder {
    /// Forwards for `node` through `pool`, answering callers within `timeout`.
    pub fn new(pool: PgPool, node: Node, wakes: Arc<Wakes>, timeout: Duration) -> Self {
        let (positions, queued) = mpsc::unbounded_channel();
        tokio::spawn(forward_positions(pool.clone(), node.clone(), queued));
        Forwarder {
            pool,
            node,
            wakes,
            timeout,
            positions,
        }
    }

    async fn write(&self, request: &Request) -> Result<i64, sqlx::Error> {
        write(&self.pool, &self.node, request).await
    }

    /// Writes `request` without waiting for its answer (a position, a registry edit).
    fn send(&self, request: Request) {
        let me = self.clone();
        tokio::spawn(async move {
            if let Err(e) = me.write(&request).await {
                tracing::warn!(error = %e, "could not forward to the desk's holder");
            }
        });
    }

    async fn ask(self, command: Command) -> Result<Vec<Event>, DeskError> {
        let id = self
            .write(&Request::Command { command })
            .await
            .map_err(|e| DeskError::Log(format!("could not forward to the desk's holder: {e}")))?;
        let woken = self.wakes.expect(id);
        let outcome = self.answer(id, &woken).await;
        self.wakes.forget(id);
        outcome
    }

    /// Waits for the answer to command `id` (woken by its notification, looking every
    /// [`POLL`] anyway).
    async fn answer(&self, id: i64, woken: &Notify) -> Result<Vec<Event>, DeskError> {
        let until = tokio::time::Instant::now() + self.timeout;
        loop {
            // A failed look is looked again: the command may be done meanwhile.
            let answer: Option<sqlx::types::Json<Answer>> = sqlx::query_scalar(
                "SELECT answer FROM desk_commands WHERE id = $1 AND answered_at IS NOT NULL",
            )
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .unwrap_or_else(|e| {
                tracing::debug!(error = %e, id, "the holder's answer could not be read yet");
                None
            });
            if let Some(answer) = answer {
                return answer.0.outcome();
            }
            let now = tokio::time::Instant::now();
            if now >= until {
                // Not taken yet: withdrawn, so it is never done behind the caller's back.
                let withdrawn =
                    sqlx::query("DELETE FROM desk_commands WHERE id = $1 AND taken_by IS NULL")
                        .bind(id)
                        .execute(&self.pool)
                        .await
                        .is_ok_and(|r| r.rows_affected() == 1);
                if withdrawn {
                    return Err(DeskError::Log(format!(
                        "the desk's holder did not take the command within {}; it was withdrawn, not done",
                        humantime::format_duration(self.timeout)
                    )));
                }
                if now >= until + self.timeout {
                    return Err(DeskError::Log(
                        "the desk's holder took the command but its answer did not come; look at the incident before repeating it".into(),
                    ));
                }
            }
            let _ = tokio::time::timeout(POLL, woken.notified()).await;
        }
    }
}

impl Forward for Forwarder {
    fn command(&self, command: Command) -> Forwarded {
        Box::pin(self.clone().ask(command))
    }

    fn position(&self, unit: UnitId, fix: Fix) {
        let _ = self.positions.send((unit, fix));
    }

    fn units(&self, units: Vec<Unit>) {
        self.send(Request::Units { units });
    }
}

/// The holder's side: takes forwarded requests for its region, has its desk decide them and
/// writes the answers, until aborted (the node stood down or stops).
pub async fn serve(pool: PgPool, node: Node, desk: DeskHandle, wakes: Arc<Wakes>) {
    // Rows this process took before and did not answer (it stood down meanwhile) are taken
    // again like anyone's.
    let _ = sqlx::query(
        "UPDATE desk_commands SET taken_by = NULL WHERE taken_by = $1 AND answered_at IS NULL",
    )
    .bind(&node.instance)
    .execute(&pool)
    .await;
    let mut cleaned = tokio::time::Instant::now();
    loop {
        let woken = wakes.commands.notified();
        match take(&pool, &node).await {
            Ok(rows) if !rows.is_empty() => {
                for (id, request) in rows {
                    // A command whose events were appended was answered with them, in the
                    // append's transaction; the rest are answered here (an answer already
                    // written stays).
                    let answer = match decide(&desk, id, request).await {
                        Decided::Answered => continue,
                        Decided::Done => {
                            let _ = sqlx::query("DELETE FROM desk_commands WHERE id = $1")
                                .bind(id)
                                .execute(&pool)
                                .await;
                            continue;
                        }
                        Decided::Answer(answer) => answer,
                        // The desk stood down or the log refused: nothing was done; the row
                        // goes back for the holder (this node again, or the next).
                        Decided::Untaken => {
                            let _ = sqlx::query(
                                "UPDATE desk_commands SET taken_by = NULL \
                                 WHERE id = $1 AND answered_at IS NULL",
                            )
                            .bind(id)
                            .execute(&pool)
                            .await;
                            // Not at once again: whatever refused it needs a moment.
                            tokio::time::sleep(POLL).await;
                            continue;
                        }
                    };
                    if let Err(e) = sqlx::query(crate::store::sql::ANSWER_COMMAND)
                        .bind(id)
                        .bind(sqlx::types::Json(&answer))
                        .execute(&pool)
                        .await
                    {
                        tracing::warn!(error = %e, id, "a forwarded command's answer was not written");
                    }
                }
                continue;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "forwarded commands not read"),
        }
        if cleaned.elapsed() >= CLEAN_EVERY {
            cleaned = tokio::time::Instant::now();
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM desk_commands WHERE answered_at < now() - interval '{KEEP}'"
            )))
            .execute(&pool)
            .await;
        }
        let _ = tokio::time::timeout(POLL, woken).await;
    }
}

/// Takes the waiting requests of the region, while this process holds its lease: those
/// nobody took, and those a holder took but did not answer (it died).
async fn take(pool: &PgPool, node: &Node) -> Result<Vec<(i64, Request)>, sqlx::Error> {
    let rows: Vec<(i64, sqlx::types::Json<Request>)> = sqlx::query_as(
        "UPDATE desk_commands SET taken_by = $2, taken_at = now() WHERE id IN ( \
           SELECT id FROM desk_commands WHERE region = $1 AND answered_at IS NULL \
             AND taken_by IS DISTINCT FROM $2 \
             AND EXISTS (SELECT 1 FROM desk_leases l WHERE l.region = $1 \
               AND l.holder = $2 AND l.expires_at > now()) \
           ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) \
         RETURNING id, request",
    )
    .bind(&node.region)
    .bind(&node.instance)
    .bind(BATCH)
    .fetch_all(pool)
    .await?;
    let mut rows: Vec<(i64, Request)> = rows.into_iter().map(|(id, r)| (id, r.0)).collect();
    rows.sort_by_key(|(id, _)| *id);
    Ok(rows)
}

/// What became of a request.
enum Decided {
    /// Its events were appended with its answer.
    Answered,
    /// Its answer, to write.
    Answer(Answer),
    /// Nothing was done (the desk stood down, the log refused): to be taken again.
    Untaken,
    /// Handed over with nobody waiting for an answer (a position, unit edits): the row goes.
    Done,
}

/// Has the desk decide a request.
async fn decide(desk: &DeskHandle, id: i64, request: Request) -> Decided {
    Decided::Answer(match request {
        Request::Command { command } => match desk.submit_forwarded(command, id).await {
            Ok(events) if !events.is_empty() => return Decided::Answered,
            Err(DeskError::Standby | DeskError::Log(_) | DeskError::Stopped) => {
                return Decided::Untaken;
            }
            outcome => Answer::of(outcome),
        },
        // Nobody waits for these: handed to the desk, the row is done with.
        Request::Position { unit, fix } => {
            if let Err(e) = desk.position(unit, fix).await {
                tracing::warn!(error = %e, "a forwarded position was not taken");
            }
            return Decided::Done;
        }
        Request::Positions { fixes } => {
            for (unit, fix) in fixes {
                if let Err(e) = desk.position(unit, fix).await {
                    tracing::warn!(error = %e, "a forwarded position was not taken");
                }
            }
            return Decided::Done;
        }
        Request::Units { units } => {
            if let Err(e) = desk.register_units(units).await {
                tracing::warn!(error = %e, "forwarded unit edits were not taken");
            }
            return Decided::Done;
        }
    })
}

#[cfg(test)]
mod tests;
