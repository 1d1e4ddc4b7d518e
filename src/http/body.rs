//! JSON request bodies: size-limited, strictly decoded, errors naming the field at fault.
//!
//! actix's `web::Json` error handler only sees serde's error, not the body, so it cannot say
//! *which* value was wrong. [`JsonBody`] reads the body itself (at most
//! `settings.max_body_bytes`), decodes it with `serde_json`, and on a data error walks the body
//! up to the line and column serde reports to recover the path of the value being decoded
//! (`lift.rescue_code`, `[3].registration_code`). No extra crate is needed for that walk: the
//! text before the error position is valid JSON, so a small scanner suffices.

use super::error::ApiError;
use crate::http::AppState;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev, web};
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;

/// Used when the app has no state (never in the service; keeps the extractor total).
const FALLBACK_LIMIT: usize = 64 * 1024;

/// A decoded JSON body. An empty body decodes as `{}`, so optional-only bodies may be omitted
/// and a missing required field is named.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut dev::Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(FALLBACK_LIMIT, |s| s.settings.max_body_bytes);
        let json = is_json(req);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        let req = req.clone();
        Box::pin(async move {
            // Taking the payload stream cannot fail; the error type is actix's general one.
            let payload = web::Payload::from_request(&req, &mut payload)
                .await
                .map_err(|_| ApiError::Unavailable)?;
            if declared.is_some_and(|n| n > limit) {
                return Err(ApiError::TooLarge(limit));
            }
            let bytes = payload
                .to_bytes_limited(limit)
                .await
                .map_err(|_| ApiError::TooLarge(limit))?
                .map_err(|e| ApiError::InvalidJson {
                    message: format!("the body could not be read: {e}"),
                    field: None,
                })?;
            if !bytes.is_empty() && !json {
                return Err(ApiError::UnsupportedMediaType);
            }
            parse(&bytes).map(JsonBody)
        })
    }
}

/// No content type, or `application/json` (with any parameters), or `…+json`.
fn is_json(req: &HttpRequest) -> bool {
    let Some(ct) = req.headers().get(header::CONTENT_TYPE) else {
        return true;
    };
    let Ok(ct) = ct.to_str() else { return false };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json")
}

/// Decodes `bytes` (empty: `{}`) into `T`, mapping serde's errors to [`ApiError`]s that name
/// the field where possible.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        bytes
    };
    serde_json::from_slice(bytes).map_err(|e| decode_error(bytes, &e))
}

fn decode_error(body: &[u8], e: &serde_json::Error) -> ApiError {
    let message = e.to_string();
    if !e.is_data() {
        return ApiError::InvalidJson {
            message,
            field: None,
        };
    }
    let scan = scan(body, offset_of(body, e.line(), e.column()));
    // serde reports a missing field, and a value its own `try_from` refused, just after the
    // `}` of the object it was decoding: name the object, and the refused value's key.
    let object = scan.closed.as_ref().map_or_else(
        || path_of(&scan.open, false),
        |closed| path_of(&closed.open, false),
    );
    if let Some(name) = quoted_after(&message, "missing field `") {
        return ApiError::MissingField(join(object, &name));
    }
    let field = if let Some(name) = quoted_after(&message, "unknown field `") {
        join(object, &name)
    } else if let Some(closed) = &scan.closed {
        match closed.refused_key(&message) {
            Some(key) => join(object, key),
            None => object,
        }
    } else {
        path_of(&scan.open, true)
    };
    ApiError::InvalidJson {
        message,
        field: Some(field).filter(|f| !f.is_empty()),
    }
}

fn quoted_after(message: &str, prefix: &str) -> Option<String> {
    let rest = &message[message.find(prefix)? + prefix.len()..];
    Some(rest[..rest.find('`')?].to_owned())
}

fn join(parent: String, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

/// Byte offset of serde's 1-based line and column.
fn offset_of(body: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match body[start..].iter().position(|&b| b == b'\n') {
            Some(i) => start += i + 1,
            None => break,
        }
    }
    (start + column).min(body.len())
}

/// A container open at the error position.
#[derive(Debug, Clone, PartialEq)]
enum Frame {
    /// An object: the key whose value is being read, whether a key comes next, and the
    /// string values read so far by key.
    Object {
        key: Option<String>,
        want_key: bool,
        strings: Vec<(String, String)>,
    },
    /// An array and the index being read.
    Array(usize),
}

impl Frame {
    /// A string was read in this container: a key, or a value of the current key.
    fn string(&mut self, text: String) {
        if let Frame::Object {
            key,
            want_key,
            strings,
        } = self
        {
            if *want_key {
                *key = Some(text);
                *want_key = false;
            } else if let Some(k) = key {
                strings.push((k.clone(), text));
            }
        }
    }
}

/// An object whose `}` is the last thing before the error position.
#[derive(Debug, Default)]
struct Closed {
    /// The containers open when it closed, itself last.
    open: Vec<Frame>,
}

impl Closed {
    /// The key of a string value the message quotes (`rescue code "03x302": …`).
    fn refused_key(&self, message: &str) -> Option<&str> {
        let Some(Frame::Object { strings, .. }) = self.open.last() else {
            return None;
        };
        strings
            .iter()
            .rev()
            .find(|(_, v)| message.contains(&format!("{v:?}")))
            .map(|(k, _)| k.as_str())
    }
}

/// What the scanner saw up to the error position.
#[derive(Debug, Default)]
struct Scan {
    /// The containers open, outermost first.
    open: Vec<Frame>,
    /// The object closed just before the position, if that is the last thing there.
    closed: Option<Closed>,
}

/// Walks `body[..end]`, tracking open containers and the current key or index.
fn scan(body: &[u8], end: usize) -> Scan {
    let mut s = Scan::default();
    let mut i = 0;
    while i < end {
        let b = body[i];
        if !b.is_ascii_whitespace() && b != b'}' {
            s.closed = None;
        }
        match b {
            b'{' => s.open.push(Frame::Object {
                key: None,
                want_key: true,
                strings: Vec::new(),
            }),
            b'[' => s.open.push(Frame::Array(0)),
            b'}' => {
                s.closed = Some(Closed {
                    open: s.open.clone(),
                });
                s.open.pop();
            }
            b']' => {
                s.open.pop();
            }
            b',' => match s.open.last_mut() {
                Some(Frame::Array(n)) => *n += 1,
                Some(Frame::Object { want_key, .. }) => *want_key = true,
                None => {}
            },
            b'"' => {
                let (text, next) = string_at(body, i + 1);
                if let Some(frame) = s.open.last_mut() {
                    frame.string(text);
                }
                i = next;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    s
}

/// The (unescaped enough) text of a string starting after its opening quote, and the index
/// after its closing quote.
fn string_at(body: &[u8], mut i: usize) -> (String, usize) {
    let start = i;
    while i < body.len() {
        match body[i] {
            b'\\' => i += 2,
            b'"' => return (String::from_utf8_lossy(&body[start..i]).into_owned(), i + 1),
            _ => i += 1,
        }
    }
    (
        String::from_utf8_lossy(&body[start..]).into_owned(),
        body.len(),
    )
}

/// `a.b[2].c`; with `include_last` false the innermost object's current key is left out.
fn path_of(frames: &[Frame], include_last: bool) -> String {
    let mut out = String::new();
    let n = frames.len();
    for (i, f) in frames.iter().enumerate() {
        if i + 1 == n && !include_last && matches!(f, Frame::Object { .. }) {
            break;
        }
        match f {
            Frame::Array(k) => out.push_str(&format!("[{k}]")),
            Frame::Object { key: Some(key), .. } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Frame::Object { .. } => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Inner,
        list: Option<Vec<Inner>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        n: u32,
        code: Option<crate::domain::RescueCode>,
    }

    fn err(body: &str) -> ApiError {
        parse::<Outer>(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn a_wrong_type_is_named_by_its_path() {
        let e = err(r#"{"name": "x", "inner": {"n": "seven"}}"#);
        assert_eq!(e.code(), "invalid_json");
        assert_eq!(e.field().as_deref(), Some("inner.n"));
        let e = err(r#"{"name": "x", "inner": {"n": 1}, "list": [{"n": 1}, {"n": -1}]}"#);
        assert_eq!(e.field().as_deref(), Some("list[1].n"));
    }

    #[test]
    fn a_value_refused_by_a_domain_parser_is_named_with_the_reason() {
        let e = err("{\n \"name\": \"x\",\n \"inner\": {\"n\": 1, \"code\": \"03x302\"}}");
        assert_eq!(e.field().as_deref(), Some("inner.code"));
        assert!(e.to_string().contains("digits only"), "{e}");
        let body =
            r#"[{"name": "x", "inner": {"n": 1}}, {"name": "y", "inner": {"n": 1, "code": "1"}}]"#;
        let e = parse::<Vec<Outer>>(body.as_bytes()).unwrap_err();
        assert_eq!(e.field().as_deref(), Some("[1].inner.code"));
    }

    #[test]
    fn missing_and_unknown_fields_are_named_in_their_object() {
        let e = err(r#"{"name": "x", "inner": {"code": "035302"}}"#);
        assert_eq!(e, ApiError::MissingField("inner.n".into()));
        let e = err(r#"{"name": "x"}"#);
        assert_eq!(e, ApiError::MissingField("inner".into()));
        let e = err(r#"{"name": "x", "inner": {"n": 1}, "list": [{"n": 1}, {"code": "035302"}]}"#);
        assert_eq!(e, ApiError::MissingField("list[1].n".into()));
        let e = err(r#"{"name": "x", "inner": {"n": 1, "unit": 5}}"#);
        assert_eq!(e.field().as_deref(), Some("inner.unit"));
    }

    #[test]
    fn syntax_errors_and_empty_bodies_are_told_apart() {
        let e = err(r#"{"name": "x", "#);
        assert_eq!(e.code(), "invalid_json");
        assert_eq!(e.field(), None);
        assert_eq!(err(""), ApiError::MissingField("name".into()));
        let e = err(r#"{"name": "a \"quoted, [tricky] {key}\"", "inner": {"n": true}}"#);
        assert_eq!(e.field().as_deref(), Some("inner.n"));
    }
}
