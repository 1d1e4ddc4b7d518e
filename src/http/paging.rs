//! Paging's HTTP side: delivery receipts from the gateways, the messages of an incident, and
//! crew phones subscribing to Web Push.
//!
//! Receipts are signed like IoT batches (`X-Liftrescue-Timestamp`, `X-Liftrescue-Signature`
//! over `"{timestamp}.{body}"`) with the channel's receipt secret: `notify.sms.receipt_secret`,
//! `notify.voice.receipt_secret`, and the webhook's own `notify.webhook.secret`.

use super::body::JsonBody;
use super::error::ApiError;
use super::machine::iot::{check_signed, read_body};
use crate::domain::IncidentId;
use crate::http::AppState;
use crate::paging::policy::Channel;
use crate::paging::{ReceiptError, ReceiptResult, ReceiptStatus};
use crate::store::StoreError;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Receipts per request at most.
const MAX_RECEIPTS: usize = 500;

/// A batch of delivery receipts.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptsIn {
    /// The receipts, in the order they happened (at most 500).
    #[schema(max_items = 500)]
    pub receipts: Vec<ReceiptIn>,
}

/// One receipt.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptIn {
    /// Our message id (the `X-Liftrescue-Message` / `{{message_id}}` we sent) or the gateway's
    /// own id for it (1-200 characters).
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub message: String,
    /// `delivered`, `read`, `failed`, or `reply` (an SMS answer: `text` "1" accepts, "2"
    /// declines).
    pub status: String,
    /// Why it failed.
    #[serde(default)]
    pub error: String,
    /// The reply's text.
    #[serde(default)]
    pub text: String,
}

/// What each receipt came to, in order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReceiptsOut {
    /// One per receipt.
    pub results: Vec<ReceiptOut>,
}

/// What one receipt came to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReceiptOut {
    /// The message named.
    pub message: String,
    /// `recorded`, `repeated` (the message had this outcome already: nothing new recorded),
    /// `acknowledged`, `unknown_message` or `refused`.
    pub result: &'static str,
    /// The message's status after it (`recorded`, `repeated`), or the action taken
    /// (`acknowledged`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Why it was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn receipt_secret(state: &AppState, channel: Channel) -> Option<String> {
    let n = &state.settings.notify;
    match channel {
        Channel::Sms => n.sms.as_ref().map(|g| g.receipt_secret.clone()),
        Channel::Voice => n.voice.as_ref().map(|g| g.receipt_secret.clone()),
        Channel::Webhook => n.webhook.as_ref().map(|w| w.secret.clone()),
        Channel::Push => None,
    }
}

/// `POST /api/v1/notify/receipts/{channel}`: signed delivery receipts (and SMS replies).
pub async fn receipts(
    state: web::Data<AppState>,
    channel: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let name = channel.into_inner();
    // An unknown channel, or one with no gateway taking receipts: no such signed sender.
    let secret = Channel::parse(&name)
        .ok()
        .and_then(|c| Some((c, receipt_secret(&state, c)?)));
    let Some((channel, secret)) = secret else {
        tracing::warn!(channel = %name, "receipts for a channel without a receipt gateway");
        return Err(ApiError::UnknownSource(format!("{name} receipts")));
    };
    let body = read_body(&req, payload, state.settings.max_body_bytes).await?;
    let now = state.clock.now();
    let skew = Duration::from_secs(state.settings.notify.receipt_max_skew_secs);
    let who = format!("{name} receipts");
    check_signed(&req, &who, &secret, &body, now, skew)?;
    let batch: ReceiptsIn = serde_json::from_slice(&body).map_err(|e| ApiError::InvalidJson {
        message: e.to_string(),
        field: None,
    })?;
    if batch.receipts.len() > MAX_RECEIPTS {
        return Err(ApiError::InvalidJson {
            message: format!("at most {MAX_RECEIPTS} receipts per request"),
            field: Some("receipts".into()),
        });
    }
    let mut results = Vec::with_capacity(batch.receipts.len());
    for r in batch.receipts {
        results.push(one(&state, channel, r).await?);
    }
    Ok(HttpResponse::Ok().json(ReceiptsOut { results }))
}

async fn one(state: &AppState, channel: Channel, r: ReceiptIn) -> Result<ReceiptOut, ApiError> {
    let refused = |message: String, error: String| {
        tracing::warn!(%channel, %message, %error, "delivery receipt refused");
        Ok(ReceiptOut {
            message,
            result: "refused",
            status: None,
            error: Some(error),
        })
    };
    let status = match ReceiptStatus::parse(&r.status, &r.error, &r.text) {
        Ok(status) => status,
        Err(why) => return refused(r.message, why),
    };
    if r.message.trim().is_empty() || r.message.len() > 200 {
        return refused(r.message, "message must be 1 to 200 characters".into());
    }
    // Paging uses the store without the request deadline (its workers must not be cut
    // short), so the request puts it on here: a silent database answers 503, not a hang.
    let limit = state.settings.store.request_timeout;
    let receipt = state.paging.receipt(channel, r.message.trim(), status);
    let answer = tokio::time::timeout(limit, receipt)
        .await
        .unwrap_or(Err(ReceiptError::Store(StoreError::TimedOut(limit))));
    match answer {
        Ok(ReceiptResult::Recorded { status }) => Ok(ReceiptOut {
            message: r.message,
            result: "recorded",
            status: Some(status),
            error: None,
        }),
        Ok(ReceiptResult::Acknowledged { action }) => Ok(ReceiptOut {
            message: r.message,
            result: "acknowledged",
            status: Some(action.into()),
            error: None,
        }),
        Ok(ReceiptResult::Repeated { status }) => Ok(ReceiptOut {
            message: r.message,
            result: "repeated",
            status: Some(status),
            error: None,
        }),
        Ok(ReceiptResult::UnknownMessage) => {
            tracing::warn!(%channel, message = %r.message, "receipt for an unknown message");
            Ok(ReceiptOut {
                message: r.message,
                result: "unknown_message",
                status: None,
                error: None,
            })
        }
        Err(e @ (ReceiptError::BadReply(_) | ReceiptError::Rejected(_))) => {
            refused(r.message, e.to_string())
        }
        Err(ReceiptError::Stopped | ReceiptError::Busy) => Err(ApiError::Unavailable),
        Err(ReceiptError::Store(e)) => Err(e.into()),
    }
}

/// One message of a page, as the operator and investigators see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MessageOut {
    /// Its dedupe key.
    pub message: String,
    /// The unit paged.
    pub unit: i64,
    /// The step that paged.
    pub step: String,
    /// `push`, `sms`, `voice` or `webhook`.
    pub channel: String,
    /// Its number on this channel for this page (repeats count up).
    pub n: i32,
    /// `pending`, `sending`, `sent`, `delivered`, `failed` or `cancelled`.
    pub status: String,
    /// Gateway calls made.
    pub attempts: i32,
    /// When it is (or was last) due.
    pub next_attempt_at: chrono::DateTime<chrono::Utc>,
    /// What went wrong last.
    pub last_error: Option<String>,
    /// The gateway's id for it.
    pub gateway_ref: Option<String>,
    /// Phone number, push target or webhook URL.
    pub recipient: String,
}

/// `GET /api/v1/incidents/{id}/messages`: every message sent (or not) for an incident's pages.
pub async fn messages(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = IncidentId(id.into_inner());
    if state.store.incident(id).await?.is_none() {
        return Err(ApiError::NotFound(id.to_string()));
    }
    let out: Vec<MessageOut> = state
        .store
        .incident_messages(id)
        .await?
        .into_iter()
        .map(|m| MessageOut {
            message: m.dedupe_key,
            unit: m.unit.0,
            step: m.step,
            channel: m.channel.as_str().to_owned(),
            n: m.n,
            status: m.status.as_str().to_owned(),
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            last_error: m.last_error,
            gateway_ref: m.gateway_ref,
            recipient: m.recipient,
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

/// A browser's `PushSubscription` (its `toJSON()`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushSubscriptionIn {
    /// The push service URL (`https`).
    #[schema(pattern = "^https://", max_length = 2000)]
    pub endpoint: String,
    /// The subscription's keys.
    pub keys: PushKeys,
    /// Ignored (browsers send it).
    #[serde(default, rename = "expirationTime")]
    pub expiration_time: Option<serde_json::Value>,
}

/// The subscription's keys (base64url).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushKeys {
    /// The browser's P-256 public key.
    #[schema(min_length = 1, max_length = 200, pattern = "^[A-Za-z0-9_=-]+$")]
    pub p256dh: String,
    /// The authentication secret.
    #[schema(min_length = 1, max_length = 200, pattern = "^[A-Za-z0-9_=-]+$")]
    pub auth: String,
}

/// The VAPID key a crew phone subscribes with.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PushKeyOut {
    /// The `applicationServerKey`, base64url.
    pub public_key: String,
}

/// `GET /api/v1/crew/push-key`: the VAPID public key (404 when push is not configured).
pub async fn push_key(
    state: web::Data<AppState>,
    caller: super::auth::Caller,
) -> Result<HttpResponse, ApiError> {
    caller.crew_unit()?;
    match state.paging.vapid_public_key() {
        Some(public_key) => Ok(HttpResponse::Ok().json(PushKeyOut { public_key })),
        None => Err(ApiError::NotFound(
            "push notifications are not configured".into(),
        )),
    }
}

/// `PUT /api/v1/crew/push-subscription`: this phone wants pages by Web Push.
pub async fn put_push_subscription(
    state: web::Data<AppState>,
    caller: super::auth::Caller,
    body: JsonBody<PushSubscriptionIn>,
) -> Result<HttpResponse, ApiError> {
    let unit = caller.crew_unit()?;
    let Some(push) = state.settings.notify.push.as_ref() else {
        return Err(ApiError::NotFound(
            "push notifications are not configured".into(),
        ));
    };
    let s = body.0;
    let bad = |why: &str| ApiError::InvalidJson {
        message: why.to_owned(),
        field: Some("endpoint".into()),
    };
    let endpoint = crate::paging::push::endpoint(&s.endpoint, push.allow_private_endpoints)
        .map_err(|why| bad(&why))?;
    for (field, v) in [("keys.p256dh", &s.keys.p256dh), ("keys.auth", &s.keys.auth)] {
        if v.is_empty() || v.len() > 200 {
            return Err(ApiError::InvalidJson {
                message: format!("{field} must be 1 to 200 characters of base64url"),
                field: Some(field.into()),
            });
        }
    }
    state
        .store
        .put_push_subscription(
            unit,
            endpoint.as_str(),
            &s.keys.p256dh,
            &s.keys.auth,
            state.clock.now(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "subscribed"})))
}
