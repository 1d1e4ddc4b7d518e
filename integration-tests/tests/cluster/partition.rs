//! The holder cut off from PostgreSQL (a TCP proxy on loopback between them stops passing
//! bytes, as a network partition would): a standby takes the desk once the lease lapses; when
//! the network comes back the old holder cannot append, stands down, and nothing fires twice.

use super::{Scene, fired_once, log_verifies, wait_role};
use crate::support::{Api, eventually, token};
use liftrescue::domain::EventKind;
use liftrescue::store::Role;
use serde_json::json;
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};

/// A TCP proxy to PostgreSQL that can stop passing bytes without closing anything.
struct Proxy {
    port: u16,
    cut: tokio::sync::watch::Sender<bool>,
    held: Arc<Mutex<Vec<(TcpStream, TcpStream)>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cut, _) = tokio::sync::watch::channel(false);
        let proxy = Proxy {
            port,
            cut,
            held: Arc::default(),
        };
        let (cut, held) = (proxy.cut.clone(), proxy.held.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                let Ok(mut server) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                let mut cut_now = cut.subscribe();
                let held = held.clone();
                tokio::spawn(async move {
                    if !*cut_now.borrow_and_update() {
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => return,
                            _ = cut_now.wait_for(|c| *c) => {}
                        }
                    }
                    // Partitioned: both ends stay open and nothing passes until the heal
                    // drops them.
                    held.lock().unwrap().push((client, server));
                });
            }
        });
        proxy
    }

    /// Stops passing bytes: links in flight hang, new ones open and hang.
    fn cut(&self) {
        self.cut.send_replace(true);
    }

    /// Passes bytes again; the connections that were cut are closed.
    fn heal(&self) {
        self.cut.send_replace(false);
        self.held.lock().unwrap().clear();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_cut_off_from_the_database_is_replaced_and_stands_down_when_it_returns() {
    let Some(scene) = Scene::new().await else {
        return;
    };
    let upstream = scene
        .url
        .split('@')
        .nth(1)
        .and_then(|h| h.split('/').next())
        .unwrap()
        .to_owned();
    let proxy = Proxy::start(upstream.clone()).await;
    let via_proxy = scene
        .url
        .replace(&upstream, &format!("127.0.0.1:{}", proxy.port));
    let a = scene.node("a", &[("LIFTRESCUE_DATABASE_URL", via_proxy.as_str())]);
    wait_role(&a.base, "holder", 10).await;
    let b = scene.node("b", &[]);
    wait_role(&b.base, "standby", 10).await;
    let intake = token(scene.store.as_ref(), Role::Integration, None).await;
    let lifts = scene.store.lifts(None, 50).await.unwrap();
    for (n, lift) in lifts
        .iter()
        .filter(|l| l.maintainer.is_some())
        .take(4)
        .enumerate()
    {
        let (status, body) = Api::new(&a.base, &intake)
            .post("/api/v1/alarms", json!({"source_alarm_id": format!("n{n}"), "lift": {"id": lift.id.0}, "kind": "entrapment_at_landing"}))
            .await;
        assert_eq!(status, 202, "{body}");
    }
    eventually(10, || async {
        let paged = scene
            .events()
            .await
            .iter()
            .any(|e| matches!(e.event.kind, EventKind::UnitPaged { .. }));
        paged.then_some(())
    })
    .await;
    proxy.cut();
    wait_role(&b.base, "holder", 20).await;
    // b decides meanwhile: the deadlines a left fire on b.
    eventually(10, || async {
        let fired = scene
            .events()
            .await
            .iter()
            .any(|e| matches!(e.event.kind, EventKind::AckMissed { .. }));
        fired.then_some(())
    })
    .await;
    proxy.heal();
    wait_role(&a.base, "standby", 30).await;
    wait_role(&b.base, "holder", 1).await;
    fired_once(&scene.events().await);
    drop((a, b));
    log_verifies(&scene);
}
