//! Web Push with VAPID (RFC 8292): the `Authorization: vapid t=<JWT>, k=<key>` header that lets
//! a push service (FCM, Mozilla, Apple) accept a push for a crew phone's subscription.
//!
//! Pushes carry no payload: the crew page's service worker wakes on the push and fetches the
//! unit's assignments itself (RFC 8030 allows an empty push), so no page text has to be
//! encrypted to the browser's key, and nothing about the incident sits at the push service.

use super::{Gateways, SendResult, classify, permanent, retryable, transport};
use crate::paging::policy::Outcome;
use crate::store::outbox::Message;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, TimeDelta, Utc};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};

/// Why VAPID could not be set up or used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VapidError {
    /// The private key is not a base64url P-256 scalar.
    #[error("the VAPID private key must be 32 bytes of base64url (a P-256 scalar): {0}")]
    BadKey(String),
    /// The push endpoint is not an https/http URL with a host.
    #[error("push endpoint {0:?} is not a URL with a host")]
    BadEndpoint(String),
}

/// A server's VAPID identity.
#[derive(Clone)]
pub struct Vapid {
    key: SigningKey,
    subject: String,
}

impl std::fmt::Debug for Vapid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vapid")
            .field("public_key", &self.public_key())
            .field("subject", &self.subject)
            .finish()
    }
}

impl Vapid {
    /// From the base64url private scalar and the contact (`mailto:` or `https:`).
    pub fn new(private_key_b64: &str, subject: &str) -> Result<Self, VapidError> {
        let bytes = B64
            .decode(private_key_b64.trim().trim_end_matches('='))
            .map_err(|e| VapidError::BadKey(e.to_string()))?;
        if bytes.len() != 32 {
            return Err(VapidError::BadKey(format!("{} bytes", bytes.len())));
        }
        let key = SigningKey::from_slice(&bytes).map_err(|e| VapidError::BadKey(e.to_string()))?;
        Ok(Vapid {
            key,
            subject: subject.to_owned(),
        })
    }

    /// A fresh key pair from the operating system's randomness: (private, public), base64url.
    pub fn generate() -> std::io::Result<(String, String)> {
        use std::io::Read;
        let mut f = std::fs::File::open("/dev/urandom")?;
        loop {
            let mut bytes = [0u8; 32];
            f.read_exact(&mut bytes)?;
            if let Ok(key) = SigningKey::from_slice(&bytes) {
                let v = Vapid {
                    key,
                    subject: String::new(),
                };
                return Ok((B64.encode(bytes), v.public_key()));
            }
        }
    }

    /// The public key, uncompressed SEC1, base64url: the crew page's `applicationServerKey`.
    pub fn public_key(&self) -> String {
        B64.encode(self.key.verifying_key().to_sec1_point(false).as_bytes())
    }

    /// The `Authorization` header for a push to `endpoint`, valid 12 hours from `now`.
    pub fn authorization(&self, endpoint: &str, now: DateTime<Utc>) -> Result<String, VapidError> {
        let url =
            url::Url::parse(endpoint).map_err(|_| VapidError::BadEndpoint(endpoint.to_owned()))?;
        if url.host_str().is_none() {
            return Err(VapidError::BadEndpoint(endpoint.to_owned()));
        }
        let audience = url.origin().ascii_serialization();
        let exp = (now + TimeDelta::hours(12)).timestamp();
        let header = B64.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({ "aud": audience, "exp": exp, "sub": self.subject });
        let claims = B64.encode(claims.to_string());
        let signing_input = format!("{header}.{claims}");
        let signature: Signature = self.key.sign(signing_input.as_bytes());
        let jwt = format!("{signing_input}.{}", B64.encode(signature.to_bytes()));
        Ok(format!("vapid t={jwt}, k={}", self.public_key()))
    }
}

/// Checks a push subscription's endpoint: a push service's public https URL (or, with
/// `allow_private`, any http(s) URL: tests and labs), at most 1,000 characters. A push endpoint
/// must never make the server call into its own network. The reason says what is wrong.
pub fn endpoint(s: &str, allow_private: bool) -> Result<url::Url, String> {
    if s.len() > 1_000 {
        return Err("endpoint is longer than 1000 characters".into());
    }
    let u = url::Url::parse(s).map_err(|_| "endpoint is not a URL".to_owned())?;
    let public_https = u.scheme() == "https" && !private_host(&u);
    let lab = allow_private && matches!(u.scheme(), "https" | "http");
    if u.host_str().is_none() || !(public_https || lab) {
        return Err("endpoint must be a push service's public https URL".into());
    }
    Ok(u)
}

/// Whether a URL names this machine or a private network.
fn private_host(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Ipv4(ip)) => {
            ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified()
        }
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.is_unspecified() || (ip.segments()[0] & 0xfe00) == 0xfc00
        }
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        None => true,
    }
}

impl Gateways {
    pub(super) async fn push(&self, m: &Message, now: DateTime<Utc>) -> SendResult {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_endpoints_inside_our_network_are_refused_unless_allowed() {
        for u in [
            "https://127.0.0.1/x",
            "https://10.1.2.3/x",
            "https://192.168.0.9/x",
            "https://169.254.169.254/latest",
            "https://[::1]/x",
            "https://[fd00::1]/x",
            "https://localhost:8443/x",
            "http://fcm.googleapis.com/fcm/send/abc",
            "ftp://push.example.net/x",
            "not a url",
        ] {
            assert!(endpoint(u, false).is_err(), "{u}");
        }
        for u in [
            "https://fcm.googleapis.com/fcm/send/abc",
            "https://updates.push.services.mozilla.com/wpush/v2/x",
            "https://8.8.8.8/x",
        ] {
            assert!(endpoint(u, false).is_ok(), "{u}");
        }
        assert!(endpoint("http://127.0.0.1:9/push", true).is_ok());
        assert!(endpoint("ftp://127.0.0.1/x", true).is_err());
        let long = format!("https://push.example.net/{}", "a".repeat(1_000));
        assert!(endpoint(&long, false).is_err());
    }
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier;

    #[test]
    fn the_header_carries_a_jwt_signed_by_the_key_it_names_for_the_endpoints_origin() {
        let (private, public) = Vapid::generate().unwrap();
        let v = Vapid::new(&private, "mailto:ops@example.cn").unwrap();
        assert_eq!(v.public_key(), public);
        let now = DateTime::from_timestamp(1_767_225_600, 0).unwrap();
        let h = v
            .authorization("https://push.example.net:8443/send/abc?x=1", now)
            .unwrap();
        let (t, k) = h
            .strip_prefix("vapid t=")
            .and_then(|r| r.split_once(", k="))
            .unwrap();
        assert_eq!(k, public);
        let parts: Vec<&str> = t.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["aud"], "https://push.example.net:8443");
        assert_eq!(claims["exp"], 1_767_225_600 + 12 * 3600);
        assert_eq!(claims["sub"], "mailto:ops@example.cn");
        let key = VerifyingKey::from_sec1_bytes(&B64.decode(k).unwrap()).unwrap();
        let sig = Signature::from_slice(&B64.decode(parts[2]).unwrap()).unwrap();
        let input = format!("{}.{}", parts[0], parts[1]);
        key.verify(input.as_bytes(), &sig).unwrap();
        assert!(key.verify(b"something else", &sig).is_err());
    }

    #[test]
    fn bad_keys_and_endpoints_are_refused_with_a_reason() {
        assert!(matches!(
            Vapid::new("not base64!", "x"),
            Err(VapidError::BadKey(_))
        ));
        assert!(matches!(
            Vapid::new(&B64.encode([1u8; 16]), "x"),
            Err(VapidError::BadKey(_))
        ));
        assert!(matches!(
            Vapid::new(&B64.encode([0u8; 32]), "x"),
            Err(VapidError::BadKey(_))
        ));
        let (private, _) = Vapid::generate().unwrap();
        let v = Vapid::new(&private, "mailto:a@b").unwrap();
        assert!(matches!(
            v.authorization("not a url", Utc::now()),
            Err(VapidError::BadEndpoint(_))
        ));
    }

    #[test]
    fn a_push_topic_is_short_and_stable() {
        let t = topic("12:l1:7:1:push:3");
        assert_eq!(t.len(), 32);
        assert_eq!(t, topic("12:l1:7:1:push:4"), "one topic per page");
        assert_ne!(t, topic("12:l1:7:2:push:1"));
    }
}
