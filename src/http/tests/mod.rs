//! HTTP tests: the real router over an in-memory SQLite store, a real desk running the
//! dispatch test world's rules and units (lift 1 at Yuzhong's centre, maintainer unit 1 500 m
//! north, …), and the inbox pump. No sockets: `actix_web::test` calls the app directly.

mod bad_input;
mod crew;
mod docs;
mod flow;
mod machine;
mod matrix;
mod registry;
mod replay;
mod statuses;

use crate::desk::{self, Clock, EventSink};
use crate::dispatch::tests::{World, lift, t0};
use crate::domain::{CompanyId, Event, IncidentId, UnitId, UnitKind};
use crate::http::AppState;
use crate::inbox::Inbox;
use crate::store::{Company, Role, Store};
use crate::telemetry::Metrics;
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::test::{TestRequest, call_service, init_service, read_body};
use actix_web::web::Bytes;
use actix_web::{App, web};
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// Every role, for matrices.
pub const ROLES: [Role; 5] = [
    Role::Operator,
    Role::Crew,
    Role::Investigator,
    Role::Admin,
    Role::Integration,
];

/// The rescue code of lift 1 (contracted maintainer: company 1).
pub const LIFT1_CODE: &str = "035301";

struct Sink(Arc<dyn Store>);

impl EventSink for Sink {
    async fn append(&mut self, events: &[Event]) -> anyhow::Result<Vec<i64>> {
        let rows = self.0.append(events).await?;
        Ok(rows.iter().map(|r| r.seq).collect())
    }
}

/// A running service without sockets, and a token per role (crew: unit 1).
pub struct Harness {
    pub state: AppState,
    pub tokens: HashMap<Role, String>,
}

impl Harness {
    pub async fn new() -> Self {
        Self::with_settings(crate::config::Settings::default()).await
    }

    /// A harness whose service runs with `settings` (intake sources, body limits).
    pub async fn with_settings(settings: crate::config::Settings) -> Self {
        let store = crate::store::open("sqlite::memory:").await.unwrap();
        let world = World::new();
        let units: Vec<_> = world.state.units.values().map(|u| u.unit.clone()).collect();
        store.put_units(&units).await.unwrap();
        store
            .put_lifts(&[lift(1, Some(1)), lift(2, None)])
            .await
            .unwrap();
        store.put_companies(&companies()).await.unwrap();
        let (desk, _task) = desk::spawn(world.state, Sink(store.clone()), Clock::starting_at(t0()));
        let inbox = Inbox::new(store.clone(), Duration::from_secs(2));
        tokio::spawn(crate::inbox::pump(inbox.clone(), desk.clone()));
        let (paging, _tasks) = crate::paging::spawn(
            &settings.notify,
            store.clone(),
            desk.clone(),
            Clock::starting_at(t0()),
        )
        .unwrap();
        let feed = Arc::new(crate::feed::LocalFeed::new(desk.clone(), store.clone()));
        let state = AppState {
            store,
            desk,
            inbox,
            metrics: Arc::new(Metrics::default()),
            settings: Arc::new(settings),
            clock: Clock::starting_at(t0()),
            machine: Arc::default(),
            paging,
            rules: crate::rules::RulesSource::BuiltIn,
            feed,
            role: tokio::sync::watch::channel(crate::cluster::RoleState::single("default")).1,
        };
        let mut h = Harness {
            state,
            tokens: HashMap::new(),
        };
        for role in ROLES {
            let unit = (role == Role::Crew).then_some(UnitId(1));
            let token = h.token(role, unit).await;
            h.tokens.insert(role, token);
        }
        h
    }

    /// Issues a token straight into the store.
    pub async fn token(&self, role: Role, unit: Option<UnitId>) -> String {
        let secret = super::auth::new_secret();
        let label = format!("{role:?} {}", unit.map_or(0, |u| u.0));
        let hash = super::auth::token_hash(&secret);
        self.state
            .store
            .put_token(&hash, role, unit, &label)
            .await
            .unwrap();
        secret
    }

    /// The app under test.
    pub async fn app(&self) -> TestApp {
        let service = init_service(
            App::new()
                .app_data(web::Data::new(self.state.clone()))
                .configure(super::configure),
        )
        .await;
        let service = Rc::new(service);
        TestApp(Box::new(move |req: TestRequest| {
            let service = service.clone();
            Box::pin(async move {
                let res = call_service(&*service, req.to_request()).await;
                let status = res.status();
                let headers = res.headers().clone();
                let stream = headers
                    .get("content-type")
                    .is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"));
                // A stream never ends: its first frame stands for the body.
                let body = if stream {
                    first_chunk(res).await
                } else {
                    read_body(res).await
                };
                Reply {
                    status,
                    headers,
                    body,
                }
            })
        }))
    }

    /// How many events the log holds and how many alarms wait in the inbox.
    pub async fn footprint(&self) -> (usize, i64) {
        let log = self.state.store.log_page(0, 100_000).await.unwrap().len();
        (log, self.state.store.inbox_depth().await.unwrap())
    }

    /// An entrapment alarm on lift 1 through the API; returns the incident.
    pub async fn open_incident(&self, app: &TestApp) -> IncidentId {
        let body = serde_json::json!({
            "source_alarm_id": uuid::Uuid::new_v4().to_string(),
            "lift": {"rescue_code": LIFT1_CODE},
            "kind": "entrapment_between_floors",
        });
        let req = post("/api/v1/alarms", &self.tokens[&Role::Integration]).set_json(body);
        let (status, json) = app.send(req).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{json}");
        IncidentId(
            json["incident_id"]
                .as_i64()
                .expect("the desk named the incident"),
        )
    }

    /// A token for a crew of another unit.
    pub async fn crew_token(&self, unit: UnitId) -> String {
        self.token(Role::Crew, Some(unit)).await
    }
}

/// The first chunk of a streamed body.
async fn first_chunk(res: actix_web::dev::ServiceResponse) -> Bytes {
    use actix_web::body::MessageBody;
    let mut body = Box::pin(res.into_body());
    std::future::poll_fn(|cx| body.as_mut().poll_next(cx))
        .await
        .and_then(Result::ok)
        .unwrap_or_default()
}

/// An answer.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

type Call = Box<dyn Fn(TestRequest) -> Pin<Box<dyn Future<Output = Reply>>>>;

/// The app, callable without naming its service type.
pub struct TestApp(Call);

impl TestApp {
    /// Sends and returns the whole answer.
    pub async fn call(&self, req: TestRequest) -> Reply {
        (self.0)(req).await
    }

    /// Sends and returns the status and the body as JSON (`Null` when it is not JSON).
    pub async fn send(&self, req: TestRequest) -> (StatusCode, Value) {
        let r = self.call(req).await;
        (
            r.status,
            serde_json::from_slice(&r.body).unwrap_or(Value::Null),
        )
    }
}

fn companies() -> Vec<Company> {
    [
        (1, "Otis Chongqing", UnitKind::Maintainer),
        (2, "Schindler Chongqing", UnitKind::Maintainer),
        (1001, "Jiefangbei Property", UnitKind::PropertyStaff),
        (9001, "Yuzhong Fire Brigade", UnitKind::FireRescue),
    ]
    .into_iter()
    .map(|(id, name, kind)| Company {
        id: CompanyId(id),
        name: name.into(),
        kind,
    })
    .collect()
}

/// A request with a bearer token.
pub fn with_token(req: TestRequest, token: &str) -> TestRequest {
    req.insert_header(("Authorization", format!("Bearer {token}")))
}

/// A POST with a token.
pub fn post(path: &str, token: &str) -> TestRequest {
    with_token(TestRequest::post().uri(path), token)
}

/// A GET with a token.
pub fn get(path: &str, token: &str) -> TestRequest {
    with_token(TestRequest::get().uri(path), token)
}

/// A crew POST with a token and an idempotency key.
pub fn crew_post(path: &str, token: &str, key: &str) -> TestRequest {
    post(path, token).insert_header(("Idempotency-Key", key))
}

/// Asserts the error shape: status, code and (if given) field.
pub fn assert_error(
    status: StatusCode,
    body: &Value,
    want: StatusCode,
    code: &str,
    field: Option<&str>,
) {
    assert_eq!(status, want, "{body}");
    let e = &body["error"];
    assert_eq!(e["status"], want.as_u16(), "{body}");
    assert_eq!(e["code"], code, "{body}");
    assert!(
        e["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    if let Some(field) = field {
        assert_eq!(e["field"], field, "{body}");
    }
}
