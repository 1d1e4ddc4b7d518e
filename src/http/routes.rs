//! The route table: every route's method, path, roles, summary, schemas and handler, in one
//! place. The router ([`register`]), the OpenAPI document ([`super::openapi`]), the docs page
//! and the role-matrix test all read [`ROUTES`], so they cannot disagree.
//!
//! # Statuses and limits: how to add a route
//!
//! The document lists every status a route can answer, and a schema-conformance run
//! (`integration-tests/schemathesis/run`, in CI) fails on any other. A route declares:
//!
//! - its success with `.gives(status, payload)`;
//! - what follows from its shape, added by [`super::openapi`] without being written here:
//!   400 for a body, a query or an `Idempotency-Key`; 413 and 415 for a JSON body (413 only for
//!   a `.signed()` one, read as raw bytes); 401 and 403 for roles; 401 for a signature; 404 for
//!   a `{param}` in the path; 503 for anything that reads a token or the store (roles, a
//!   signature or a body);
//! - anything else its handler or the desk can answer, with `.answers(&[…])` from the
//!   [`Answer`] constants of [`answers`] (a success status there, like the phone's 200 for a test call,
//!   carries the route's success payload). Add a constant when none fits.
//!
//! Limits go on the input types themselves, as utoipa attributes next to the check that
//! enforces them: `#[schema(min_length = 1, max_length = 2000, pattern = r"\S")]` on a text that
//! must not be blank, `#[schema(minimum = 1)]` on an id, `#[param(minimum = 1, maximum = 1000)]`
//! on a query parameter (query values arrive as text: give `value_type`). Path parameters are
//! typed by name in [`super::openapi`] (`{id}`: an integer from 1). A rule between fields that
//! no schema states (exactly one of several) goes in `integration-tests/schemathesis/hooks.py`;
//! a 422 that well-formed data can still earn (a lift nobody registered) is listed for the
//! route in `integration-tests/schemathesis/schemathesis.toml`.

pub mod answers;

pub use answers::*;

use super::auth::authorize;
use super::error::ApiError;
use super::{
    console_page, crew, crew_page, equipment, export, feed, intake, investigator, machine,
    operator, ops, paging, proof, quality, registry, report, review, review_page, rules, storm,
};
use crate::store::Role;
use actix_web::dev::ServiceRequest;
use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, Route, web};
use std::borrow::Cow;
use utoipa::openapi::{RefOr, schema::Schema};

/// An HTTP method the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
}

impl Verb {
    /// As actix knows it.
    pub fn method(self) -> Method {
        match self {
            Self::Get => Method::GET,
            Self::Post => Method::POST,
            Self::Put => Method::PUT,
        }
    }
    /// Upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
        }
    }
}

/// A named schema: its name and how to collect it (and what it refers to) into the document.
#[derive(Clone, Copy)]
pub struct SchemaRef {
    /// The schema's name in `components.schemas`.
    pub name: fn() -> Cow<'static, str>,
    /// Pushes it and every schema it refers to.
    pub collect: fn(&mut Vec<(String, RefOr<Schema>)>),
}

fn collect<T: utoipa::ToSchema>(into: &mut Vec<(String, RefOr<Schema>)>) {
    into.push((T::name().into_owned(), T::schema()));
    T::schemas(into);
}

/// The [`SchemaRef`] of a type.
pub const fn schema<T: utoipa::ToSchema>() -> SchemaRef {
    SchemaRef {
        name: T::name,
        collect: collect::<T>,
    }
}

/// What a request or response carries.
#[derive(Clone, Copy)]
pub enum Payload {
    /// Nothing (or an ignored body).
    Empty,
    /// One JSON value of a schema.
    One(SchemaRef),
    /// A JSON array of a schema.
    Many(SchemaRef),
    /// A JSON document without a schema of its own (the OpenAPI document).
    Json,
    /// Plain text (Prometheus exposition).
    Text,
    /// An HTML page.
    Html,
    /// A stream of Server-Sent Events (the live feed).
    EventStream,
    /// A script (the crew page's service worker).
    JavaScript,
    /// One of the crew page's files: a stylesheet or a script module, by its name.
    Asset,
    /// A document in the format asked for: an HTML page, JSON or CSV.
    Document,
    /// A download: CSV or JSON Lines, streamed.
    Export,
    /// One JSON value of a schema, or the same rows as CSV (`format=csv`).
    OneOrCsv(SchemaRef),
}

/// Query parameters, as utoipa describes them.
pub type Params = fn() -> Vec<utoipa::openapi::path::Parameter>;

/// The [`Params`] of an `IntoParams` type.
pub fn params<T: utoipa::IntoParams>() -> Vec<utoipa::openapi::path::Parameter> {
    T::into_params(|| Some(utoipa::openapi::path::ParameterIn::Query))
}

/// One route.
#[derive(Clone, Copy)]
pub struct RouteSpec {
    /// Method.
    pub verb: Verb,
    /// Path, with `{name}` segments.
    pub path: &'static str,
    /// Roles allowed; empty: no token needed.
    pub roles: &'static [Role],
    /// Who it is for (the OpenAPI tag).
    pub audience: &'static str,
    /// One line for the docs.
    pub summary: &'static str,
    /// Request body.
    pub request: Payload,
    /// Query parameters.
    pub query: Option<Params>,
    /// Success status.
    pub status: u16,
    /// Success body.
    pub response: Payload,
    /// Requires an `Idempotency-Key` header.
    pub idempotent: bool,
    /// Signed with a sender's secret instead of a bearer token (the signature headers).
    pub signed: bool,
    /// Statuses beyond the success and those the shape implies (module docs).
    pub answers: &'static [Answer],
    /// Attaches the handler to a route that already has the method.
    pub to: fn(Route) -> Route,
}

const PUBLIC: &[Role] = &[];
const INTAKE: &[Role] = &[Role::Integration, Role::Operator];
const GATEWAY: &[Role] = &[Role::Integration];
const OPERATOR: &[Role] = &[Role::Operator];
const REVIEW: &[Role] = &[Role::Operator, Role::Investigator];
const CREW: &[Role] = &[Role::Crew];
const REGISTRY: &[Role] = &[Role::Operator, Role::Investigator, Role::Admin];
const ADMIN: &[Role] = &[Role::Admin];
const BUREAU: &[Role] = &[Role::Investigator, Role::Admin];
const QUALITY_CONFIG: &[Role] = &[Role::Operator, Role::Investigator, Role::Admin];

const fn route(
    verb: Verb,
    path: &'static str,
    roles: &'static [Role],
    summary: &'static str,
    to: fn(Route) -> Route,
) -> RouteSpec {
    RouteSpec {
        verb,
        path,
        roles,
        audience: "",
        summary,
        request: Payload::Empty,
        query: None,
        status: 200,
        response: Payload::Empty,
        idempotent: false,
        signed: false,
        answers: &[],
        to,
    }
}

impl RouteSpec {
    const fn tag(self, audience: &'static str) -> Self {
        Self { audience, ..self }
    }
    const fn takes(self, request: Payload) -> Self {
        Self { request, ..self }
    }
    const fn query(self, query: Params) -> Self {
        Self {
            query: Some(query),
            ..self
        }
    }
    const fn gives(self, status: u16, response: Payload) -> Self {
        Self {
            status,
            response,
            ..self
        }
    }
    const fn signed(self) -> Self {
        Self {
            signed: true,
            ..self
        }
    }
    const fn answers(self, answers: &'static [Answer]) -> Self {
        Self { answers, ..self }
    }
    const fn keyed(self) -> Self {
        Self {
            idempotent: true,
            ..self
        }
    }
}

use Payload::{Many, One};
use Verb::{Get, Post, Put};

const EVENTS: Payload = One(schema::<operator::EventsOut>());

/// Every route of the API.
#[rustfmt::skip]
pub static ROUTES: &[RouteSpec] = &[
    route(Get, "/healthz", PUBLIC, "Liveness: the process answers.", |r| r.to(ops::healthz))
        .tag("ops").gives(200, One(schema::<ops::Health>())),
    route(Get, "/readyz", PUBLIC, "Readiness: the store and the desk answer; the node's role (holder, standby or single) and since when.", |r| r.to(ops::readyz))
        .tag("ops").answers(&[NOT_READY]).gives(200, One(schema::<ops::Ready>())),
    route(Get, "/metrics", PUBLIC, "Prometheus metrics.", |r| r.to(ops::metrics))
        .tag("ops").gives(200, Payload::Text),
    route(Get, "/api/v1/openapi.json", PUBLIC, "This API as an OpenAPI document.", |r| r.to(super::openapi::json))
        .tag("ops").gives(200, Payload::Json),
    route(Get, "/api/v1/docs", PUBLIC, "This API as a page for people.", |r| r.to(super::openapi::page))
        .tag("ops").gives(200, Payload::Html),
    route(Post, "/api/v1/alarms", INTAKE, "Commit an alarm from any source to the inbox.", |r| r.to(intake::post_alarm))
        .tag("intake").takes(One(schema::<intake::AlarmIn>())).gives(202, One(schema::<intake::AlarmAccepted>())).answers(&[UNKNOWN_LIFT]),
    // PUBLIC: no bearer token; the source's HMAC signature authenticates it (see machine::iot).
    route(Post, "/api/v1/intake/iot/{source}", PUBLIC, "Commit a batch of IoT platform events, signed with the source's secret (no token); one result per event.", |r| r.to(machine::post_iot))
        .tag("intake").signed().takes(One(schema::<machine::IotBatchIn>())).gives(200, One(schema::<machine::BatchResults>())).answers(&[UNKNOWN_SENDER, RATE_LIMITED, MISCONFIGURED]),
    route(Post, "/api/v1/intake/phone", GATEWAY, "Commit a cabin-phone call from the telephony gateway: 202 for an alarm, 200 for a test call (nothing committed).", |r| r.to(machine::post_phone))
        .tag("intake").takes(One(schema::<machine::PhoneCallIn>())).gives(202, One(schema::<machine::PhoneCallAnswer>())).answers(&[TEST_CALL, BAD_PACKET]),
    route(Get, "/api/v1/incidents", REVIEW, "Search incidents, newest first.", |r| r.to(operator::list))
        .tag("operator").query(params::<operator::IncidentQuery>).gives(200, Many(schema::<crate::store::IncidentRow>())),
    route(Post, "/api/v1/incidents", OPERATOR, "Open an incident from a hotline call.", |r| r.to(operator::hotline))
        .tag("operator").takes(One(schema::<operator::HotlineIn>())).gives(201, One(schema::<operator::HotlineAccepted>())),
    route(Get, "/api/v1/incidents/{id}", OPERATOR, "An incident: its stored row and the desk's live view.", |r| r.to(operator::detail))
        .tag("operator").gives(200, One(schema::<operator::IncidentDetail>())),
    route(Post, "/api/v1/incidents/{id}/assign", OPERATOR, "Page a named unit, overriding the ranking.", |r| r.to(operator::assign))
        .tag("operator").takes(One(schema::<operator::AssignIn>())).gives(200, EVENTS).answers(&[OUT_OF_ORDER, BLANK_TEXT]),
    route(Post, "/api/v1/incidents/{id}/lift", OPERATOR, "Attach the lift the caller identified to an incident opened with its lift unresolved (exactly one of id, rescue_code, registration_code, phone, device_id): the rules select its chain and its first steps page. 422 unknown_lift; 409 when the incident already has a lift, has ended, or another open incident holds the lift (named).", |r| r.to(operator::attach_lift))
        .tag("operator").takes(One(schema::<intake::LiftRefIn>())).gives(200, EVENTS).answers(&[OUT_OF_ORDER, UNKNOWN_LIFT]),
    route(Post, "/api/v1/incidents/{id}/notes", OPERATOR, "Add a note to the record.", |r| r.to(operator::note))
        .tag("operator").takes(One(schema::<operator::NoteIn>())).gives(200, EVENTS).answers(&[OUT_OF_ORDER, BLANK_TEXT]),
    route(Post, "/api/v1/incidents/{id}/confirm-release", OPERATOR, "The callback confirmed the passengers are out.", |r| r.to(operator::confirm_release))
        .tag("operator").takes(One(schema::<operator::ConfirmIn>())).gives(200, EVENTS).answers(&[OUT_OF_ORDER, BLANK_TEXT]),
    route(Post, "/api/v1/incidents/{id}/fault-cause", OPERATOR, "File the fault cause.", |r| r.to(operator::fault_cause))
        .tag("operator").takes(One(schema::<operator::FaultCauseIn>())).gives(200, EVENTS).answers(&[OUT_OF_ORDER, BLANK_TEXT]),
    route(Post, "/api/v1/incidents/{id}/close", OPERATOR, "Close after the confirmed release.", |r| r.to(operator::close))
        .tag("operator").gives(200, EVENTS).answers(&[OUT_OF_ORDER]),
    route(Post, "/api/v1/incidents/{id}/cancel", OPERATOR, "Call the incident off, with a reason.", |r| r.to(operator::cancel))
        .tag("operator").takes(One(schema::<operator::ReasonIn>())).gives(200, EVENTS).answers(&[OUT_OF_ORDER, BLANK_TEXT]),
    route(Post, "/api/v1/incidents/{id}/false-alarm", OPERATOR, "Mark the incident a false alarm, with a reason.", |r| r.to(operator::false_alarm))
        .tag("operator").takes(One(schema::<operator::ReasonIn>())).gives(200, EVENTS).answers(&[OUT_OF_ORDER, BLANK_TEXT]),
    route(Get, "/api/v1/board", REVIEW, "The console's board: the open incidents (or the named ones, in any state) as rows with their pages, SLA clocks and breaches, and the log sequence they stand at (follow `/api/v1/feed` from it).", |r| r.to(feed::board))
        .tag("operator").query(params::<feed::BoardQuery>).gives(200, One(schema::<crate::desk::Board>())),
    route(Get, "/api/v1/feed", REVIEW, "The live feed (Server-Sent Events): every committed event in log order, its log sequence as the event id. Send `Last-Event-ID` to resume after an event (served from the log; more than 20,000 behind gets a `reset` to reload the board). Frames: `hello`, `log` (event and its incident's board row), `rows` (after a replay), `reset`, and `: ping` every 10 s. 400 when `Last-Event-ID` is not a sequence in the log. The stream ends at the first ping after its token is removed (the reconnect is then 401).", |r| r.to(feed::feed))
        .tag("operator").gives(200, Payload::EventStream),
    route(Get, "/api/v1/storms", REVIEW, "Storm mode: the storms the desk holds, newest first, each with its area, trigger and open incidents grouped by street and building in priority order (tier 0 special cases first, then score), with each incident's triage now, its wait, the unit it has and that unit's queue.", |r| r.to(storm::list))
        .tag("operator").gives(200, One(schema::<crate::dispatch::storm::view::StormsView>())),
    route(Post, "/api/v1/storms", OPERATOR, "Declare a storm over an area (a street, a district or a radius) with a reason: its open entrapments are triaged and assigned together until it ends. 409 when storm mode is off (no storm.toml) or a storm already covers the same area.", |r| r.to(storm::declare))
        .tag("operator").takes(One(schema::<storm::StormIn>())).gives(201, One(schema::<storm::StormDeclaredOut>())).answers(&[OUT_OF_ORDER, BLANK_TEXT]),
    route(Post, "/api/v1/storms/{id}/end", OPERATOR, "End a storm with a reason: its waiting incidents are paged one at a time again. 404 when no such storm is on.", |r| r.to(storm::end))
        .tag("operator").takes(One(schema::<operator::ReasonIn>())).gives(200, EVENTS).answers(&[OUT_OF_ORDER, BLANK_TEXT]),
    route(Get, "/api/v1/equipment", REVIEW, "Alarm equipment with a fault: terminals offline, cabin-phone line faults, faults a test call reported.", |r| r.to(equipment::faults))
        .tag("operator").gives(200, Many(schema::<crate::desk::EquipmentFault>())),
    route(Get, "/api/v1/incidents/{id}/timeline", REVIEW, "Every stored event of an incident, in order, hash-chained.", |r| r.to(investigator::timeline))
        .tag("investigator").gives(200, Many(schema::<investigator::TimelineEntry>())),
    route(Get, "/api/v1/log/verify", BUREAU, "Walk the event log's hash chain from genesis: ok, rows checked, the head, and when broken the first bad row and what differs.", |r| r.to(proof::verify))
        .tag("investigator").gives(200, One(schema::<proof::VerifyOut>())),
    route(Get, "/api/v1/log/seals", BUREAU, "The daily seals, newest first: each names the row sealed and its hash, to keep outside the system and check with `liftrescue verify-log --seal FILE`.", |r| r.to(proof::seals))
        .tag("investigator").query(params::<proof::SealsQuery>).gives(200, Many(schema::<crate::store::seals::Seal>())),
    route(Get, "/api/v1/export", BUREAU, "A period's events or incidents, streamed as CSV or JSON Lines, every row with the hashes it came from (`liftrescue export` writes both with a manifest).", |r| r.to(export::export))
        .tag("investigator").query(params::<export::ExportQuery>).gives(200, Payload::Export),
    route(Get, "/api/v1/incidents/{id}/replay", REVIEW, "The incident's decisions made again by the dispatch core from its recorded inputs (alarms, crew and operator actions, deadline ticks, duty changes, the positions its searches saw) under its own rules snapshot, compared with the record: `identical`, or the first recorded event that differs and how. Incidents recorded before decisions kept their inputs answer `not_replayable`.", |r| r.to(investigator::replay))
        .tag("investigator").gives(200, One(schema::<crate::dispatch::replay::Replay>())),
    route(Get, "/api/v1/review/incidents", REVIEW, "The investigators' incident search over the review index (facts folded from the log): by period (dates are China days), district, street, company, lift (any code), unit, level, outcome, breached deadline, channel; paged and sorted. `indexed_to` is the log row the answer covers.", |r| r.to(review::search))
        .tag("investigator").query(params::<crate::review::search::SearchParams>).gives(200, One(schema::<review::SearchOut>())),
    route(Get, "/api/v1/stats", REVIEW, "The 96333 measures over a period (default: this month), for the whole and per group (company, lift, street, unit kind, month): alarms, entrapments, people trapped, false alarms, response and arrival times with the shares within 3 minutes and within the arrival limit, rescue time, breaches by kind, fire/rescue involvement; every definition is in the answer.", |r| r.to(review::stats))
        .tag("investigator").query(params::<review::StatsQuery>).gives(200, One(schema::<review::StatsOut>())),
    route(Get, "/api/v1/quality/lifts", REVIEW, "The lift quality evaluation over a period (default: the last 365 days), worst first: entrapments, fault incidents, alarm-equipment faults, failures a year, service life, the 三无 flags, repeated fault causes, time since the last failure, the score by the formula of `quality.toml`, the grade (A–D) and its reasons in Chinese and English. 422 `bad_rules` when `quality.toml` has errors.", |r| r.to(quality::lifts))
        .tag("investigator").query(params::<quality::LiftsQuery>).gives(200, One(schema::<quality::LiftsOut>())).answers(&[BAD_QUALITY]),
    route(Get, "/api/v1/quality/lists/{list}", REVIEW, "One of the bureaus' lists over a period (default: the last 365 days): `safety_assessment` (§六.2), `sanwu` (§二.1), `disclosure` (lifts with high failure rates, §十二), `companies` (entrapments per lift maintained, §十二), `suspicious` (fault causes no machine supports; companies filing far more major causes than their peers; with the evidence). `format=csv` answers CSV (UTF-8 with a BOM, a header row). 404 for another name.", |r| r.to(quality::list))
        .tag("investigator").query(params::<quality::ListQuery>).gives(200, Payload::OneOrCsv(schema::<quality::ListOut>())).answers(&[BAD_QUALITY]),
    route(Get, "/api/v1/quality/config", QUALITY_CONFIG, "The quality evaluation's formula in force: the weights, grade floors and list thresholds of `quality.toml` in the rules folder (else the built-in one), read at each request: an edit of the file counts from the next one, and `rules check` / `rules reload` refuse a file with errors.", |r| r.to(quality::get_config))
        .tag("investigator").gives(200, One(schema::<crate::rules::quality::QualityConfig>())).answers(&[BAD_QUALITY]),
    route(Get, "/api/v1/lifts/{id}/history", REVIEW, "A lift's whole-life history from the log: every incident's facts, its failures, the fault causes filed, its alarm-equipment events, and the maintenance companies over time (from each incident's snapshot of the lift).", |r| r.to(quality::lift_history))
        .tag("investigator").gives(200, One(schema::<crate::review::quality::history::History>())),
    route(Get, "/api/v1/incidents/{id}/report", REVIEW, "The incident report to read and print: the facts summary, the lift and its parties (as the incident recorded them), every alarm, every decision with its reason and rule step, every page's deliveries and messages, who arrived when, the SLA marks (due, met or late by), notes, the fault cause, closure, and the rules version and chain; every row with its log seq and hash, the incident's last hash and the log's head in the footer. `format=html` (default; print styles, A4), `json` or `csv` (one row per timeline entry); `lang=zh` (default) or `en`.", |r| r.to(report::report))
        .tag("investigator").query(params::<report::ReportQuery>).gives(200, Payload::Document),
    route(Get, "/api/v1/incidents/{id}/messages", REVIEW, "Every message of the incident's pages: channel, status, attempts, last error, the gateway's id.", |r| r.to(paging::messages))
        .tag("operator").gives(200, Many(schema::<paging::MessageOut>())),
    // PUBLIC: no bearer token; the channel's receipt secret signs it (see http::paging).
    route(Post, "/api/v1/notify/receipts/{channel}", PUBLIC, "Delivery receipts (delivered, read, failed) and SMS replies (1 accepts, 2 declines) from a gateway, signed with the channel's receipt secret; one result per receipt.", |r| r.to(paging::receipts))
        .tag("paging").signed().takes(One(schema::<paging::ReceiptsIn>())).gives(200, One(schema::<paging::ReceiptsOut>())).answers(&[UNKNOWN_SENDER, MISCONFIGURED]),
    route(Get, "/api/v1/crew/push-key", CREW, "The VAPID public key this phone subscribes to Web Push with (404 when push is not configured).", |r| r.to(paging::push_key))
        .tag("crew").gives(200, One(schema::<paging::PushKeyOut>())).answers(&[NO_PUSH]),
    route(Put, "/api/v1/crew/push-subscription", CREW, "Get pages on this phone by Web Push: the browser's PushSubscription.", |r| r.to(paging::put_push_subscription))
        .tag("crew").takes(One(schema::<paging::PushSubscriptionIn>())).gives(200, One(schema::<ops::Health>())).answers(&[NO_PUSH]),
    route(Get, "/crew/sw.js", PUBLIC, "The crew page's service worker (shows a notification when a push comes; keeps the page for use offline).", |r| r.to(crew_page::service_worker))
        .tag("crew").gives(200, Payload::JavaScript),
    route(Get, "/crew/assets/{file}", PUBLIC, "The crew page's stylesheet and script modules.", |r| r.to(crew_page::asset))
        .tag("crew").gives(200, Payload::Asset),
    route(Get, "/crew", PUBLIC, "The crew page for phones: the unit's pages and assignments, one tap to accept, decline, en route, on scene, released (the token stays on the phone).", |r| r.to(crew_page::page))
        .tag("crew").gives(200, Payload::Html),
    route(Get, "/crew/{id}", PUBLIC, "The crew page opened on one incident (the link in a page).", |r| r.to(crew_page::page_for))
        .tag("crew").gives(200, Payload::Html),
    route(Get, "/api/v1/crew/me", CREW, "The unit this token acts for.", |r| r.to(crew_page::me))
        .tag("crew").gives(200, One(schema::<crew_page::CrewMe>())),
    route(Get, "/api/v1/crew/assignments", CREW, "The incidents this crew is paged for or assigned to, as the crew sees them: the incident and its lift, the crew's own page and what it does next by when (nothing of other units), with where to go (WGS-84 and GCJ-02) and whom to call.", |r| r.to(crew::assignments))
        .tag("crew").gives(200, Many(schema::<crew_page::CrewIncident>())),
    route(Get, "/api/v1/crew/feed", CREW, "The crew's live feed (Server-Sent Events): only what concerns this unit (a page offered, answered, missed or withdrawn, its storm queue, its duty; on its incidents the lift attached, a further alarm, a storm triage, the release confirmed, closed, cancelled, false alarm), as `crew` frames `{seq, incident, type}` with the log sequence as the event id, then read `/api/v1/crew/assignments` again. Also `hello`, `reset`, and `: ping` every 10 s with an `id:`. Send `Last-Event-ID` to resume after an event (from the log). 400 when it is not a sequence in the log. The stream ends at the first ping after its token is removed (the reconnect is then 401).", |r| r.to(feed::crew_feed))
        .tag("crew").gives(200, Payload::EventStream),
    route(Post, "/api/v1/crew/incidents/{id}/accept", CREW, "Accept the page, with an ETA; answers the crew's own events (never the desk's decisions that follow, which name other units).", |r| r.to(crew::accept))
        .tag("crew").keyed().takes(One(schema::<crew::AcceptIn>())).gives(200, EVENTS).answers(&[OUT_OF_ORDER]),
    route(Post, "/api/v1/crew/incidents/{id}/decline", CREW, "Decline the page, with a reason; answers the decline (not who is paged next).", |r| r.to(crew::decline))
        .tag("crew").keyed().takes(One(schema::<operator::ReasonIn>())).gives(200, EVENTS).answers(&[OUT_OF_ORDER, BLANK_TEXT]),
    route(Post, "/api/v1/crew/incidents/{id}/en-route", CREW, "On the way.", |r| r.to(crew::en_route))
        .tag("crew").keyed().gives(200, EVENTS).answers(&[OUT_OF_ORDER]),
    route(Post, "/api/v1/crew/incidents/{id}/on-scene", CREW, "At the lift.", |r| r.to(crew::on_scene))
        .tag("crew").keyed().gives(200, EVENTS).answers(&[OUT_OF_ORDER]),
    route(Post, "/api/v1/crew/incidents/{id}/released", CREW, "The passengers are out.", |r| r.to(crew::released))
        .tag("crew").keyed().gives(200, EVENTS).answers(&[OUT_OF_ORDER]),
    route(Post, "/api/v1/crew/incidents/{id}/fault-cause", CREW, "File the fault cause after the repair.", |r| r.to(crew::fault_cause))
        .tag("crew").keyed().takes(One(schema::<operator::FaultCauseIn>())).gives(200, EVENTS).answers(&[OUT_OF_ORDER, BLANK_TEXT]),
    route(Post, "/api/v1/crew/position", CREW, "Share this crew's position (no idempotency key: the newest fix wins).", |r| r.to(crew::position))
        .tag("crew").takes(One(schema::<crew::PositionIn>())).gives(202, One(schema::<ops::Health>())),
    route(Post, "/api/v1/crew/duty", CREW, "Go on or off duty; going off hands unfinished assignments to the next unit (the answer carries the duty change only).", |r| r.to(crew::duty))
        .tag("crew").keyed().takes(One(schema::<crew::DutyIn>())).gives(200, EVENTS).answers(&[UNIT_GONE]),
    route(Get, "/console", PUBLIC, "The operator's console: live board, map, incident view, hotline intake (asks for the operator token; it stays in the browser).", |r| r.to(console_page::page))
        .tag("operator").gives(200, Payload::Html),
    route(Get, "/console/assets/{file}", PUBLIC, "The console's stylesheets and script modules, and the vendored map library (Leaflet 1.9.4).", |r| r.to(console_page::asset))
        .tag("operator").gives(200, Payload::Asset),
    route(Get, "/review", PUBLIC, "The investigators' review page: incident search and reports, statistics with charts, the lift quality evaluation, log proof and seals, exports and replay (asks for a token; it stays in the browser).", |r| r.to(review_page::page))
        .tag("investigator").gives(200, Payload::Html),
    route(Get, "/review/assets/{file}", PUBLIC, "The review page's stylesheet and script modules, and the vendored chart library.", |r| r.to(review_page::asset))
        .tag("investigator").gives(200, Payload::Asset),
    route(Get, "/api/v1/console/settings", REVIEW, "How the console draws its map: the configured tile source and the region's outline (WGS-84).", |r| r.to(console_page::settings))
        .tag("operator").gives(200, One(schema::<console_page::ConsoleSettingsOut>())),
    route(Get, "/api/v1/lifts", REGISTRY, "Lifts, page by page in id order.", |r| r.to(registry::lifts))
        .tag("registry").query(params::<registry::LiftsQuery>).gives(200, Many(schema::<crate::domain::Lift>())),
    route(Put, "/api/v1/lifts", ADMIN, "Insert or replace lifts.", |r| r.to(registry::put_lifts))
        .tag("registry").takes(Many(schema::<registry::LiftIn>())).gives(200, One(schema::<registry::Stored>())).answers(&[CONFLICT, CONFLICTING_FIELDS]),
    route(Get, "/api/v1/lifts/lookup", OPERATOR, "Find a lift by rescue code, registration code, cabin phone or device id.", |r| r.to(registry::lookup))
        .tag("registry").query(params::<registry::LookupQuery>).gives(200, One(schema::<crate::domain::Lift>())).answers(&[NO_LIFT]),
    route(Get, "/api/v1/units", REGISTRY, "Every unit.", |r| r.to(registry::units))
        .tag("registry").gives(200, Many(schema::<registry::UnitOut>())),
    route(Put, "/api/v1/units", ADMIN, "Insert or replace units.", |r| r.to(registry::put_units))
        .tag("registry").takes(Many(schema::<crate::domain::Unit>())).gives(200, One(schema::<registry::Stored>())).answers(&[CONFLICT]),
    route(Get, "/api/v1/companies", REGISTRY, "Every company.", |r| r.to(registry::companies))
        .tag("registry").gives(200, Many(schema::<crate::store::Company>())),
    route(Put, "/api/v1/companies", ADMIN, "Insert or replace companies.", |r| r.to(registry::put_companies))
        .tag("registry").takes(Many(schema::<crate::store::Company>())).gives(200, One(schema::<registry::Stored>())).answers(&[CONFLICT]),
    route(Post, "/api/v1/tokens", ADMIN, "Issue a bearer token (the secret is shown once).", |r| r.to(registry::create_token))
        .tag("registry").takes(One(schema::<registry::TokenIn>())).gives(201, One(schema::<registry::TokenOut>())).answers(&[UNKNOWN_UNIT]),
    route(Post, "/api/v1/rules/reload", ADMIN, "Read the dispatch rules again from their folder: new incidents follow a new version, open ones keep theirs; rules with errors are refused, all listed, and the running rules stay.", |r| r.to(rules::reload))
        .tag("ops").gives(200, One(schema::<crate::desk::reload::Reloaded>())).answers(rules::RELOAD_ERRORS),
];

/// Registers every route of [`ROUTES`], grouped by path, each protected route wrapped in
/// [`authorize`] with its roles; unknown paths answer 404 and other methods 405, in JSON.
pub fn register(cfg: &mut web::ServiceConfig) {
    let mut seen: Vec<&str> = Vec::new();
    for spec in ROUTES {
        if seen.contains(&spec.path) {
            continue;
        }
        seen.push(spec.path);
        let mut resource = web::resource(spec.path).default_service(web::to(method_not_allowed));
        for r in ROUTES.iter().filter(|r| r.path == spec.path) {
            resource = resource.route(build(r));
        }
        cfg.service(resource);
    }
    cfg.default_service(web::to(not_found));
}

fn build(spec: &RouteSpec) -> Route {
    let route = (spec.to)(web::route().method(spec.verb.method()));
    if spec.roles.is_empty() {
        return route;
    }
    let roles = spec.roles;
    route.wrap(from_fn(move |req: ServiceRequest, next| {
        authorize(roles, req, next)
    }))
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "route {} {}",
        req.method(),
        req.path()
    )))
}

async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let pattern = req.match_pattern().unwrap_or_default();
    let allow = ROUTES
        .iter()
        .filter(|r| r.path == pattern)
        .map(|r| r.verb.as_str())
        .collect();
    Err(ApiError::MethodNotAllowed(allow))
}
