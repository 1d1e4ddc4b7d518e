//! A TCP proxy on loopback between the server and PostgreSQL that can be told to go silent:
//! it keeps every connection open but stops forwarding bytes (both ways) until resumed, as a
//! network partition or a stalled database does.

use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// The proxy; dropping it closes the listener and every connection.
pub struct Proxy {
    /// Where it listens.
    pub addr: SocketAddr,
    held: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards each connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let (held, _) = watch::channel(false);
        let rx = held.subscribe();
        let task = tokio::spawn(async move {
            let mut links = JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                links.spawn(pipe(cr, sw, rx.clone()));
                links.spawn(pipe(sr, cw, rx.clone()));
            }
        });
        Proxy { addr, held, task }
    }

    /// Stops forwarding: bytes already read are held, the rest wait in the sockets.
    pub fn hold(&self) {
        self.held.send_replace(true);
    }

    /// Forwards again, held bytes first.
    pub fn resume(&self) {
        self.held.send_replace(false);
    }

    /// `url` (a PostgreSQL URL) pointed at the proxy instead of its host and port.
    pub fn url(&self, url: &str) -> String {
        let mut u = url::Url::parse(url).expect("a database URL");
        u.set_host(Some(&self.addr.ip().to_string())).unwrap();
        u.set_port(Some(self.addr.port())).unwrap();
        u.to_string()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The host and port a PostgreSQL URL names.
pub fn address_of(url: &str) -> SocketAddr {
    let u = url::Url::parse(url).expect("a database URL");
    let host = u.host_str().unwrap_or("127.0.0.1");
    let host = if host == "localhost" {
        "127.0.0.1"
    } else {
        host
    };
    format!("{host}:{}", u.port().unwrap_or(5432))
        .parse()
        .expect("a loopback address")
}

/// Copies `from` to `to`, waiting while the proxy is held.
async fn pipe(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mut held: watch::Receiver<bool>) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if held.wait_for(|h| !*h).await.is_err() || to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
