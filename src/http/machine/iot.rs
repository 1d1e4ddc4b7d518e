//! `POST /api/v1/intake/iot/{source}`: an IoT platform posts a signed batch of events.
//!
//! No bearer token: the source authenticates with an HMAC-SHA256 signature over the exact body
//! bytes and a timestamp ([`crate::signing`]), using the per-source secret of
//! `intake.sources.{source}`. The steps, in order:
//!
//! 1. An unconfigured source is 404 `unknown_source`.
//! 2. The raw body is read, at most `max_body_bytes` (and the decoder's 8 MiB): 413.
//! 3. The signature is checked over those bytes: a missing header, a mismatch or a timestamp
//!    further than `signature_max_skew_secs` from our clock (a replay) is 401 `bad_signature`
//!    whose message says which, with a warning logged (never the secret).
//! 4. The source's rate limit ([`super::MachineIntake::admit`]): 429 `rate_limited` with
//!    `Retry-After`. Only signed requests are counted, so someone who merely knows a source's
//!    name cannot use up its budget.
//! 5. The envelope is decoded with the source's code map: not JSON, not `{"events": [...]}`, or
//!    more than 500 events is 400 and nothing is accepted.
//! 6. Each event is answered on its own, in order: one bad event does not hold back the
//!    others. A good one is committed to the inbox (an unmapped code is kept and logged, an
//!    unknown device opens a lift-unresolved incident); a bad one gets an error naming its
//!    field. The answer is 200 with one result per event.
//!
//! The inbox's dedupe key is (channel, source alarm id), and every IoT source shares the `iot`
//! channel, so the source alarm id stored is `{source}/{alarm_id}`: two platforms that number
//! their alarms alike never swallow each other's, and a retried batch is answered `duplicate`
//! event by event. If the store fails mid-batch the answer is 503 and the platform retries the
//! whole batch; what was already committed comes back as duplicates.

use crate::config::SourceSettings;
use crate::domain::{AlarmId, AlarmSource, IncidentId};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::intake::FlagsIn;
use crate::intake::iot::{Decoded, IotError, MAX_BATCH_BYTES, decode_batch};
use crate::intake::{SignatureError, verify_signature};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::time::Duration;
use utoipa::openapi::Required;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};

pub use crate::signing::{SIGNATURE, TIMESTAMP};

/// A batch as the platform posts it (documentation only: the handler reads the raw bytes,
/// checks the signature, then decodes with [`decode_batch`]; `Deserialize` is derived only so
/// the schema says, as `decode_batch` does, that unknown keys are refused).
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IotBatchIn {
    /// At most 500 events.
    #[schema(max_items = 500)]
    pub events: Vec<IotEventIn>,
}

/// One event of a batch; see `crate::intake::iot` for every rule. Unknown keys are refused.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IotEventIn {
    /// The terminal (1-64 of letters, digits, `-_.:`).
    #[schema(example = "CQ-00017", pattern = "^[A-Za-z0-9_.:-]{1,64}$")]
    pub device_id: String,
    /// The source's id for the alarm (1-128 characters; an integer is read as its digits).
    #[schema(min_length = 1, max_length = 128, pattern = r"\S")]
    pub alarm_id: String,
    /// The source's fault code, 0-65535, read through the source's code map.
    #[schema(example = 7, minimum = 0, maximum = 65535)]
    pub code: u16,
    /// `0` or `"new"`: present; `1` or `"cleared"`: gone (logged, never closes an incident).
    #[schema(example = "new", pattern = "^(new|cleared)$")]
    pub status: String,
    /// The floor (a string of at most 32 characters, or an integer).
    #[schema(max_length = 32)]
    pub floor: Option<String>,
    /// RFC 3339 with an offset, or integer epoch milliseconds; at most 5 minutes ahead.
    #[schema(example = "2026-01-01T08:00:00+08:00", format = DateTime)]
    pub occurred_at: String,
    /// At most 10 `http(s)` links of at most 512 characters (pictures, video).
    #[schema(max_items = 10)]
    pub evidence: Option<Vec<String>>,
    /// Facts about the people inside.
    pub flags: Option<FlagsIn>,
    /// Free text, at most 2000 characters.
    #[schema(max_length = 2000)]
    pub description: Option<String>,
}

/// The answer to a batch: one result per event, in the order posted.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchResults {
    /// One per event.
    pub results: Vec<EventResult>,
}

/// What became of one event.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum EventResult {
    /// Committed to the inbox.
    Accepted {
        /// The event's position in the batch, from 0.
        index: usize,
        /// The alarm's inbox id (the first copy's, for a duplicate).
        alarm_id: AlarmId,
        /// The incident it opened or joined, once the desk has taken it (null: not yet).
        incident_id: Option<IncidentId>,
        /// Already in the inbox: nothing new was written.
        duplicate: bool,
        /// With `[[regions]]`: the region whose desk took it (see `AlarmAccepted`).
        #[serde(skip_serializing_if = "Option::is_none")]
        region: Option<String>,
    },
    /// Refused; nothing of it was kept.
    Refused {
        /// The event's position in the batch, from 0.
        index: usize,
        /// Why.
        error: EventError,
    },
}

/// Why one event was refused.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventError {
    /// `missing_field`, `unknown_field`, `invalid_field`, `code_out_of_range`, `in_future`,
    /// `not_an_object` (or `invalid_event` for anything else).
    pub code: &'static str,
    /// For people.
    pub message: String,
    /// The field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The signature headers, for the OpenAPI document (every `.signed()` route).
pub fn signature_headers() -> Vec<Parameter> {
    let header = |name: &str, text: &str, pattern: &str| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::True)
            .description(Some(text))
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(pattern)),
            ))
            .build()
    };
    vec![
        header(
            TIMESTAMP,
            "When the body was signed, epoch seconds.",
            "^[0-9]{1,12}$",
        ),
        header(
            SIGNATURE,
            "hex(HMAC-SHA256(source secret, \"{timestamp}.{body}\")), optionally after `sha256=`.",
            "^(sha256=)?[0-9a-fA-F]{64}$",
        ),
    ]
}

/// `POST /api/v1/intake/iot/{source}`: the steps in the module docs.
pub async fn post_iot(
    state: web::Data<AppState>,
    source: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let name = source.into_inner();
    let Some(settings) = state.settings.intake.sources.get(&name) else {
        tracing::warn!(source = %name, "post to an unknown IoT intake source");
        return Err(ApiError::UnknownSource(name));
    };
    let limit = state.settings.max_body_bytes.min(MAX_BATCH_BYTES);
    let body = read_body(&req, payload, limit).await?;
    let now = state.clock.now();
    let skew = Duration::from_secs(state.settings.intake.signature_max_skew_secs);
    check_signature(&req, &name, settings, &body, now, skew)?;
    let shared = &state.machine;
    shared.admit(&name, settings.requests_per_minute)?;
    let codes = shared.codes(&name, &settings.codes)?;
    let events = decode_batch(&body, &codes, now).map_err(|e| envelope_error(&name, e))?;
    let mut results = Vec::with_capacity(events.len());
    for (index, event) in events.into_iter().enumerate() {
        results.push(match event {
            Ok(decoded) => accept(&state, &name, index, decoded, now).await?,
            Err(e) => refuse(&name, index, &e),
        });
    }
    Ok(HttpResponse::Ok().json(BatchResults { results }))
}

/// The raw body, at most `limit` bytes (a declared larger length is refused unread).
pub(crate) async fn read_body(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<web::Bytes, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::TooLarge(limit));
    }
    payload
        .to_bytes_limited(limit)
        .await
        .map_err(|_| ApiError::TooLarge(limit))?
        .map_err(|e| ApiError::InvalidJson {
            message: format!("the body could not be read: {e}"),
            field: None,
        })
}

/// Verifies the signature headers over `body`; a refusal is logged with the source and why.
fn check_signature(
    req: &HttpRequest,
    source: &str,
    settings: &SourceSettings,
    body: &[u8],
    now: DateTime<Utc>,
    max_skew: Duration,
) -> Result<(), ApiError> {
    check_signed(req, source, &settings.secret, body, now, max_skew)
}

/// Verifies the signature headers over `body` with `secret`; a refusal is logged with `who`
/// and why. Shared with delivery receipts.
pub(crate) fn check_signed(
    req: &HttpRequest,
    source: &str,
    secret: &str,
    body: &[u8],
    now: DateTime<Utc>,
    max_skew: Duration,
) -> Result<(), ApiError> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let refused = |reason: String| {
        tracing::warn!(source, reason = %reason, "signed intake request refused");
        ApiError::BadSignature(reason)
    };
    let (Some(timestamp), Some(signature)) = (header(TIMESTAMP), header(SIGNATURE)) else {
        let absent = if header(TIMESTAMP).is_none() {
            TIMESTAMP
        } else {
            SIGNATURE
        };
        return Err(refused(format!("missing {absent} header")));
    };
    match verify_signature(
        secret.as_bytes(),
        timestamp.trim(),
        body,
        signature,
        now,
        max_skew,
    ) {
        Ok(()) => Ok(()),
        Err(SignatureError::NoSecret) => {
            tracing::error!(
                source,
                "signed requests from this sender are refused: it has no secret configured"
            );
            Err(ApiError::Misconfigured(source.to_owned()))
        }
        Err(SignatureError::Mismatch) => Err(refused("signature mismatch".into())),
        Err(e @ SignatureError::Stale { .. }) => Err(refused(format!("stale timestamp: {e}"))),
        Err(e @ SignatureError::BadTimestamp(_)) => Err(refused(format!("bad timestamp: {e}"))),
    }
}

/// A refused envelope, as the one error of the request.
fn envelope_error(source: &str, e: IotError) -> ApiError {
    tracing::warn!(source, error = %e, "IoT batch refused as a whole");
    match e {
        IotError::TooLarge { max, .. } => ApiError::TooLarge(max),
        IotError::MissingField(f) => ApiError::MissingField(f.to_owned()),
        IotError::BadField { field, reason } => ApiError::invalid(field, reason),
        IotError::TooManyEvents { .. } => ApiError::invalid("events", e),
        IotError::UnknownField(ref f) => ApiError::InvalidJson {
            field: Some(f.clone()),
            message: e.to_string(),
        },
        other => ApiError::InvalidJson {
            message: other.to_string(),
            field: None,
        },
    }
}

/// Commits one decoded event under `{source}/{alarm_id}` ([`Decoded::into_alarm`]).
async fn accept(
    state: &AppState,
    source: &str,
    index: usize,
    decoded: Decoded,
    now: DateTime<Utc>,
) -> Result<EventResult, ApiError> {
    if !decoded.mapped {
        let alarm_id = decoded.alarm.source_alarm_id.as_str();
        let code = decoded.code;
        tracing::info!(
            source,
            code,
            alarm_id,
            "unmapped fault code: kept as a named fault"
        );
    }
    let alarm = decoded.into_alarm(source);
    let receipt = state.inbox.accept(&alarm, now).await?;
    state
        .metrics
        .alarm_received(AlarmSource::Iot, receipt.duplicate);
    Ok(EventResult::Accepted {
        index,
        alarm_id: receipt.alarm.id,
        incident_id: receipt.incident,
        duplicate: receipt.duplicate,
        region: state.inbox.region_for(&alarm),
    })
}

/// A refused event: its result, and one log line.
fn refuse(source: &str, index: usize, e: &IotError) -> EventResult {
    tracing::info!(source, index, error = %e, "IoT event refused");
    let (code, field) = match e {
        IotError::MissingField(f) => ("missing_field", Some((*f).to_owned())),
        IotError::UnknownField(f) => ("unknown_field", Some(f.clone())),
        IotError::BadField { field, .. } => ("invalid_field", Some(field.clone())),
        IotError::BadDeviceId { .. } => ("invalid_field", Some("device_id".to_owned())),
        IotError::TooManyEvidence { .. } => ("invalid_field", Some("evidence".to_owned())),
        IotError::CodeOutOfRange(_) => ("code_out_of_range", Some("code".to_owned())),
        IotError::InFuture { .. } => ("in_future", Some("occurred_at".to_owned())),
        IotError::NotAnObject { .. } => ("not_an_object", None),
        _ => ("invalid_event", None),
    };
    let error = EventError {
        code,
        message: e.to_string(),
        field,
    };
    EventResult::Refused { index, error }
}
