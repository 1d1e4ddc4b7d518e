//! Holes in the stream, on the machine's Redis: what was never published, and what the stream
//! no longer holds, are read from the log, in order, once.

use super::*;
use redis::aio::MultiplexedConnection;

/// A connection of the test's own, to look at and trim the stream behind the fan-out's back.
async fn raw(url: &str) -> MultiplexedConnection {
    let client = redis::Client::open(url).unwrap();
    client.get_multiplexed_async_connection().await.unwrap()
}

/// Waits until the region's stream holds `n` entries (publishing is asynchronous).
async fn stream_holds(conn: &mut MultiplexedConnection, region: &str, n: usize) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let len: usize = redis::cmd("XLEN")
            .arg(stream_key(region))
            .query_async(conn)
            .await
            .unwrap();
        if len == n {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stream holds {len}, not {n}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn remove(conn: &mut MultiplexedConnection, region: &str) {
    redis::cmd("DEL")
        .arg(stream_key(region))
        .query_async::<()>(conn)
        .await
        .unwrap();
}

conformance!(
    what_was_committed_but_never_published_is_read_from_the_log,
    |db| {
        let Some(url) = test_redis() else { return };
        let store = node_store(db).await;
        let metrics = Arc::new(Metrics::default());
        let region = region();
        let fanout = Fanout::start(Some(&url), &region, store.clone(), metrics.clone()).unwrap();
        let events = commit(&*store, 10).await;
        // 1–3 and 7–8 published (2 twice: Redis refuses the second); 4–6 never (dropped while Redis
        // was away) nor 9–10 (the holder died after committing them).
        fanout.publish(&events[0..3]);
        fanout.publish(&events[6..8]);
        fanout.publish(&events[1..2]);
        let mut conn = raw(&url).await;
        stream_holds(&mut conn, &region, 5).await;
        let (mut rx, sources) = fanout.follow_counted(0);
        assert_eq!(take(&mut rx, 10).await, events, "all ten, in order, once");
        assert_eq!(counts(&sources), (5, 5), "(from the stream, from the log)");
        assert_eq!(metric(&metrics, "liftrescue_redis_up"), Some(1.0));
        assert_eq!(
            metric(&metrics, "liftrescue_redis_publish_failures_total"),
            Some(0.0),
            "a sequence refused as already there is not a failure"
        );
        fanout.close();
        assert_eq!(rest(rx).await, [] as [i64; 0]);
        remove(&mut conn, &region).await;
    }
);

conformance!(
    a_reader_behind_what_the_stream_holds_reads_the_rest_from_the_log,
    |db| {
        let Some(url) = test_redis() else { return };
        let store = node_store(db).await;
        let metrics = Arc::new(Metrics::default());
        let region = region();
        let fanout = Fanout::start(Some(&url), &region, store.clone(), metrics.clone()).unwrap();
        let events = commit(&*store, 30).await;
        fanout.publish(&events);
        let mut conn = raw(&url).await;
        stream_holds(&mut conn, &region, 30).await;
        redis::cmd("XTRIM")
            .arg(stream_key(&region))
            .arg("MAXLEN")
            .arg(5)
            .query_async::<()>(&mut conn)
            .await
            .unwrap();
        let (mut rx, sources) = fanout.follow_counted(0);
        assert_eq!(take(&mut rx, 30).await, events);
        assert_eq!(
            counts(&sources),
            (5, 25),
            "26–30 from the stream, the rest from the log"
        );
        assert!(metric(&metrics, "liftrescue_feed_log_reads_total").unwrap() >= 1.0);
        // A reader that starts inside what the stream holds reads the stream only.
        let (mut inside, sources) = fanout.follow_counted(27);
        assert_eq!(take(&mut inside, 3).await, events[27..]);
        assert_eq!(counts(&sources), (3, 0));
        fanout.close();
        assert_eq!(rest(rx).await, [] as [i64; 0]);
        assert_eq!(rest(inside).await, [] as [i64; 0]);
        remove(&mut conn, &region).await;
    }
);

conformance!(an_entry_that_would_not_parse_is_read_from_the_log, |db| {
    let Some(url) = test_redis() else { return };
    let store = node_store(db).await;
    let region = region();
    let fanout = Fanout::start(Some(&url), &region, store.clone(), Arc::default()).unwrap();
    let events = commit(&*store, 3).await;
    fanout.publish(&events[0..2]);
    let mut conn = raw(&url).await;
    stream_holds(&mut conn, &region, 2).await;
    // The last entry, so no later one reveals it as a hole.
    redis::cmd("XADD")
        .arg(stream_key(&region))
        .arg("3-0")
        .arg(crate::fanout::FIELD)
        .arg("{not an event")
        .query_async::<()>(&mut conn)
        .await
        .unwrap();
    let (mut rx, sources) = fanout.follow_counted(0);
    assert_eq!(take(&mut rx, 3).await, events);
    assert_eq!(counts(&sources), (2, 1), "the third from the log");
    fanout.close();
    assert_eq!(rest(rx).await, [] as [i64; 0]);
    remove(&mut conn, &region).await;
});
