//! The `[notify]` settings: contact plans, retries, and the gateways (each optional; a channel
//! without a gateway is left out of every plan).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// How pages reach people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifySettings {
    /// The contact plan of every unit: channels in time order after the page, then how often
    /// the last one repeats until the page is acknowledged.
    pub plan: String,
    /// Plans by unit kind (`maintainer`, `property_staff`, `fire_rescue`), overriding `plan`.
    pub plans: BTreeMap<String, String>,
    /// The language of pages: `zh` (default) or `en`.
    pub lang: String,
    /// The crew page's public address; a page links to `{crew_url}/{incident}`. Empty (the
    /// default): the server's own, `http://{listening address}/crew`.
    pub crew_url: String,
    /// A gateway call that has not answered by then is a timeout, seconds.
    pub send_deadline_secs: u64,
    /// The delay before a failed message's second attempt, milliseconds.
    pub retry_first_ms: u64,
    /// Each further delay is this many times the one before.
    pub retry_factor: f64,
    /// No retry delay is longer, seconds.
    pub retry_max_delay_secs: u64,
    /// Gateway calls per message, the first included, before its channel gives up.
    pub max_attempts: u32,
    /// Gateway calls in flight at once on each channel.
    pub max_in_flight: usize,
    /// Signed receipts older or newer than this are refused, seconds.
    pub receipt_max_skew_secs: u64,
    /// SMS over an HTTP gateway.
    pub sms: Option<HttpGatewaySettings>,
    /// Voice calls (text to speech) over an HTTP gateway.
    pub voice: Option<HttpGatewaySettings>,
    /// A signed JSON POST per page to one endpoint (a company's own system).
    pub webhook: Option<WebhookSettings>,
    /// Web Push (VAPID) to crew phones that subscribed on the crew page.
    pub push: Option<PushSettings>,
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            plan: "push:0s,sms:30s,voice:60s,repeat:60s".into(),
            plans: BTreeMap::new(),
            lang: "zh".into(),
            crew_url: String::new(),
            send_deadline_secs: 10,
            retry_first_ms: 2_000,
            retry_factor: 2.0,
            retry_max_delay_secs: 60,
            max_attempts: 5,
            max_in_flight: 64,
            receipt_max_skew_secs: 300,
            sms: None,
            voice: None,
            webhook: None,
            push: None,
        }
    }
}

/// An SMS or voice gateway called with a templated HTTP request (providers differ).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpGatewaySettings {
    /// Where to send. Its query may hold the placeholders too, each value percent-encoded
    /// (providers that take the message as `GET …?mobile={{to}}&content={{text}}`).
    pub url: String,
    /// `POST` (default), `PUT`, or `GET` (no body: the placeholders go in `url`).
    #[serde(default = "default_method")]
    pub method: String,
    /// The request's content type; `json` in it escapes values for JSON, `x-www-form-urlencoded`
    /// percent-encodes them.
    #[serde(default = "default_content_type")]
    pub content_type: String,
    /// The body with placeholders: `{{to}}`, `{{text}}`, `{{message_id}}`, `{{incident}}`,
    /// `{{unit}}`, `{{ack_url}}`.
    #[serde(default = "default_body")]
    pub body: String,
    /// Extra headers (credentials).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A JSON pointer to the provider's message id in its answer (e.g. `/message_id`), which
    /// its receipts may use instead of ours.
    #[serde(default)]
    pub id_pointer: String,
    /// What a 2xx answer must say for the message to count as sent, for providers that answer
    /// 200 to a refusal too (e.g. `OK`, or `0`; numbers compare as numbers); empty: any 2xx is
    /// sent. Read at `ok_pointer`; an answer without it there (an empty one too) is a refusal.
    #[serde(default)]
    pub ok_value: String,
    /// A JSON pointer into the answer where `ok_value` must be (e.g. `/Code`, starting with `/`);
    /// empty: the whole answer, trimmed (a provider answering plain text).
    #[serde(default)]
    pub ok_pointer: String,
    /// Requests per second the provider allows.
    #[serde(default = "default_per_second")]
    pub per_second: f64,
    /// The secret the provider signs its delivery receipts with.
    #[serde(default)]
    pub receipt_secret: String,
}

fn default_method() -> String {
    "POST".into()
}
fn default_content_type() -> String {
    "application/json".into()
}
/// The body of a POST or PUT when none is configured (a GET has none).
pub fn default_body() -> String {
    r#"{"to":"{{to}}","text":"{{text}}","id":"{{message_id}}"}"#.into()
}
fn default_per_second() -> f64 {
    20.0
}

impl HttpGatewaySettings {
    /// A gateway at `url` with every other setting as a configuration file leaves it.
    pub fn new(url: impl Into<String>) -> Self {
        HttpGatewaySettings {
            url: url.into(),
            method: default_method(),
            content_type: default_content_type(),
            body: default_body(),
            headers: BTreeMap::new(),
            id_pointer: String::new(),
            ok_value: String::new(),
            ok_pointer: String::new(),
            per_second: default_per_second(),
            receipt_secret: String::new(),
        }
    }
}

/// A gateway's address as logs, errors and the API show it: without its query and its user
/// part, which may carry the provider's credentials.
pub fn shown_url(url: &str) -> std::borrow::Cow<'_, str> {
    let url = url.split(['?', '#']).next().unwrap_or_default();
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host_end = rest.find('/').unwrap_or(rest.len());
    match rest[..host_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]).into(),
        None => url.into(),
    }
}

impl fmt::Debug for HttpGatewaySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpGatewaySettings")
            .field("url", &shown_url(&self.url))
            .field("method", &self.method)
            .field("content_type", &self.content_type)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("per_second", &self.per_second)
            .finish_non_exhaustive()
    }
}

/// The generic webhook.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// Where every page is POSTed.
    pub url: String,
    /// The HMAC-SHA256 secret of the `X-Liftrescue-Signature` header (and of its receipts).
    pub secret: String,
    /// Requests per second.
    #[serde(default = "default_per_second")]
    pub per_second: f64,
}

impl fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSettings")
            .field("url", &shown_url(&self.url))
            .field("secret", &"***")
            .field("per_second", &self.per_second)
            .finish()
    }
}

/// Web Push with VAPID.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushSettings {
    /// The VAPID private key: the P-256 scalar, base64url (`liftrescue vapid-keys` makes one).
    pub vapid_private_key: String,
    /// Who runs this server, for push services: `mailto:…` or `https://…`.
    pub subject: String,
    /// How long a push service keeps an undelivered push, seconds.
    #[serde(default = "default_ttl")]
    pub ttl_secs: u64,
    /// Requests per second.
    #[serde(default = "default_push_rate")]
    pub per_second: f64,
    /// Accept subscriptions to plain-http or private-network push endpoints (tests and labs
    /// only: real push services are public https).
    #[serde(default)]
    pub allow_private_endpoints: bool,
}

fn default_ttl() -> u64 {
    180
}
fn default_push_rate() -> f64 {
    100.0
}

impl fmt::Debug for PushSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushSettings")
            .field("vapid_private_key", &"***")
            .field("subject", &self.subject)
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}
