//! The template gateways (SMS and voice): a provider's HTTP API called with the message's
//! placeholders filled into a body template or the `url`'s query, and what a provider's 2xx
//! answer must say to count as sent.

use super::{Gateways, MESSAGE, SendResult, classify, parse_url, permanent, transport};
use crate::paging::policy::Outcome;
use crate::paging::policy::message::FIELDS;
use crate::paging::settings::{HttpGatewaySettings, shown_url};
use crate::store::outbox::Message;

/// A template gateway (SMS, voice) ready to call.
#[derive(Debug)]
pub(super) struct Templated {
    /// The address, when it holds no placeholders (else filled for each message).
    url: Option<url::Url>,
    method: reqwest::Method,
    settings: HttpGatewaySettings,
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

pub(super) fn templated(what: &str, s: &HttpGatewaySettings) -> anyhow::Result<Templated> {
    let method = match s.method.to_ascii_uppercase().as_str() {
        "POST" => reqwest::Method::POST,
        "PUT" => reqwest::Method::PUT,
        "GET" => reqwest::Method::GET,
        other => anyhow::bail!("notify.{what}.method {other:?}: use POST, PUT or GET"),
    };
    anyhow::ensure!(
        method != reqwest::Method::GET
            || s.body.is_empty()
            || s.body == crate::paging::settings::default_body(),
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

impl Gateways {
    pub(super) async fn templated(
        &self,
        g: Option<&Templated>,
        m: &Message,
        text_key: &str,
    ) -> SendResult {
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
#[path = "template_tests.rs"]
mod tests;
