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

use super::push::Vapid;
use super::settings::{HttpGatewaySettings, NotifySettings, WebhookSettings, shown_url};
use crate::intake::iot::signature;
use crate::paging::policy::message::FIELDS;
use crate::paging::policy::{Channel, Outcome};
use crate::store::Store;
use crate::store::outbox::Message;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;

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

/// A template gateway (SMS, voice) ready to call.
#[derive(Debug)]
struct Templated {
    /// The address, when it holds no placeholders (else filled for each message).
    url: Option<url::Url>,
    method: reqwest::Method,
    settings: HttpGatewaySettings,
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

/// Checks a `url` with placeholders: they stand only in its query (in the host or the path a
/// value could move where the call goes: `..` is a path step), each is one a message fills, and
/// filled it is an http(s) URL. `None`: it is filled for each message.
fn parse_url_template(what: &str, s: &str) -> anyhow::Result<Option<url::Url>> {
    if !s.contains("{{") {
        return parse_url(what, s).map(Some);
    }
    let shown = shown_url(s);
    let (base, query) = s.split_once('?').unwrap_or((s, ""));
    anyhow::ensure!(
        !base.contains("{{"),
        "notify.{what}.url {shown:?}: placeholders may stand only in its query (after `?`)"
    );
    let unknown = std::cell::RefCell::new(Vec::new());
    let filled = fill_with(query, |name| {
        if !STANDARD.contains(&name) && !FIELDS.contains(&name) {
            unknown.borrow_mut().push(format!("{{{{{name}}}}}"));
        }
        Some("a".to_owned())
    });
    let unknown = unknown.into_inner();
    anyhow::ensure!(
        unknown.is_empty(),
        "notify.{what}.url {shown:?}: unknown placeholder {}; known: {}",
        unknown.join(", "),
        STANDARD
            .iter()
            .chain(FIELDS.iter())
            .copied()
            .collect::<Vec<_>>()
            .join(", ")
    );
    anyhow::ensure!(
        !filled.contains("{{"),
        "notify.{what}.url {shown:?}: a `{{{{` without its `}}}}`"
    );
    parse_url(what, &format!("{base}?{filled}"))?;
    Ok(None)
}

/// Checks a JSON pointer setting: empty, or starting with `/`.
fn check_pointer(what: &str, key: &str, p: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        p.is_empty() || p.starts_with('/'),
        "notify.{what}.{key} {p:?}: a JSON pointer starts with `/` (e.g. `/Code`)"
    );
    Ok(())
}

fn templated(what: &str, s: &HttpGatewaySettings) -> anyhow::Result<Templated> {
    let method = match s.method.to_ascii_uppercase().as_str() {
        "POST" => reqwest::Method::POST,
        "PUT" => reqwest::Method::PUT,
        "GET" => reqwest::Method::GET,
        other => anyhow::bail!("notify.{what}.method {other:?}: use POST, PUT or GET"),
    };
    anyhow::ensure!(
        method != reqwest::Method::GET
            || s.body.is_empty()
            || s.body == super::settings::default_body(),
        "notify.{what}.body: a GET request carries no body; put the placeholders in notify.{what}.url"
    );
    anyhow::ensure!(
        s.per_second.is_finite() && s.per_second > 0.0,
        "notify.{what}.per_second must be more than 0"
    );
    check_pointer(what, "id_pointer", &s.id_pointer)?;
    check_pointer(what, "ok_pointer", &s.ok_pointer)?;
    anyhow::ensure!(
        s.ok_pointer.is_empty() || !s.ok_value.is_empty(),
        "notify.{what}.ok_pointer is set without ok_value: say what the answer holds there when the message is taken"
    );
    for (k, v) in &s.headers {
        reqwest::header::HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| anyhow::anyhow!("notify.{what}.headers: {k:?} is not a header name"))?;
        reqwest::header::HeaderValue::from_str(v)
            .map_err(|_| anyhow::anyhow!("notify.{what}.headers.{k}: not a valid header value"))?;
    }
    Ok(Templated {
        url: parse_url_template(what, &s.url)?,
        method,
        settings: s.clone(),
    })
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

    async fn templated(&self, g: Option<&Templated>, m: &Message, text_key: &str) -> SendResult {
        let Some(g) = g else {
            return permanent(format!("no {} gateway is configured", m.channel));
        };
        let text = m.body[text_key].as_str().unwrap_or_default();
        let values = placeholders(m, text);
        let url = match &g.url {
            Some(u) => u.clone(),
            None => match url::Url::parse(&fill_url(&g.settings.url, &values)) {
                Ok(u) => u,
                Err(e) => return permanent(format!("the {} gateway's url: {e}", m.channel)),
            },
        };
        let mut req = self
            .client
            .request(g.method.clone(), url)
            .header(MESSAGE, &m.dedupe_key);
        if g.method != reqwest::Method::GET {
            req = req
                .header(reqwest::header::CONTENT_TYPE, &g.settings.content_type)
                .body(fill(&g.settings.body, &g.settings.content_type, &values));
        }
        for (k, v) in &g.settings.headers {
            req = req.header(k, v);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return transport(e),
        };
        let status = resp.status();
        let answer = resp.bytes().await.unwrap_or_default();
        let gateway_ref = (!g.settings.id_pointer.is_empty())
            .then(|| serde_json::from_slice::<serde_json::Value>(&answer).ok())
            .flatten()
            .and_then(|v| match v.pointer(&g.settings.id_pointer) {
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                _ => None,
            });
        let outcome = match classify(status, &answer, Outcome::Sent) {
            Outcome::Sent => match refusal(&g.settings, &answer) {
                Some(error) => Outcome::Failed {
                    retryable: false,
                    error,
                },
                None => Outcome::Sent,
            },
            other => other,
        };
        SendResult {
            outcome,
            gateway_ref,
        }
    }

    async fn webhook(&self, m: &Message, now: DateTime<Utc>) -> SendResult {
        let Some((url, w)) = &self.webhook else {
            return permanent("no webhook gateway is configured".into());
        };
        let mut body = m.body["page"].clone();
        if let Some(o) = body.as_object_mut() {
            o.insert("message".into(), m.dedupe_key.clone().into());
            o.insert("attempt".into(), m.n.into());
        }
        let body = body.to_string();
        let ts = now.timestamp().to_string();
        let signature = match signature::sign(w.secret.as_bytes(), &ts, body.as_bytes()) {
            Ok(s) => s,
            Err(e) => return permanent(e.to_string()),
        };
        let sent = self
            .client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(MESSAGE, &m.dedupe_key)
            .header(signature::TIMESTAMP, ts)
            .header(signature::SIGNATURE, format!("sha256={signature}"))
            .body(body)
            .send()
            .await;
        match sent {
            Ok(r) => {
                let status = r.status();
                let answer = r.bytes().await.unwrap_or_default();
                SendResult {
                    outcome: classify(status, &answer, Outcome::Delivered),
                    gateway_ref: None,
                }
            }
            Err(e) => transport(e),
        }
    }

    async fn push(&self, m: &Message, now: DateTime<Utc>) -> SendResult {
        let Some((vapid, ttl)) = &self.push else {
            return permanent("no push gateway is configured".into());
        };
        let endpoints = match self.store.push_subscriptions(m.unit).await {
            Ok(e) => e,
            Err(e) => return retryable(format!("push subscriptions unreadable: {e}")),
        };
        if endpoints.is_empty() {
            return permanent(format!("unit {} has no push subscription", m.unit.0));
        }
        // Every phone of the unit: sent when any push service took it.
        let mut sent = None;
        let mut last = permanent("no push service answered".into());
        for endpoint in endpoints {
            let auth = match vapid.authorization(&endpoint, now) {
                Ok(a) => a,
                Err(e) => {
                    last = permanent(e.to_string());
                    continue;
                }
            };
            let answer = self
                .client
                .post(&endpoint)
                .header(reqwest::header::AUTHORIZATION, auth)
                .header("TTL", ttl.to_string())
                .header("Urgency", "high")
                .header("Topic", topic(&m.dedupe_key))
                .header(reqwest::header::CONTENT_LENGTH, "0")
                .send()
                .await;
            let r = match answer {
                Ok(r) => {
                    let status = r.status();
                    if status.as_u16() == 404 || status.as_u16() == 410 {
                        // The browser unsubscribed: forget it (RFC 8030 §7.3).
                        let _ = self.store.delete_push_subscription(&endpoint).await;
                    }
                    let answer = r.bytes().await.unwrap_or_default();
                    SendResult {
                        outcome: classify(status, &answer, Outcome::Sent),
                        gateway_ref: None,
                    }
                }
                Err(e) => transport(e),
            };
            if r.outcome == Outcome::Sent {
                sent = Some(r);
            } else {
                last = r;
            }
        }
        sent.unwrap_or(last)
    }
}

/// A push `Topic` (at most 32 base64url characters), one per page: a repeat of the page
/// replaces an earlier push the phone has not fetched yet.
fn topic(key: &str) -> String {
    use sha2::Digest;
    let page = crate::paging::policy::AttemptKey::parse(key)
        .map_or_else(|| key.to_owned(), |k| k.page.dedupe_key());
    let digest = sha2::Sha256::digest(page.as_bytes());
    hex::encode(&digest[..16])
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

/// Why a 2xx answer is a refusal, when the gateway says what success looks like (`ok_value`
/// at `ok_pointer`) and the answer does not say it.
fn refusal(g: &HttpGatewaySettings, answer: &[u8]) -> Option<String> {
    if g.ok_value.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(answer);
    let found = if g.ok_pointer.is_empty() {
        Some(text.trim().to_owned())
    } else {
        serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| match v.pointer(&g.ok_pointer)? {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            })
    };
    let number = |v: &str| v.trim().parse::<f64>().ok();
    let ok = match found.as_deref() {
        Some(f) => f == g.ok_value || number(f).is_some_and(|n| Some(n) == number(&g.ok_value)),
        None => false,
    };
    if ok {
        return None;
    }
    let said: String = text.chars().take(200).collect();
    let at = if g.ok_pointer.is_empty() {
        "its answer".to_owned()
    } else {
        format!("{} in its answer", g.ok_pointer)
    };
    Some(format!(
        "the gateway refused the message ({at} is not \"{}\"): {}",
        g.ok_value,
        said.trim()
    ))
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

/// The placeholders of the call itself, in the order [`placeholders`] gives their values.
const STANDARD: [&str; 6] = ["to", "text", "message_id", "incident", "unit", "ack_url"];

/// The placeholder values of a message: the call's own, then the page's template fields (empty
/// for a message written before they were kept).
fn placeholders(m: &Message, text: &str) -> Vec<(&'static str, String)> {
    let ack_url = m.body["page"]["ack_url"].as_str().unwrap_or_default();
    let own = [
        m.recipient.clone(),
        text.to_owned(),
        m.dedupe_key.clone(),
        m.incident.0.to_string(),
        m.unit.0.to_string(),
        ack_url.to_owned(),
    ];
    let fields = FIELDS.map(|k| m.body["fields"][k].as_str().unwrap_or_default().to_owned());
    STANDARD
        .into_iter()
        .zip(own)
        .chain(FIELDS.into_iter().zip(fields))
        .collect()
}

/// Fills `{{name}}` placeholders, escaping each value for the content type: JSON string
/// content for `…json`, percent-encoding for `…x-www-form-urlencoded`, as is otherwise.
pub fn fill(template: &str, content_type: &str, values: &[(&str, String)]) -> String {
    let ct = content_type.to_ascii_lowercase();
    let escape = |v: &str| -> String {
        if ct.contains("json") {
            let quoted = serde_json::Value::String(v.to_owned()).to_string();
            quoted[1..quoted.len() - 1].to_owned()
        } else if ct.contains("x-www-form-urlencoded") {
            url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
        } else {
            v.to_owned()
        }
    };
    fill_with(template, |name| value(values, name).map(escape))
}

/// What percent-encoding leaves as is in a URL's values: letters, digits and `-._~`.
const URL_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Fills `{{name}}` placeholders in a URL's query, each value percent-encoded: `&`, `=` and `#`
/// stay inside the value, and a space is `%20`.
pub fn fill_url(template: &str, values: &[(&str, String)]) -> String {
    fill_with(template, |name| {
        value(values, name).map(|v| percent_encoding::utf8_percent_encode(v, URL_VALUE).to_string())
    })
}

fn value<'v>(values: &'v [(&str, String)], name: &str) -> Option<&'v str> {
    values
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.as_str())
}

/// Fills each `{{name}}` with what `lookup` gives for it, as given; one it gives nothing for
/// stays as it is.
fn fill_with(template: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() + 128);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                match lookup(name) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(&rest[start..start + 2 + end + 2]),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals() -> Vec<(&'static str, String)> {
        vec![
            ("to", "+8613800000000".into()),
            ("text", "困人 \"3号楼\" & 50%\n回复1".into()),
        ]
    }

    #[test]
    fn json_templates_get_json_escaped_values_and_stay_valid_json() {
        let body = fill(
            r#"{"to":"{{to}}","msg":"{{ text }}"}"#,
            "application/json",
            &vals(),
        );
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["to"], "+8613800000000");
        assert_eq!(v["msg"], "困人 \"3号楼\" & 50%\n回复1");
    }

    #[test]
    fn form_templates_get_percent_encoded_values_and_unknown_placeholders_stay() {
        let body = fill(
            "mobile={{to}}&content={{text}}&sign={{sig}}&tail={{",
            "application/x-www-form-urlencoded; charset=utf-8",
            &vals(),
        );
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(pairs[0], ("mobile".into(), "+8613800000000".into()));
        assert_eq!(
            pairs[1],
            ("content".into(), "困人 \"3号楼\" & 50%\n回复1".into())
        );
        assert_eq!(pairs[2], ("sign".into(), "{{sig}}".into()));
        assert!(body.ends_with("tail={{"));
    }

    fn get_gateway(url: &str) -> HttpGatewaySettings {
        HttpGatewaySettings {
            method: "get".into(),
            ..HttpGatewaySettings::new(url)
        }
    }

    #[test]
    fn url_templates_get_percent_encoded_values_that_read_back_the_same() {
        let url = fill_url(
            "https://sms.example.cn/send?u=centre&m={{to}}&c={{text}}&x={{sig}}",
            &vals(),
        );
        let u = url::Url::parse(&url).unwrap();
        assert_eq!(u.host_str(), Some("sms.example.cn"));
        let q: Vec<(String, String)> = u.query_pairs().into_owned().collect();
        assert_eq!(q[0], ("u".into(), "centre".into()));
        assert_eq!(q[1], ("m".into(), "+8613800000000".into()));
        assert_eq!(q[2], ("c".into(), "困人 \"3号楼\" & 50%\n回复1".into()));
        assert_eq!(q[3], ("x".into(), "{{sig}}".into()), "unknown ones stay");
        assert_eq!(q.len(), 4, "a value's & and # stay inside it");
    }

    #[test]
    fn a_get_gateway_takes_known_placeholders_in_its_query_only() {
        let ok = templated(
            "sms",
            &get_gateway("http://sms.example.cn/s?m={{to}}&c={{text}}&code={{ rescue_code }}"),
        );
        assert!(ok.unwrap().url.is_none(), "filled for each message");
        let fixed = templated("sms", &get_gateway("http://sms.example.cn/s")).unwrap();
        assert_eq!(fixed.url.unwrap().as_str(), "http://sms.example.cn/s");
        for (url, want) in [
            ("http://{{to}}.example.cn/s", "only in its query"),
            ("http://sms.example.cn:{{unit}}/s", "only in its query"),
            (
                "http://sms.example.cn/send/{{floor}}?c={{text}}",
                "only in its query",
            ),
            ("{{ack_url}}", "only in its query"),
            (
                "http://sms.example.cn/s?p=s3cret&m={{mobile}}",
                "unknown placeholder {{mobile}}",
            ),
            ("http://sms.example.cn/s?p=s3cret&m={{to", "without its"),
            ("ftp://sms.example.cn/s?p=s3cret&m={{to}}", "http(s)"),
        ] {
            let e = templated("sms", &get_gateway(url)).unwrap_err().to_string();
            assert!(e.contains(want) && !e.contains("s3cret"), "{url}: {e}");
        }
        for url in [
            "http://sms.example.cn/s?p=s3cret",
            "http://centre:s3cret@sms.example.cn/s",
        ] {
            let shown = format!("{:?}", get_gateway(url));
            assert!(
                !shown.contains("s3cret") && shown.contains("sms.example.cn/s"),
                "{shown}"
            );
        }
        let mut g = get_gateway("http://sms.example.cn/s?m={{to}}");
        g.body = "m={{to}}".into();
        let e = templated("sms", &g).unwrap_err().to_string();
        assert!(e.contains("notify.sms.body") && e.contains("GET"), "{e}");
        g.method = "DELETE".into();
        let e = templated("sms", &g).unwrap_err().to_string();
        assert!(e.contains("POST, PUT or GET"), "{e}");
        let mut g = get_gateway("http://sms.example.cn/s?m={{to}}");
        g.ok_pointer = "Code".into();
        g.ok_value = "OK".into();
        let e = templated("sms", &g).unwrap_err().to_string();
        assert!(
            e.contains("notify.sms.ok_pointer") && e.contains("`/`"),
            "{e}"
        );
        g.ok_pointer = "/Code".into();
        g.ok_value = String::new();
        let e = templated("sms", &g).unwrap_err().to_string();
        assert!(e.contains("without ok_value"), "{e}");
    }

    #[test]
    fn a_2xx_answer_that_does_not_say_ok_is_a_refusal() {
        let mut g = get_gateway("http://sms.example.cn/s");
        assert_eq!(refusal(&g, b"anything"), None, "no ok_value: any 2xx");
        g.ok_value = "0".into();
        assert_eq!(refusal(&g, b" 0\n"), None);
        let e = refusal(&g, b"30").unwrap();
        assert!(e.contains("refused") && e.contains("30"), "{e}");
        g.ok_pointer = "/Code".into();
        g.ok_value = "OK".into();
        assert_eq!(refusal(&g, br#"{"Code":"OK","BizId":"1"}"#), None);
        let e = refusal(&g, br#"{"Code":"isv.BUSINESS_LIMIT_CONTROL"}"#).unwrap();
        assert!(
            e.contains("/Code") && e.contains("BUSINESS_LIMIT_CONTROL"),
            "{e}"
        );
        assert!(refusal(&g, b"<html>502</html>").is_some(), "not JSON");
        assert!(refusal(&g, b"").is_some(), "an empty answer says nothing");
        g.ok_pointer = "/code".into();
        g.ok_value = "0".into();
        assert_eq!(
            refusal(&g, br#"{"code":0}"#),
            None,
            "a number reads as text"
        );
        assert_eq!(
            refusal(&g, br#"{"code":0.0}"#),
            None,
            "and compares as a number"
        );
        assert!(refusal(&g, br#"{"code":"0a"}"#).is_some());
    }

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

    #[test]
    fn a_push_topic_is_short_and_stable() {
        let t = topic("12:l1:7:1:push:3");
        assert_eq!(t.len(), 32);
        assert_eq!(t, topic("12:l1:7:1:push:4"), "one topic per page");
        assert_ne!(t, topic("12:l1:7:2:push:1"));
    }
}
