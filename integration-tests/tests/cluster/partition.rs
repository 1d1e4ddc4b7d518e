//! The holder cut off from PostgreSQL (a TCP proxy on loopback between them stops passing
//! bytes, as a network partition would): a standby takes the desk once the lease lapses; when
//! the network comes back the old holder cannot append, stands down, and nothing fires twice.

use super::{Scene, fired_once, log_verifies, wait_role};
use liftrescue::domain::EventKind;
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
    scene.alarms(&a.base, "n", 4, "entrapment_at_landing").await;
    scene
        .until(10, |k| matches!(k, EventKind::UnitPaged { .. }))
        .await;
    proxy.cut();
    wait_role(&b.base, "holder", 20).await;
    // b decides meanwhile: the deadlines a left fire on b.
    scene
        .until(10, |k| matches!(k, EventKind::AckMissed { .. }))
        .await;
    proxy.heal();
    wait_role(&a.base, "standby", 30).await;
    wait_role(&b.base, "holder", 1).await;
    fired_once(&scene.events().await);
    drop((a, b));
    log_verifies(&scene);
}
