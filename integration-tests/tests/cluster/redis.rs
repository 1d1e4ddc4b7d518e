//! Redis carries the live feed between nodes; the log stays the truth. A console on the
//! standby follows what the holder commits; Redis is killed mid-stream and the console keeps
//! getting every event (the standby reads the log meanwhile); Redis comes back and the standby
//! goes back to the stream. Not one event missing or doubled on the console.

use super::{Scene, metric, wait_role};
use crate::support::sse::Feed;
use crate::support::{Api, eventually, token};
use liftrescue::store::Role;
use serde_json::json;
use std::process::{Child, Command, Stdio};

/// A `redis-server` of the test's own (no persistence), on a loopback port.
struct Redis {
    port: u16,
    child: Option<Child>,
}

impl Redis {
    fn start() -> Redis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut r = Redis { port, child: None };
        r.restart();
        r
    }

    fn restart(&mut self) {
        let port = self.port.to_string();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run redis-server (Debian's redis-server package)");
        self.child = Some(child);
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_on_a_standby_misses_nothing_while_redis_dies_and_comes_back() {
    if liftrescue::telemetry::test_service("Redis", "LIFTRESCUE_TEST_REDIS_URL").is_none() {
        return;
    }
    let Some(scene) = Scene::new().await else {
        return;
    };
    let mut redis = Redis::start();
    let url = redis.url();
    let env = [("LIFTRESCUE_REDIS_URL", url.as_str())];
    let a = scene.node("a", &env);
    wait_role(&a.base, "holder", 10).await;
    let b = scene.node("b", &env);
    wait_role(&b.base, "standby", 10).await;
    eventually(10, || async {
        (metric(&b.base, "liftrescue_redis_up").await == Some(1.0)).then_some(())
    })
    .await;

    let store = scene.store.as_ref();
    let operator = token(store, Role::Operator, None).await;
    let intake = token(store, Role::Integration, None).await;
    let lift = store.lifts(None, 1).await.unwrap().remove(0);
    let (status, body) = Api::new(&a.base, &intake)
        .post("/api/v1/alarms", json!({"source_alarm_id": "r1", "lift": {"id": lift.id.0}, "kind": "entrapment_at_landing"}))
        .await;
    assert_eq!(status, 202, "{body}");
    let incident = eventually(10, || async {
        store
            .alarm_incident(liftrescue::domain::AlarmId(
                body["alarm_id"].as_i64().unwrap(),
            ))
            .await
            .unwrap()
    })
    .await;

    let mut console = Feed::open(&b.base, &operator, None).await.unwrap();
    let hello = console.next(10).await;
    assert_eq!(hello.event, "hello");
    let from = hello.data["seq"].as_i64().unwrap();
    let holder = Api::new(&a.base, &operator);
    let mut seen: Vec<i64> = Vec::new();
    let phase = |n: &'static str| {
        let holder = &holder;
        async move {
            for k in 0..5 {
                let (status, body) = holder
                    .post(
                        &format!("/api/v1/incidents/{}/notes", incident.0),
                        json!({"text": format!("{n} {k}")}),
                    )
                    .await;
                assert_eq!(status, 200, "{body}");
            }
        }
    };
    // Redis up: the standby follows the stream.
    phase("redis up").await;
    let head = store.log_head().await.unwrap();
    let (frames, _) = console.log_until(head, 10).await;
    seen.extend(frames.iter().filter_map(|f| f.id));

    // Redis dies: the holder cannot publish, the standby reads the log, the console goes on.
    redis.kill();
    phase("redis down").await;
    let head = store.log_head().await.unwrap();
    let (frames, _) = console.log_until(head, 15).await;
    seen.extend(frames.iter().filter_map(|f| f.id));
    eventually(10, || async {
        (metric(&b.base, "liftrescue_redis_up").await == Some(0.0)).then_some(())
    })
    .await;
    assert!(
        metric(&a.base, "liftrescue_redis_publish_failures_total")
            .await
            .unwrap()
            > 0.0
    );

    // Redis is back: the standby returns to the stream.
    redis.restart();
    eventually(15, || async {
        (metric(&b.base, "liftrescue_redis_up").await == Some(1.0)).then_some(())
    })
    .await;
    phase("redis back").await;
    let head = store.log_head().await.unwrap();
    let (frames, _) = console.log_until(head, 15).await;
    seen.extend(frames.iter().filter_map(|f| f.id));

    assert_eq!(
        seen,
        (from + 1..=head).collect::<Vec<_>>(),
        "every committed event once, in order"
    );
    drop((a, b));
}
