//! A Redis outage mid-stream, on a `redis-server` of the test's own: a standby keeps receiving
//! the holder's commits (from the log) while Redis is dead, and goes back to the stream when it
//! is started again on the same port; nothing missing, nothing twice, in order.

use super::*;
use std::process::{Child, Command, Stdio};

/// A loopback port nothing listens on (at the moment of asking).
pub(super) fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A `redis-server` without persistence on a port of its own; killed when dropped.
struct RedisServer {
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    async fn start() -> RedisServer {
        let mut server = RedisServer {
            port: free_port(),
            child: None,
        };
        server.restart().await;
        server
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts it (again, empty) on its port and waits until it answers.
    async fn restart(&mut self) {
        let port = self.port.to_string();
        let args = ["--port", &port, "--bind", "127.0.0.1", "--save", ""];
        let child = Command::new("redis-server")
            .args(args)
            .args(["--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run redis-server (Debian's redis-server package)");
        self.child = Some(child);
        let client = redis::Client::open(self.url()).unwrap();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while client.get_multiplexed_async_connection().await.is_err() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "redis-server never answered"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends it a signal (`STOP`: it hangs, its connections open; `CONT`: it goes on).
    fn signal(&self, name: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let status = Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status();
        assert!(status.unwrap().success(), "kill -{name} {pid}");
    }

    /// SIGKILL, and waits until it is gone.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The holder commits one event and publishes it; the standby must receive exactly it next.
async fn one_event(
    store: &dyn Store,
    holder: &Fanout,
    standby: &mut mpsc::Receiver<(i64, Event)>,
    log: &mut Vec<(i64, Event)>,
) {
    let committed = commit(store, 1).await;
    holder.publish(&committed);
    assert_eq!(
        take(standby, 1).await,
        committed,
        "after {} events",
        log.len()
    );
    log.extend(committed);
}

conformance!(a_redis_outage_mid_stream_loses_and_doubles_nothing, |db| {
    if test_redis().is_none() {
        return;
    }
    let mut server = RedisServer::start().await;
    let url = server.url();
    let region = region();
    let (holder_metrics, standby_metrics) = (Arc::new(Metrics::default()), Arc::default());
    let holder_store = node_store(db).await;
    let holder = Fanout::start(
        Some(&url),
        &region,
        holder_store.clone(),
        holder_metrics.clone(),
    )
    .unwrap();
    let standby = Fanout::start(
        Some(&url),
        &region,
        node_store(db).await,
        Arc::clone(&standby_metrics),
    )
    .unwrap();
    let (mut rx, sources) = standby.follow_counted(0);
    let mut log = Vec::new();
    let mut pace = tokio::time::interval(Duration::from_millis(20));

    // Redis up: the standby follows the stream.
    for _ in 0..20 {
        pace.tick().await;
        one_event(&*holder_store, &holder, &mut rx, &mut log).await;
    }
    let (stream, _) = counts(&sources);
    assert!(
        stream > 0,
        "nothing came from the stream: {:?}",
        counts(&sources)
    );
    assert_eq!(metric(&standby_metrics, "liftrescue_redis_up"), Some(1.0));

    // Redis killed: every event still arrives, from the log.
    server.kill();
    let (stream, from_log) = counts(&sources);
    for _ in 0..20 {
        pace.tick().await;
        one_event(&*holder_store, &holder, &mut rx, &mut log).await;
    }
    assert_eq!(counts(&sources), (stream, from_log + 20));
    assert_eq!(metric(&standby_metrics, "liftrescue_redis_up"), Some(0.0));
    let failures = || metric(&holder_metrics, "liftrescue_redis_publish_failures_total");
    until("the holder counts what it could not publish", || {
        failures() > Some(0.0)
    })
    .await;

    // Redis back, empty, on the same port: the standby returns to the stream.
    server.restart().await;
    let (stream, _) = counts(&sources);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while counts(&sources).0 == stream {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never back on the stream"
        );
        pace.tick().await;
        one_event(&*holder_store, &holder, &mut rx, &mut log).await;
    }
    for _ in 0..20 {
        pace.tick().await;
        one_event(&*holder_store, &holder, &mut rx, &mut log).await;
    }
    assert_eq!(metric(&standby_metrics, "liftrescue_redis_up"), Some(1.0));

    let seqs: Vec<i64> = log.iter().map(|(seq, _)| *seq).collect();
    let expected: Vec<i64> = (1..=log.len() as i64).collect();
    assert_eq!(seqs, expected, "every sequence once, in order");
    assert_eq!(
        log,
        holder_store
            .log_page(0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.seq, r.event))
            .collect::<Vec<_>>(),
        "what the standby got is the log"
    );
    holder.close();
    standby.close();
    assert_eq!(rest(rx).await, [] as [i64; 0], "and nothing more");
});

conformance!(a_hung_redis_is_given_up_and_the_log_read_meanwhile, |db| {
    if test_redis().is_none() {
        return;
    }
    let server = RedisServer::start().await;
    let region = region();
    let holder_store = node_store(db).await;
    let start = |store| Fanout::start(Some(&server.url()), &region, store, Arc::default());
    let holder = start(holder_store.clone()).unwrap();
    let standby = start(node_store(db).await).unwrap();
    let (mut rx, sources) = standby.follow_counted(0);
    let mut log = Vec::new();
    let mut pace = tokio::time::interval(Duration::from_millis(20));
    for _ in 0..5 {
        pace.tick().await;
        one_event(&*holder_store, &holder, &mut rx, &mut log).await;
    }

    // Stopped, not dead: connections stay open and nothing answers. The reader gives Redis
    // up after its response timeout and reads the log; the publisher's XADDs wait in the
    // server's socket and may land when it goes on, behind what the reader already has.
    server.signal("STOP");
    let (stream, from_log) = counts(&sources);
    for _ in 0..10 {
        pace.tick().await;
        one_event(&*holder_store, &holder, &mut rx, &mut log).await;
    }
    assert_eq!(counts(&sources), (stream, from_log + 10));

    server.signal("CONT");
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while counts(&sources).0 == stream {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never back on the stream"
        );
        pace.tick().await;
        one_event(&*holder_store, &holder, &mut rx, &mut log).await;
    }
    let seqs: Vec<i64> = log.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(seqs, (1..=log.len() as i64).collect::<Vec<_>>());
    holder.close();
    standby.close();
    assert_eq!(rest(rx).await, [] as [i64; 0], "nothing twice");
});
