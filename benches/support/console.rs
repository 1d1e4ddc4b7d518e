//! Shared by the load benchmarks (included with `#[path]`): a console as a client of the live
//! feed. It loads `GET /api/v1/board`, follows `GET /api/v1/feed` (Server-Sent Events over a
//! streaming reqwest response) from the board's sequence, reads every frame, keeps the board
//! as the console page does (rows by incident, a row applied when its sequence is newer,
//! closed / cancelled / false alarms off the board, `rows` after a replay, a reload on
//! `reset`) and notes when each incident's `incident_opened` frame arrived.
//!
//! The consoles run on a runtime of their own (threads named `bench-console`), not on the one
//! the in-process server's desk runs on: a console is a browser on another machine, and fifty
//! of them reading on the desk's runtime would queue the desk behind their parsing. They
//! still share the machine's cores; [`console_cpu_secs`] tells how much they took.
#![allow(dead_code)] // each benchmark uses its own subset

use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The runtime the consoles run on (two threads, made at first use, kept to the end).
fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("bench-console")
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

/// CPU seconds the consoles' threads have used (user + system).
pub fn console_cpu_secs() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return f64::NAN;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("stat")).ok())
        .filter(|stat| stat.contains("(bench-console)"))
        .map(|stat| {
            let after = stat.rsplit_once(')').map_or("", |(_, a)| a);
            let f: Vec<f64> = after
                .split_whitespace()
                .map(|x| x.parse().unwrap_or(0.0))
                .collect();
            // utime and stime (fields 14 and 15), clock ticks of 1/100 s.
            (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / 100.0
        })
        .sum()
}

/// The operator token the consoles sign in with.
pub const OPERATOR: &str = "bench-operator-token";

/// Stores [`OPERATOR`] as an operator token.
pub async fn operator_token(store: &dyn liftrescue::store::Store) {
    let hash = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(OPERATOR.as_bytes()))
    };
    store
        .put_token(&hash, liftrescue::store::Role::Operator, None, "bench")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

#[derive(Deserialize)]
struct LogData {
    seq: i64,
    event: EventData,
    row: Option<RowData>,
}

#[derive(Deserialize)]
struct EventData {
    incident: Option<i64>,
    kind: KindData,
}

#[derive(Deserialize)]
struct KindData {
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct RowData {
    id: i64,
    status: String,
}

#[derive(Deserialize)]
struct RowsData {
    seq: i64,
    rows: Vec<RowData>,
}

#[derive(Deserialize)]
struct BoardData {
    seq: i64,
    incidents: Vec<RowData>,
}

fn terminal(status: &str) -> bool {
    matches!(status, "closed" | "cancelled" | "false_alarm")
}

/// What one console has seen.
#[derive(Default)]
pub struct Seen {
    /// The last log sequence it applied.
    pub last: i64,
    /// Rows by incident: the sequence and status of the newest row (terminal ones kept, so an
    /// older row arriving later cannot bring them back).
    pub rows: HashMap<i64, (i64, String)>,
    /// When each incident's `incident_opened` frame arrived.
    pub opened: HashMap<i64, (Instant, DateTime<Utc>)>,
    /// `log` frames read, and bytes.
    pub frames: u64,
    /// Bytes read.
    pub bytes: u64,
    /// `rows` frames (the server replayed from the log: the console had fallen behind).
    pub replays: u64,
    /// `reset` frames (too far behind: the board reloaded).
    pub resets: u64,
    /// Why the stream ended, if it did.
    pub ended: Option<String>,
}

impl Seen {
    fn apply(&mut self, seq: i64, row: RowData) {
        match self.rows.get_mut(&row.id) {
            Some((at, _)) if *at >= seq => {}
            Some(slot) => *slot = (seq, row.status),
            None => {
                self.rows.insert(row.id, (seq, row.status));
            }
        }
    }

    /// The board: open incidents and their status.
    pub fn board(&self) -> BTreeMap<i64, String> {
        self.rows
            .iter()
            .filter(|(_, (_, s))| !terminal(s))
            .map(|(id, (_, s))| (*id, s.clone()))
            .collect()
    }
}

/// A console following the feed on its own task.
pub struct Console {
    /// What it has seen so far.
    pub seen: Arc<Mutex<Seen>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Console {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The board (`GET /api/v1/board`): its sequence and rows.
pub async fn board(base: &str, client: &reqwest::Client) -> (i64, BTreeMap<i64, String>) {
    let b: BoardData = client
        .get(format!("{base}/api/v1/board"))
        .bearer_auth(OPERATOR)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .unwrap_or_else(|e| panic!("board: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("board: {e}"));
    (
        b.seq,
        b.incidents.into_iter().map(|r| (r.id, r.status)).collect(),
    )
}

impl Console {
    /// Loads the board, opens the feed from its sequence (its own connection), and follows it
    /// on the consoles' runtime; returns once the `hello` frame arrived.
    pub async fn connect(base: &str) -> Console {
        runtime()
            .spawn(Self::open(base.to_owned()))
            .await
            .unwrap_or_else(|e| panic!("console: {e}"))
    }

    async fn open(base: String) -> Console {
        let base = base.as_str();
        let client = reqwest::Client::new();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let (seq, rows) = board(base, &client).await;
        {
            let mut s = lock(&seen);
            s.last = seq;
            s.rows = rows.into_iter().map(|(id, st)| (id, (seq, st))).collect();
        }
        let response = client
            .get(format!("{base}/api/v1/feed"))
            .bearer_auth(OPERATOR)
            .header("Last-Event-ID", seq.to_string())
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .unwrap_or_else(|e| panic!("feed: {e}"));
        let (hello, said) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(follow(
            response,
            seen.clone(),
            base.to_owned(),
            client,
            hello,
        ));
        tokio::time::timeout(Duration::from_secs(10), said)
            .await
            .unwrap_or_else(|_| panic!("no hello frame within 10 s"))
            .unwrap_or_else(|_| panic!("the feed ended before its hello frame"));
        Console { seen, task }
    }

    /// The last sequence applied.
    pub fn last(&self) -> i64 {
        lock(&self.seen).last
    }
}

/// The seen state, even if a reader panicked holding it.
pub fn lock(seen: &Mutex<Seen>) -> std::sync::MutexGuard<'_, Seen> {
    seen.lock().unwrap_or_else(|p| p.into_inner())
}

async fn follow(
    mut response: reqwest::Response,
    seen: Arc<Mutex<Seen>>,
    base: String,
    client: reqwest::Client,
    hello: tokio::sync::oneshot::Sender<()>,
) {
    let mut hello = Some(hello);
    let mut buf: Vec<u8> = Vec::new();
    let mut scanned: usize = 0;
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => {
                lock(&seen).ended = Some("the server closed the stream".into());
                return;
            }
            Err(e) => {
                lock(&seen).ended = Some(format!("read: {e}"));
                return;
            }
        };
        let arrived = (Instant::now(), Utc::now());
        buf.extend_from_slice(&chunk);
        let mut reload = false;
        let mut start = 0;
        {
            let mut s = lock(&seen);
            s.bytes += chunk.len() as u64;
            // Frames end with an empty line; search only what came new (and its last byte
            // before).
            let mut from = scanned.saturating_sub(1);
            while let Some(end) = find_blank(&buf[from..]) {
                let frame = &buf[start..from + end];
                start = from + end + 2;
                from = start;
                match on_frame(&mut s, frame, arrived) {
                    Some("hello") => {
                        if let Some(h) = hello.take() {
                            let _ = h.send(());
                        }
                    }
                    Some("reset") => reload = true,
                    _ => {}
                }
            }
        }
        buf.drain(..start);
        scanned = buf.len();
        if reload {
            let (seq, rows) = board(&base, &client).await;
            let mut s = lock(&seen);
            s.last = seq;
            s.rows = rows.into_iter().map(|(id, st)| (id, (seq, st))).collect();
        }
    }
}

/// Where the first "\n\n" starts.
fn find_blank(bytes: &[u8]) -> Option<usize> {
    let mut at = 0;
    while let Some(n) = bytes[at..].iter().position(|b| *b == b'\n') {
        let i = at + n;
        if bytes.get(i + 1) == Some(&b'\n') {
            return Some(i);
        }
        at = i + 1;
    }
    None
}

/// Applies one frame; its event name.
fn on_frame<'a>(
    s: &mut Seen,
    frame: &'a [u8],
    arrived: (Instant, DateTime<Utc>),
) -> Option<&'a str> {
    let text = std::str::from_utf8(frame).ok()?;
    let (mut event, mut data) = (None, None);
    for line in text.lines() {
        if let Some(e) = line.strip_prefix("event: ") {
            event = Some(e);
        } else if let Some(d) = line.strip_prefix("data: ") {
            data = Some(d);
        }
    }
    match (event?, data) {
        ("log", Some(d)) => {
            let Ok(log) = serde_json::from_str::<LogData>(d) else {
                s.ended = Some(format!("a log frame it could not read: {d:.200}"));
                return event;
            };
            s.frames += 1;
            if log.event.kind.kind == "incident_opened"
                && let Some(id) = log.event.incident
            {
                s.opened.entry(id).or_insert(arrived);
            }
            if let Some(row) = log.row {
                s.apply(log.seq, row);
            }
            s.last = s.last.max(log.seq);
        }
        ("rows", Some(d)) => {
            if let Ok(rows) = serde_json::from_str::<RowsData>(d) {
                s.replays += 1;
                for row in rows.rows {
                    s.apply(rows.seq, row);
                }
            }
        }
        ("reset", _) => s.resets += 1,
        _ => {}
    }
    event
}

/// How the consoles' boards compare with the server's.
pub struct BoardCheck {
    /// The server's board: its sequence and open incidents.
    pub seq: i64,
    /// Open incidents on the server's board.
    pub rows: usize,
    /// Consoles whose board is the server's (same incidents, same statuses).
    pub same: usize,
    /// What differs, one line per console that differs.
    pub mismatches: Vec<String>,
}

/// Compares every console's board with `GET /api/v1/board` at the same log sequence: reads the
/// board, waits until every console has applied up to its sequence, and compares when none
/// has gone past it (else reads the board again; the desk may still be logging), at most
/// until `deadline`.
pub async fn check_boards(base: &str, consoles: &[Console], deadline: Duration) -> BoardCheck {
    let client = reqwest::Client::new();
    let until = Instant::now() + deadline;
    loop {
        let (seq, server) = board(base, &client).await;
        while Instant::now() < until && consoles.iter().any(|c| c.last() < seq) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let boards: Vec<(i64, BTreeMap<i64, String>, Option<String>)> = consoles
            .iter()
            .map(|c| {
                let s = lock(&c.seen);
                (s.last, s.board(), s.ended.clone())
            })
            .collect();
        if boards.iter().any(|(last, _, _)| *last != seq) && Instant::now() < until {
            continue; // moved on (or not there yet): read the board again
        }
        let mut check = BoardCheck {
            seq,
            rows: server.len(),
            same: 0,
            mismatches: vec![],
        };
        for (n, (last, mine, ended)) in boards.iter().enumerate() {
            if *last == seq && *mine == server {
                check.same += 1;
                continue;
            }
            let missing: Vec<_> = server.keys().filter(|k| !mine.contains_key(k)).collect();
            let extra: Vec<_> = mine.keys().filter(|k| !server.contains_key(k)).collect();
            let status: Vec<_> = server
                .iter()
                .filter_map(|(k, v)| mine.get(k).filter(|m| *m != v).map(|m| (k, m, v)))
                .collect();
            check.mismatches.push(format!(
                "console {n}: at sequence {last} (board at {seq}); {} missing (e.g. {:?}), {} extra (e.g. {:?}), {} with another status (e.g. {:?}){}",
                missing.len(),
                &missing[..missing.len().min(3)],
                extra.len(),
                &extra[..extra.len().min(3)],
                status.len(),
                &status[..status.len().min(3)],
                ended.as_deref().map(|e| format!("; stream ended: {e}")).unwrap_or_default()
            ));
        }
        return check;
    }
}
