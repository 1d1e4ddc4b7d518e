//! The HTTP layer's one error type and its one mapping to a response.
//!
//! Every 4xx and 5xx leaves as `{"error": {"status", "code", "message", "field"?}}`. The code
//! is a stable word a client can branch on; the message is for people; `field` names the input
//! at fault (`lift.rescue_code`, `[2].registration_code`, `Idempotency-Key`). Store and log
//! failures become `503 unavailable` and are logged here, once, with the detail a client must
//! never see (SQL, file paths).

use crate::desk::DeskError;
use crate::dispatch::Rejection;
use crate::store::StoreError;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use std::fmt;

/// Everything a request can fail with.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// 400 `invalid_json`: the body is not JSON, or a value has the wrong type or is refused
    /// while decoding.
    InvalidJson {
        /// serde's message, with line and column.
        message: String,
        /// The path of the value at fault, when it can be told.
        field: Option<String>,
    },
    /// 400 `missing_field`: a required field is absent.
    MissingField(String),
    /// 400 `invalid_field`: a value decoded but broke a rule (a bad rescue code, latitude 91).
    InvalidField {
        /// The field.
        field: String,
        /// Why.
        message: String,
    },
    /// 400 `missing_header`: a required header is absent or malformed.
    BadHeader {
        /// The header.
        header: &'static str,
        /// Why.
        message: String,
    },
    /// 401 `unauthorized`: no bearer token, or an unknown one.
    Unauthorized,
    /// 403 `forbidden`: the token's role may not use this route.
    Forbidden,
    /// 403 `not_paged`: a crew acting on an incident that exists but never paged its unit
    /// (the incident, as `incident N`).
    NotPaged(String),
    /// 404 `not_found`: no such route or resource (or one the caller may not see).
    NotFound(String),
    /// 405 `method_not_allowed`, with the methods the path answers to.
    MethodNotAllowed(Vec<&'static str>),
    /// 409 `out_of_order`: the action does not follow from where the incident stands.
    OutOfOrder(String),
    /// 409 `incident_ended`: nothing more can be done on the incident.
    Ended(String),
    /// 409 `conflict`: a uniqueness rule refused a registry write.
    Conflict,
    /// 413 `body_too_large`.
    TooLarge(usize),
    /// 415 `unsupported_media_type`: a body that is not `application/json`.
    UnsupportedMediaType,
    /// 422 `unknown_lift`: the lift reference parsed but names no registered lift.
    UnknownLift {
        /// Which reference field.
        field: String,
        /// The value that was looked up.
        value: String,
    },
    /// 422 `unknown_unit`: the unit named does not exist.
    UnknownUnit(String),
    /// 422 `conflicting_fields`: a registry record whose field contradicts another of its
    /// fields (`no_maintenance_unit` with a maintainer named); the import refuses it alike.
    Conflicting {
        /// The field.
        field: String,
        /// Why.
        message: String,
    },
    /// 422 `empty_field`: a required text is empty.
    EmptyField(String),
    /// 401 `bad_signature`: a machine source's signature is missing, does not match, or is
    /// stale (a replay); the message says which, never what was expected.
    BadSignature(String),
    /// 404 `unknown_source`: no intake source of that name is configured.
    UnknownSource(String),
    /// 422 `bad_packet`: a cabin-phone digit string that does not decode; the message names the
    /// fault (field `digits`).
    BadPacket(String),
    /// 429 `rate_limited`: the source sent more than its limit; retry after this many seconds.
    RateLimited {
        /// The source.
        source: String,
        /// Seconds until the next request will be taken (the `Retry-After` header).
        retry_after_secs: u64,
    },
    /// 422 `bad_rules`: rules read for a reload have errors (all of them, in the body's
    /// `error.errors`); the running rules stay.
    BadRules {
        /// `built-in`, or the rules folder's path.
        source: String,
        /// Every problem.
        errors: Vec<crate::rules::RulesError>,
    },
    /// 503 `misconfigured`: the named source's configuration is unusable; the detail was
    /// logged.
    Misconfigured(String),
    /// 503 `not_ready`: a dependency did not answer (readiness).
    NotReady(String),
    /// 503 `unavailable`: the store or the desk failed; the detail was logged.
    Unavailable,
    /// 503 `database_timeout`: the database did not answer within the request's deadline
    /// (`store.request_timeout`); nothing was confirmed. Retry after this many seconds (the
    /// `Retry-After` header): the same alarm again is found by its source id, not doubled.
    TimedOut {
        /// Seconds until a retry makes sense.
        retry_after_secs: u64,
    },
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// The HTTP status, repeated.
    pub status: u16,
    /// A stable code to branch on (`invalid_json`, `unknown_lift`, `out_of_order` …).
    pub code: &'static str,
    /// For people.
    pub message: String,
    /// The input at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every problem, when one answer reports several (`bad_rules`: each rules error with its
    /// file, line and key).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<crate::rules::RulesError>,
}

impl ApiError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidJson { .. } => "invalid_json",
            Self::MissingField(_) => "missing_field",
            Self::InvalidField { .. } => "invalid_field",
            Self::BadHeader { .. } => "missing_header",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotPaged(_) => "not_paged",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::OutOfOrder(_) => "out_of_order",
            Self::Ended(_) => "incident_ended",
            Self::Conflict => "conflict",
            Self::TooLarge(_) => "body_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::UnknownLift { .. } => "unknown_lift",
            Self::UnknownUnit(_) => "unknown_unit",
            Self::Conflicting { .. } => "conflicting_fields",
            Self::EmptyField(_) => "empty_field",
            Self::BadSignature(_) => "bad_signature",
            Self::UnknownSource(_) => "unknown_source",
            Self::BadPacket(_) => "bad_packet",
            Self::BadRules { .. } => "bad_rules",
            Self::RateLimited { .. } => "rate_limited",
            Self::Misconfigured(_) => "misconfigured",
            Self::NotReady(_) => "not_ready",
            Self::Unavailable => "unavailable",
            Self::TimedOut { .. } => "database_timeout",
        }
    }

    /// The field at fault, if any.
    pub fn field(&self) -> Option<String> {
        match self {
            Self::InvalidJson { field, .. } => field.clone(),
            Self::MissingField(f) | Self::EmptyField(f) => Some(f.clone()),
            Self::InvalidField { field, .. }
            | Self::UnknownLift { field, .. }
            | Self::Conflicting { field, .. } => Some(field.clone()),
            Self::BadHeader { header, .. } => Some((*header).to_owned()),
            Self::UnknownUnit(_) => Some("unit".to_owned()),
            Self::BadPacket(_) => Some("digits".to_owned()),
            _ => None,
        }
    }

    /// The response body, as JSON text (what idempotent replays store verbatim).
    pub fn body(&self) -> String {
        let body = ErrorBody {
            error: ErrorDetail {
                status: self.status_code().as_u16(),
                code: self.code(),
                message: self.to_string(),
                field: self.field(),
                errors: match self {
                    Self::BadRules { errors, .. } => errors.clone(),
                    _ => Vec::new(),
                },
            },
        };
        serde_json::to_string(&body).unwrap_or_default()
    }

    /// A field that broke a rule.
    pub fn invalid(field: impl Into<String>, message: impl fmt::Display) -> Self {
        Self::InvalidField {
            field: field.into(),
            message: message.to_string(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidJson { message, .. } => write!(f, "the body is not valid: {message}"),
            Self::MissingField(field) => write!(f, "`{field}` is required"),
            Self::InvalidField { field, message } | Self::Conflicting { field, message } => {
                write!(f, "`{field}`: {message}")
            }
            Self::BadHeader { header, message } => write!(f, "header {header}: {message}"),
            Self::Unauthorized => {
                f.write_str("a valid `Authorization: Bearer <token>` is required")
            }
            Self::Forbidden => f.write_str("this token's role may not use this route"),
            Self::NotPaged(incident) => {
                write!(
                    f,
                    "not paged for this incident ({incident}): only a paged crew may act on it"
                )
            }
            Self::NotFound(what) => write!(f, "{what} not found"),
            Self::MethodNotAllowed(allow) => {
                write!(f, "method not allowed here; allowed: {}", allow.join(", "))
            }
            Self::OutOfOrder(m) | Self::Ended(m) => f.write_str(m),
            Self::Conflict => f.write_str(
                "a uniqueness rule refused the write (a rescue, registration or device code \
                 already in use)",
            ),
            Self::TooLarge(limit) => write!(f, "the body is larger than {limit} bytes"),
            Self::UnsupportedMediaType => f.write_str("the body must be application/json"),
            // The value parsed as the identifier it claims to be, so it needs no quoting.
            Self::UnknownLift { field, value } => {
                let name = field.rsplit('.').next().unwrap_or(field).replace('_', " ");
                write!(f, "no registered lift has {name} {value}")
            }
            Self::UnknownUnit(unit) => write!(f, "{unit} does not exist"),
            Self::EmptyField(field) => write!(f, "`{field}` must not be empty"),
            Self::BadSignature(why) => write!(f, "signature refused: {why}"),
            Self::UnknownSource(name) => write!(f, "no signed sender is named {name:?} here"),
            Self::BadPacket(fault) => write!(f, "the alarm packet does not decode: {fault}"),
            Self::BadRules { source, errors } => {
                let n = errors.len();
                let s = if n == 1 { "" } else { "s" };
                write!(
                    f,
                    "the rules in {source} have {n} error{s} (listed in `errors`); the running \
                     rules stay"
                )
            }
            Self::RateLimited {
                source,
                retry_after_secs,
            } => write!(
                f,
                "source {source:?} is over its request limit; retry in {retry_after_secs} s"
            ),
            Self::Misconfigured(source) => write!(
                f,
                "source {source:?} is misconfigured on our side; the operators have been told"
            ),
            Self::NotReady(what) => write!(f, "not ready: {what}"),
            Self::Unavailable => f.write_str("the service cannot take this now; retry shortly"),
            Self::TimedOut { retry_after_secs } => write!(
                f,
                "the database did not answer in time, so this is not confirmed; retry in \
                 {retry_after_secs} s (an alarm sent again is never stored twice)"
            ),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::InvalidJson { .. }
            | Self::MissingField(_)
            | Self::InvalidField { .. }
            | Self::BadHeader { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized | Self::BadSignature(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::NotPaged(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) | Self::UnknownSource(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::OutOfOrder(_) | Self::Ended(_) | Self::Conflict => StatusCode::CONFLICT,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::UnknownLift { .. }
            | Self::Conflicting { .. }
            | Self::UnknownUnit(_)
            | Self::EmptyField(_)
            | Self::BadPacket(_)
            | Self::BadRules { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::NotReady(_)
            | Self::Misconfigured(_)
            | Self::Unavailable
            | Self::TimedOut { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.content_type("application/json");
        match self {
            Self::Unauthorized => {
                res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            Self::MethodNotAllowed(allow) => {
                res.insert_header((header::ALLOW, allow.join(", ")));
            }
            Self::RateLimited {
                retry_after_secs, ..
            }
            | Self::TimedOut { retry_after_secs } => {
                res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            _ => {}
        }
        res.body(self.body())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(detail) => {
                tracing::info!(%detail, "registry write refused by a uniqueness rule");
                Self::Conflict
            }
            StoreError::TimedOut(limit) => {
                let limit_ms = limit.as_millis();
                tracing::warn!(limit_ms, "a request's database call passed its deadline");
                // The deadline, in whole seconds, rounded up: a database silent that long is
                // unlikely to be back much sooner.
                let secs = limit.as_secs() + u64::from(limit.subsec_nanos() > 0);
                Self::TimedOut {
                    retry_after_secs: secs.max(1),
                }
            }
            other => {
                tracing::error!(error = %other, "store failed during a request");
                Self::Unavailable
            }
        }
    }
}

impl From<DeskError> for ApiError {
    fn from(e: DeskError) -> Self {
        match e {
            DeskError::Rejected(r) => r.into(),
            DeskError::Log(detail) => {
                tracing::error!(error = %detail, "the event log refused a request's events");
                Self::Unavailable
            }
            DeskError::Stopped => {
                tracing::error!("the dispatch desk is not running");
                Self::Unavailable
            }
            DeskError::Standby => {
                tracing::warn!("this node stood down from the desk; the command was not taken");
                Self::Unavailable
            }
            DeskError::Remote(r) => match r.kind.as_str() {
                "unknown_incident" | "unknown_unit" | "unknown_storm" => Self::NotFound(r.subject),
                "not_paged" => Self::NotPaged(r.subject),
                "ended" => Self::Ended(r.message),
                "empty" => Self::EmptyField(r.subject),
                _ => Self::OutOfOrder(r.message),
            },
        }
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::UnknownIncident(id) => Self::NotFound(id.to_string()),
            Rejection::UnknownUnit(unit) => Self::NotFound(unit.to_string()),
            // The incident exists; saying "not found" would send the crew looking for a typo.
            Rejection::NotPaged(_, id) => Self::NotPaged(id.to_string()),
            Rejection::OutOfOrder { .. } => Self::OutOfOrder(r.to_string()),
            Rejection::Ended(..) => Self::Ended(r.to_string()),
            Rejection::Empty(field) => Self::EmptyField(field.to_owned()),
            Rejection::UnknownStorm(n) => Self::NotFound(format!("storm {n}")),
            Rejection::NoStormRules | Rejection::StormCovers(_) => Self::OutOfOrder(r.to_string()),
        }
    }
}
