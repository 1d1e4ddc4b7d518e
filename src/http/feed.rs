//! The console's board and live feed (roles `operator` and `investigator`).
//!
//! A console loads `GET /api/v1/board` (the open incidents as rows, and the log sequence they
//! stand at), then follows `GET /api/v1/feed` from that sequence: a Server-Sent Events stream
//! of every committed event in log order, each with its log sequence as the event `id`, so a
//! reconnect with `Last-Event-ID` resumes exactly after the last event it got. Frames:
//!
//! - `event: hello` — first, `{"seq": head, "at": server time}` (the console corrects its
//!   clock for countdowns with `at`);
//! - `event: log`, `id: N` — `{"seq", "event", "row"}`: the event as the log holds it and,
//!   while live, its incident's board row after the step (`null` when replayed from the log);
//! - `event: rows` — `{"seq", "rows"}`: after a replay, the current rows of the incidents it
//!   touched;
//! - `event: reset` — `{"seq", "reason"}`: the console is more than [`REPLAY_MAX`] events
//!   behind (a crew [`CREW_REPLAY_MAX`]); reload the board (the crew: its assignments) and
//!   follow from its sequence;
//! - `: ping` comments every [`PING_EVERY`], so silence means a lost connection.
//!
//! When the node stops, every stream ends at once (the consoles reconnect); a stop does not
//! wait for them.
//!
//! A stream lasts only as long as the token it was opened with: at every ping it looks the
//! token up again in the database ([`Caller::still_valid`], past the node's 30 s token cache),
//! and ends when the token is gone (an admin removed it: there is no other revocation, and
//! tokens do not expire), whichever node it was removed on. The reconnect is then refused
//! with 401, and the page says it is signed out. A store that does not answer leaves the
//! stream open until a ping finds it answering: the stream itself reads the desk, not the
//! store, and a database outage should not cut every console and phone off at once.
//!
//! A slow console never slows the desk: the desk's broadcast does not wait, and a console that
//! fell out of it catches up from the log.
//!
//! A crew's phone follows `GET /api/v1/crew/feed`: the same stream (hello, resume from the log,
//! reset, pings), filtered by [`CrewScope`] to what concerns its own unit. In place of `log`
//! and `rows` it gets `event: crew`, `id: N` — `{"seq", "incident", "type"}`, the event's type
//! and incident only (the phone reads its assignments again). Its pings carry `id:` the last
//! sequence looked at, so a phone that heard nothing for hours resumes from there, not from
//! its last page.

mod frames;

use super::error::ApiError;
use crate::desk::{Board, Committed};
use crate::domain::{IncidentId, UnitId};
use crate::feed::crew::CrewScope;
use crate::feed::{FeedError, FeedSource};
use crate::http::AppState;
use crate::http::auth::Caller;
use crate::store::Store;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use frames::{Frames, frame_bytes, live_frame, log_frame};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

/// The most events a reconnecting console is replayed; further behind, it reloads the board.
pub const REPLAY_MAX: i64 = 20_000;
/// The most events a reconnecting crew is replayed; further behind (a phone back after hours,
/// or every phone at once after a failover in a storm), it is told to reset and reads its
/// assignments, which it does on every connection anyway, rather than have its replay ask the
/// desk about hundreds of incidents.
pub const CREW_REPLAY_MAX: i64 = 1_000;
/// How often an idle stream says it is alive (and looks its token up again).
pub const PING_EVERY: Duration = Duration::from_secs(10);

/// How long a ping waits for its token's look-up before leaving the stream open until the next.
const TOKEN_LOOK: Duration = Duration::from_secs(1);
/// Log rows read per page while replaying.
const REPLAY_PAGE: i64 = 500;
/// Frames a stream holds for a console that reads slowly before it falls back to the log.
const FRAMES_QUEUED: usize = 256;
/// Most incident ids one board request may name.
const IDS_MAX: usize = 500;
/// `GET /api/v1/board` query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// Only these incidents, in any state (comma-separated ids, at most 500).
    #[param(value_type = Option<String>, pattern = "^[1-9][0-9]{0,17}(,[1-9][0-9]{0,17}){0,499}$")]
    pub ids: Option<String>,
}

impl BoardQuery {
    fn ids(&self) -> Result<Option<Vec<IncidentId>>, ApiError> {
        let Some(text) = self.ids.as_deref() else {
            return Ok(None);
        };
        let ids: Vec<IncidentId> = text
            .split(',')
            .map(|s| match s.trim().parse::<i64>() {
                Ok(n) if n >= 1 => Ok(IncidentId(n)),
                _ => Err(ApiError::invalid(
                    "ids",
                    format!("`{s}` is not an incident id (a whole number from 1)"),
                )),
            })
            .collect::<Result<_, _>>()?;
        if ids.len() > IDS_MAX {
            return Err(ApiError::invalid(
                "ids",
                format!("at most {IDS_MAX} incidents at once ({} given)", ids.len()),
            ));
        }
        Ok(Some(ids))
    }
}

/// `GET /api/v1/board`: the open incidents (or the named ones) as board rows.
pub async fn board(
    state: web::Data<AppState>,
    query: web::Query<BoardQuery>,
) -> Result<HttpResponse, ApiError> {
    let ids = query.ids()?;
    let board = within(&state, state.feed.board(ids)).await?;
    Ok(HttpResponse::Ok().json(board))
}

/// `GET /api/v1/feed`: the live feed, from `Last-Event-ID` when given.
pub async fn feed(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    open(&state, caller, &req, None).await
}

/// `GET /api/v1/crew/feed`: the live feed of what concerns the caller's unit, from
/// `Last-Event-ID` when given.
pub async fn crew_feed(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let unit = caller.crew_unit()?;
    open(&state, caller, &req, Some(unit)).await
}

/// Opens a stream for `caller`, while its token lasts: every event for a console, or
/// `unit`'s for a crew.
async fn open(
    state: &AppState,
    caller: Caller,
    req: &HttpRequest,
    unit: Option<UnitId>,
) -> Result<HttpResponse, ApiError> {
    let after = last_event_id(req)?;
    let source = state.feed.clone();
    // Subscribe before reading the head: whatever commits after the head arrives live.
    let live = source.subscribe();
    let head = within(state, source.head()).await?;
    if let Some(after) = after
        && after > head
    {
        return Err(bad_id(format!(
            "event {after} is not in the log (the log ends at {head})"
        )));
    }
    // Read after the head: an incident paged since is held here, or its page arrives live. A
    // new crew stream starts from where the desk's state is (on a standby it may lag the log):
    // what the desk has not applied yet is replayed through the filter.
    let (scope, start) = match unit {
        Some(unit) => {
            let seen = super::within_deadline(state, state.desk.board(Some(Vec::new()))).await?;
            let held = super::within_deadline(state, state.desk.assignments(unit)).await?;
            let scope = CrewScope::new(unit, held.into_iter().map(|v| v.id));
            (Some(scope), seen.seq.min(head))
        }
        None => (None, head),
    };
    let (tx, rx) = mpsc::channel(FRAMES_QUEUED);
    let store = state.store.clone();
    tokio::spawn(async move {
        let stream = Stream {
            source,
            tx,
            last: after.unwrap_or(start),
            scope,
            caller,
            store,
        };
        if let Err(e) = stream.run(head, live).await {
            tracing::debug!(error = %e, "a live feed ended");
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        // Not compressed: a compressor would hold frames back until its buffer fills.
        .insert_header(actix_web::http::header::ContentEncoding::Identity)
        .body(Frames(rx)))
}

fn last_event_id(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get("Last-Event-ID") else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("").trim();
    match text.parse::<i64>() {
        Ok(n) if n >= 0 => Ok(Some(n)),
        _ => Err(bad_id(format!(
            "`{}` is not an event id (a log sequence, a whole number from 0)",
            text.chars().take(40).collect::<String>()
        ))),
    }
}

fn bad_id(message: String) -> ApiError {
    ApiError::BadHeader {
        header: "Last-Event-ID",
        message,
    }
}

async fn within<T>(
    state: &AppState,
    call: impl Future<Output = Result<T, FeedError>>,
) -> Result<T, ApiError> {
    let limit = state.settings.store.request_timeout;
    match tokio::time::timeout(limit, call).await {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(FeedError::Store(e))) => Err(e.into()),
        Ok(Err(FeedError::Desk(e))) => Err(e.into()),
        Err(_) => Err(crate::store::StoreError::TimedOut(limit).into()),
    }
}

/// Why a stream stopped.
#[derive(Debug, thiserror::Error)]
enum Stop {
    #[error("the console went away")]
    Gone,
    #[error(transparent)]
    Feed(#[from] FeedError),
}

/// One console's stream.
struct Stream {
    source: Arc<dyn FeedSource>,
    tx: mpsc::Sender<Bytes>,
    /// The last sequence the console has.
    last: i64,
    /// A crew's filter; `None` for a console, which gets every event.
    scope: Option<CrewScope>,
    /// Whose token the stream runs on, looked up again every ping.
    caller: Caller,
    /// Where the token is looked up.
    store: Arc<dyn Store>,
}

#[derive(Serialize)]
struct Hello {
    seq: i64,
    at: chrono::DateTime<chrono::Utc>,
}

#[derive(Serialize)]
struct Rows {
    seq: i64,
    rows: Vec<crate::dispatch::IncidentView>,
}

#[derive(Serialize)]
struct Reset {
    seq: i64,
    reason: String,
}

impl Stream {
    async fn run(
        mut self,
        head: i64,
        mut live: tokio::sync::broadcast::Receiver<Arc<Committed>>,
    ) -> Result<(), Stop> {
        let now = chrono::Utc::now();
        self.send("hello", None, &Hello { seq: head, at: now })
            .await?;
        let (most, who, what) = match self.scope {
            Some(_) => (CREW_REPLAY_MAX, "crew", "read the assignments"),
            None => (REPLAY_MAX, "console", "reload the board"),
        };
        if head - self.last > most {
            let reason = format!(
                "{} events missed, more than the {most} a {who} is replayed: {what}",
                head - self.last
            );
            self.send("reset", None, &Reset { seq: head, reason })
                .await?;
            self.last = head;
        } else {
            self.replay(head).await?;
        }
        let mut ping = tokio::time::interval(PING_EVERY);
        ping.tick().await;
        let mut closing = self.source.closing();
        loop {
            if *closing.borrow_and_update() {
                return Ok(());
            }
            tokio::select! {
                _ = closing.changed() => {}
                item = live.recv() => match item {
                    Ok(c) if c.seq <= self.last => {}
                    Ok(c) => {
                        if c.seq > self.last + 1 {
                            self.replay(c.seq - 1).await?;
                        }
                        self.deliver(&c, true).await?;
                    }
                    Err(RecvError::Lagged(_)) => {
                        let head = self.source.head().await?;
                        self.replay(head).await?;
                    }
                    Err(RecvError::Closed) => return Ok(()),
                },
                _ = ping.tick() => {
                    if !self.token_holds().await {
                        return Ok(());
                    }
                    self.frame(self.ping()).await?
                }
                _ = self.tx.closed() => return Err(Stop::Gone),
            }
        }
    }

    /// Sends the log's events after `self.last` up to `until`, then the touched rows.
    async fn replay(&mut self, until: i64) -> Result<(), Stop> {
        let mut touched = BTreeSet::new();
        while self.last < until {
            let page = self
                .source
                .since(self.last, REPLAY_PAGE.min(until - self.last))
                .await?;
            if page.is_empty() {
                break;
            }
            self.ask_desk(&page).await?;
            for c in &page {
                if self.scope.is_none() {
                    touched.extend(c.event.incident);
                }
                self.deliver(c, false).await?;
            }
        }
        if !touched.is_empty() {
            let Board { seq, incidents, .. } = self
                .source
                .board(Some(touched.into_iter().collect()))
                .await?;
            self.send(
                "rows",
                None,
                &Rows {
                    seq,
                    rows: incidents,
                },
            )
            .await?;
        }
        Ok(())
    }

    /// For a crew's replay: which of the page's incidents, not known as the unit's, show a page
    /// of it that it has not declined or missed (one query a page, and none when all are known).
    async fn ask_desk(&mut self, page: &[Committed]) -> Result<(), Stop> {
        let Some(scope) = &self.scope else {
            return Ok(());
        };
        let unknown = scope.unknown(page.iter().map(|c| &c.event));
        if unknown.is_empty() {
            return Ok(());
        }
        let unit = scope.unit();
        let board = self.source.board(Some(unknown)).await?;
        if let Some(scope) = &mut self.scope {
            for row in board.incidents {
                // As `CrewScope::admit` keeps them: a page declined or missed is not the unit's.
                let mut pages = row.steps.iter().flat_map(|s| &s.pages);
                if pages
                    .any(|p| p.unit == unit && !matches!(p.state.as_str(), "declined" | "missed"))
                {
                    scope.hold(row.id);
                }
            }
        }
        Ok(())
    }

    /// Sends `c` as a console's `log` frame, or as a crew's `crew` frame when it concerns the
    /// crew's unit; either way the stream has looked at it.
    async fn deliver(&mut self, c: &Committed, live: bool) -> Result<(), Stop> {
        let bytes = match &mut self.scope {
            None if live => Some(live_frame(c)?),
            None => Some(log_frame(c)?),
            Some(scope) => match scope.admit(c.seq, &c.event) {
                Some(news) => Some(frame_bytes("crew", Some(c.seq), &news)?),
                None => None,
            },
        };
        if let Some(bytes) = bytes {
            self.frame(bytes).await?;
        }
        self.last = c.seq;
        Ok(())
    }

    /// Whether the stream's token is still in the store; a store that does not answer (within
    /// [`TOKEN_LOOK`], so live events are not held up) leaves the stream open: the next ping
    /// asks again.
    async fn token_holds(&self) -> bool {
        let c = &self.caller;
        let looked = tokio::time::timeout(TOKEN_LOOK, c.still_valid(self.store.as_ref())).await;
        let Ok(looked) = looked else {
            tracing::warn!(
                token_id = c.token_id,
                "a live feed's token could not be looked up again in time"
            );
            return true;
        };
        match looked {
            Ok(true) => true,
            Ok(false) => {
                tracing::info!(
                    token_id = c.token_id,
                    unit = c.unit.map(|u| u.0),
                    "a live feed's token is gone: its stream ends"
                );
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, token_id = c.token_id, "could not look a live feed's token up again");
                true
            }
        }
    }

    /// A console's ping is a comment; a crew's also moves its `Last-Event-ID` past the events
    /// it was not sent.
    fn ping(&self) -> Bytes {
        match self.scope {
            None => Bytes::from_static(b": ping\n\n"),
            Some(_) => Bytes::from(format!("id: {}\n: ping\n\n", self.last)),
        }
    }

    async fn send(&self, event: &str, id: Option<i64>, data: &impl Serialize) -> Result<(), Stop> {
        self.frame(frame_bytes(event, id, data)?).await
    }

    async fn frame(&self, bytes: Bytes) -> Result<(), Stop> {
        self.tx.send(bytes).await.map_err(|_| Stop::Gone)
    }
}
