//! The gateways: HTTP calls that put a message on the wire, and what their answers mean.
//!
//! | answer | outcome |
//! |---|---|
//! | 2xx | `Sent` (SMS, voice, push: a receipt may follow) or `Delivered` (webhook: the receiving system has it) |
//! | 408, 425, 429, 5xx, connection refused or reset | `Failed { retryable: true }` |
//! | other 4xx | `Failed { retryable: false }`: the channel gives up, the plan's next one covers |
//! | no answer within the send deadline | `Timeout` (retried) |
//!
//! Every call carries the message's dedupe key (`X-Liftrescue-Message`, or the `{{message_id}}`
//! placeholder) so a provider can drop a copy, and each call has its own deadline: a gateway that
//! hangs holds one of the bounded in-flight slots until then and nothing else.

pub mod push;
mod template;
mod webhook;

pub use template::{fill, fill_url};

use super::settings::{NotifySettings, WebhookSettings, shown_url};
use crate::paging::policy::{Channel, Outcome};
use crate::store::Store;
use crate::store::outbox::Message;
use chrono::{DateTime, Utc};
use push::Vapid;
use std::sync::Arc;
use std::time::Duration;
use template::{Templated, templated};

/// The header carrying the message's dedupe key on every gateway call.
pub const MESSAGE: &str = "X-Liftrescue-Message";

/// What a gateway call came to.
#[derive(Debug, Clone, PartialEq)]
pub struct SendResult {
    /// For the delivery state machine.
    pub outcome: Outcome,
    /// The provider's id for the message, when it gave one.
    pub gateway_ref: Option<String>,
}

/// The configured gateways.
pub struct Gateways {
    client: reqwest::Client,
    deadline: Duration,
    sms: Option<Templated>,
    voice: Option<Templated>,
    webhook: Option<(url::Url, WebhookSettings)>,
    push: Option<(Vapid, u64)>,
    store: Arc<dyn Store>,
}

fn parse_url(what: &str, s: &str) -> anyhow::Result<url::Url> {
    let shown = shown_url(s);
    let u = url::Url::parse(s).map_err(|e| anyhow::anyhow!("notify.{what}.url {shown:?}: {e}"))?;
    anyhow::ensure!(
        matches!(u.scheme(), "http" | "https") && u.host_str().is_some(),
        "notify.{what}.url {shown:?} must be an http(s) URL with a host"
    );
    Ok(u)
}

/// The configured gateways, checked.
struct Configured {
    sms: Option<Templated>,
    voice: Option<Templated>,
    webhook: Option<(url::Url, WebhookSettings)>,
    push: Option<(Vapid, u64)>,
}

impl Configured {
    fn of(s: &NotifySettings) -> anyhow::Result<Self> {
        let webhook = match &s.webhook {
            Some(w) => {
                anyhow::ensure!(!w.secret.is_empty(), "notify.webhook.secret must be set");
                Some((parse_url("webhook", &w.url)?, w.clone()))
            }
            None => None,
        };
        let push = match &s.push {
            Some(p) => Some((Vapid::new(&p.vapid_private_key, &p.subject)?, p.ttl_secs)),
            None => None,
        };
        Ok(Configured {
            sms: s.sms.as_ref().map(|g| templated("sms", g)).transpose()?,
            voice: s
                .voice
                .as_ref()
                .map(|g| templated("voice", g))
                .transpose()?,
            webhook,
            push,
        })
    }
}

impl Gateways {
    /// Checks the configured gateways without building them.
    pub fn check(s: &NotifySettings) -> anyhow::Result<()> {
        Configured::of(s).map(|_| ())
    }

    /// Checks and builds the configured gateways.
    pub fn new(s: &NotifySettings, store: Arc<dyn Store>) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(s.send_deadline_secs.max(1)))
            .build()?;
        let Configured {
            sms,
            voice,
            webhook,
            push,
        } = Configured::of(s)?;
        Ok(Gateways {
            client,
            deadline: Duration::from_secs(s.send_deadline_secs.max(1)),
            sms,
            voice,
            webhook,
            push,
            store,
        })
    }

    /// Whether `channel` has a gateway.
    pub fn has(&self, channel: Channel) -> bool {
        match channel {
            Channel::Sms => self.sms.is_some(),
            Channel::Voice => self.voice.is_some(),
            Channel::Webhook => self.webhook.is_some(),
            Channel::Push => self.push.is_some(),
        }
    }

    /// The VAPID public key, when push is configured (the crew page subscribes with it).
    pub fn vapid_public_key(&self) -> Option<String> {
        self.push.as_ref().map(|(v, _)| v.public_key())
    }

    /// Puts `m` on the wire and says what came of it. Never takes longer than the deadline.
    pub async fn send(&self, m: &Message, now: DateTime<Utc>) -> SendResult {
        let call = async {
            match m.channel {
                Channel::Sms => self.templated(self.sms.as_ref(), m, "sms").await,
                Channel::Voice => self.templated(self.voice.as_ref(), m, "voice").await,
                Channel::Webhook => self.webhook(m, now).await,
                Channel::Push => self.push(m, now).await,
            }
        };
        match tokio::time::timeout(self.deadline, call).await {
            Ok(r) => r,
            Err(_) => SendResult {
                outcome: Outcome::Timeout,
                gateway_ref: None,
            },
        }
    }
}

fn permanent(error: String) -> SendResult {
    SendResult {
        outcome: Outcome::Failed {
            retryable: false,
            error,
        },
        gateway_ref: None,
    }
}

fn retryable(error: String) -> SendResult {
    SendResult {
        outcome: Outcome::Failed {
            retryable: true,
            error,
        },
        gateway_ref: None,
    }
}

fn transport(e: reqwest::Error) -> SendResult {
    if e.is_timeout() {
        return SendResult {
            outcome: Outcome::Timeout,
            gateway_ref: None,
        };
    }
    // Without the URL: its query may carry the provider's credentials, and this text goes on
    // the timeline. The causes say what went wrong (connection refused, a bad certificate).
    let e = e.without_url();
    let mut said = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        said = format!("{said}: {c}");
        cause = c.source();
    }
    retryable(format!("gateway unreachable: {said}"))
}

/// What an HTTP answer means (see the module docs).
pub fn classify(status: reqwest::StatusCode, body: &[u8], ok: Outcome) -> Outcome {
    if status.is_success() {
        return ok;
    }
    let said: String = String::from_utf8_lossy(body).chars().take(200).collect();
    let error = format!("HTTP {}: {}", status.as_u16(), said.trim());
    let retryable = status.is_server_error() || matches!(status.as_u16(), 408 | 425 | 429);
    Outcome::Failed { retryable, error }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unreachable_gateway_is_named_without_its_credentials() {
        // A port nothing listens on: bound, then closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let e = reqwest::Client::new()
            .get(format!("http://127.0.0.1:{port}/sms?u=centre&p=s3cret"))
            .send()
            .await
            .unwrap_err();
        match transport(e).outcome {
            Outcome::Failed { retryable, error } => {
                assert!(retryable);
                assert!(error.starts_with("gateway unreachable"), "{error}");
                assert!(!error.contains("s3cret"), "{error}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn answers_are_classified_retryable_or_not() {
        use reqwest::StatusCode as S;
        assert_eq!(classify(S::OK, b"", Outcome::Sent), Outcome::Sent);
        assert_eq!(
            classify(S::ACCEPTED, b"", Outcome::Delivered),
            Outcome::Delivered
        );
        for (s, retry) in [
            (S::SERVICE_UNAVAILABLE, true),
            (S::TOO_MANY_REQUESTS, true),
            (S::REQUEST_TIMEOUT, true),
            (S::BAD_REQUEST, false),
            (S::UNAUTHORIZED, false),
        ] {
            match classify(s, b"quota exceeded", Outcome::Sent) {
                Outcome::Failed { retryable, error } => {
                    assert_eq!(retryable, retry, "{s}");
                    assert!(error.contains(&s.as_u16().to_string()) && error.contains("quota"));
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
