//! A stand-in for the notification gateways: a real HTTP server on loopback that records every
//! request and answers each path as the test says (a status, or never).

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// How a path answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// This status with this JSON body (`$message` in it becomes the message id sent).
    Status(u16, serde_json::Value),
    /// Never (the request hangs until the client gives up).
    Hang,
}

/// One request the gateway got.
#[derive(Debug, Clone)]
pub struct Received {
    /// The method, e.g. `POST`.
    pub method: String,
    /// The path, e.g. `/sms`.
    pub path: String,
    /// The query's pairs, decoded.
    pub query: HashMap<String, String>,
    /// Headers, lower-case names.
    pub headers: HashMap<String, String>,
    /// The body.
    pub body: String,
}

impl Received {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
    /// The message id liftrescue sent.
    pub fn message(&self) -> String {
        self.headers
            .get("x-liftrescue-message")
            .cloned()
            .unwrap_or_default()
    }
}

#[derive(Default)]
struct Shared {
    answers: Mutex<HashMap<String, Answer>>,
    log: Mutex<Vec<Received>>,
    tx: Mutex<Option<mpsc::UnboundedSender<Received>>>,
}

/// The running gateway.
pub struct Gateway {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    shared: Arc<Shared>,
    rx: mpsc::UnboundedReceiver<Received>,
    handle: actix_web::dev::ServerHandle,
}

async fn record(req: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let r = Received {
        method: req.method().to_string(),
        path: req.path().to_owned(),
        query: url::form_urlencoded::parse(req.query_string().as_bytes())
            .into_owned()
            .collect(),
        headers: req
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let answer = shared
        .answers
        .lock()
        .unwrap()
        .get(&r.path)
        .cloned()
        .unwrap_or(Answer::Status(200, serde_json::json!({"ok": true})));
    let message = r.message();
    shared.log.lock().unwrap().push(r.clone());
    if let Some(tx) = shared.tx.lock().unwrap().as_ref() {
        let _ = tx.send(r);
    }
    match answer {
        Answer::Status(s, body) => HttpResponse::build(
            actix_web::http::StatusCode::from_u16(s).unwrap_or(actix_web::http::StatusCode::OK),
        )
        .content_type("application/json")
        .body(body.to_string().replace("$message", &message)),
        Answer::Hang => {
            std::future::pending::<()>().await;
            HttpResponse::Ok().finish()
        }
    }
}

impl Gateway {
    /// Starts on a port-0 loopback listener.
    pub async fn start() -> Gateway {
        let shared = Arc::new(Shared::default());
        let (tx, rx) = mpsc::unbounded_channel();
        *shared.tx.lock().unwrap() = Some(tx);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(record))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Gateway {
            base,
            shared,
            rx,
            handle,
        }
    }

    /// Sets how `path` answers from now on.
    pub fn answer(&self, path: &str, a: Answer) {
        self.shared
            .answers
            .lock()
            .unwrap()
            .insert(path.to_owned(), a);
    }

    /// The next request, or a panic after `secs` seconds.
    pub async fn next(&mut self, secs: u64) -> Received {
        tokio::time::timeout(Duration::from_secs(secs), self.rx.recv())
            .await
            .unwrap_or_else(|_| panic!("the gateway got nothing within {secs} s"))
            .expect("gateway running")
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.log.lock().unwrap().clone()
    }

    /// Stops it.
    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}
