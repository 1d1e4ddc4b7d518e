//! HMAC-SHA256 signatures over a timestamp and a body: the one scheme for every signed request
//! that crosses the centre's edge. IoT platforms sign their alarm batches
//! (`POST /api/v1/intake/iot/{source}`, a secret per source), notification gateways sign their
//! receipts (`POST /api/v1/notify/receipts/{channel}`, the channel's receipt secret), and the
//! webhook gateway signs the pages it posts (`[notify.webhook] secret`).
//!
//! The sender sends the time it signed (epoch seconds) and the signature, e.g. in headers:
//!
//! ```text
//! X-Liftrescue-Timestamp: 1767225600
//! X-Liftrescue-Signature: sha256=5d41…   (lower- or upper-case hex; the "sha256=" prefix is optional)
//! ```
//!
//! The signature is `hex(HMAC-SHA256(secret, "{timestamp}.{body}"))`: the timestamp exactly as
//! sent, one `.`, then the raw body bytes, unchanged. Signing the timestamp with the body means a
//! captured request cannot be replayed later with a fresh time, and refusing times more than
//! `max_skew` away from our clock bounds how long a captured request stays usable (the inbox's
//! dedupe on the source alarm id covers the window). The comparison is constant-time
//! (`Mac::verify_slice`). [`sign`] computes the same value for integrators, tests and load tools.

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::time::Duration;

/// The header carrying the signing time, epoch seconds.
pub const TIMESTAMP: &str = "X-Liftrescue-Timestamp";
/// The header carrying the signature, hex, optionally after `sha256=`.
pub const SIGNATURE: &str = "X-Liftrescue-Signature";

/// Why a signed request was refused. The messages say nothing about the expected signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The source has an empty secret configured: nothing it sends can be trusted.
    #[error("no signing secret is configured for this source")]
    NoSecret,
    /// The timestamp is not a whole number of epoch seconds.
    #[error("timestamp {0:?} is not epoch seconds")]
    BadTimestamp(String),
    /// The timestamp is further from our clock than allowed (a replay, or a wrong clock).
    #[error(
        "timestamp is {} s {} our clock, at most {max_secs} s either way allowed",
        skew_secs.unsigned_abs(),
        if *skew_secs < 0 { "behind" } else { "ahead of" }
    )]
    Stale {
        /// Signed seconds from our clock to the timestamp (negative: in the past).
        skew_secs: i64,
        /// The allowed skew, seconds.
        max_secs: u64,
    },
    /// The signature is not hex, or not the HMAC of this timestamp and body under the secret.
    #[error("signature does not match")]
    Mismatch,
}

/// Checks `signature_hex` against `HMAC-SHA256(secret, "{timestamp}.{body}")` and the
/// timestamp against `now ± max_skew`.
pub fn verify_signature(
    secret: &[u8],
    timestamp: &str,
    body: &[u8],
    signature_hex: &str,
    now: DateTime<Utc>,
    max_skew: Duration,
) -> Result<(), SignatureError> {
    let mac = mac(secret, timestamp, body)?;
    let sent = timestamp_secs(timestamp)?;
    let skew_secs = sent.saturating_sub(now.timestamp());
    let max_secs = max_skew.as_secs();
    if skew_secs.unsigned_abs() > max_secs {
        return Err(SignatureError::Stale {
            skew_secs,
            max_secs,
        });
    }
    let hex_part = signature_hex.trim();
    let hex_part = hex_part.strip_prefix("sha256=").unwrap_or(hex_part);
    let signature = hex::decode(hex_part).map_err(|_| SignatureError::Mismatch)?;
    mac.verify_slice(&signature)
        .map_err(|_| SignatureError::Mismatch)
}

/// The signature a platform sends for `body` at `timestamp`: lower-case hex, no prefix.
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> Result<String, SignatureError> {
    Ok(hex::encode(
        mac(secret, timestamp, body)?.finalize().into_bytes(),
    ))
}

/// The MAC over `"{timestamp}.{body}"`.
fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> Result<Hmac<Sha256>, SignatureError> {
    if secret.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    // HMAC takes keys of any length; the error case cannot happen.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| SignatureError::NoSecret)?;
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(mac)
}

/// Epoch seconds: 1 to 12 ASCII digits (no sign, no fraction).
fn timestamp_secs(timestamp: &str) -> Result<i64, SignatureError> {
    let ok = (1..=12).contains(&timestamp.len()) && timestamp.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| timestamp.parse().ok())
        .flatten()
        .ok_or_else(|| SignatureError::BadTimestamp(timestamp.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"per-source secret";
    const BODY: &[u8] = br#"{"events":[]}"#;
    const SKEW: Duration = Duration::from_secs(300);

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600, 0).unwrap()
    }

    #[test]
    fn a_signature_made_by_the_documented_rule_is_accepted() {
        let sig = sign(SECRET, "1767225600", BODY).unwrap();
        assert_eq!(sig.len(), 64);
        assert_eq!(
            verify_signature(SECRET, "1767225600", BODY, &sig, now(), SKEW),
            Ok(())
        );
        let upper = format!("sha256={}", sig.to_uppercase());
        assert_eq!(
            verify_signature(SECRET, "1767225600", BODY, &upper, now(), SKEW),
            Ok(())
        );
    }

    #[test]
    fn the_signature_is_hmac_sha256_over_timestamp_dot_body() {
        // Computed outside Rust: python3 -c 'import hmac, hashlib; print(hmac.new(
        //   b"per-source secret", b"1767225600.{\"events\":[]}", hashlib.sha256).hexdigest())'
        let want = "edae8d81b2b8fa1ed5da52de74cc50bd9c41a87135c2300e1736502f4714ffea";
        assert_eq!(sign(SECRET, "1767225600", BODY).unwrap(), want);
    }

    #[test]
    fn a_wrong_secret_or_a_tampered_body_is_a_mismatch() {
        let sig = sign(SECRET, "1767225600", BODY).unwrap();
        let other = verify_signature(b"other secret", "1767225600", BODY, &sig, now(), SKEW);
        assert_eq!(other, Err(SignatureError::Mismatch));
        let tampered = br#"{"events":[{}]}"#;
        let e = verify_signature(SECRET, "1767225600", tampered, &sig, now(), SKEW);
        assert_eq!(e, Err(SignatureError::Mismatch));
        let e = verify_signature(SECRET, "1767225601", BODY, &sig, now(), SKEW);
        assert_eq!(
            e,
            Err(SignatureError::Mismatch),
            "the timestamp is signed too"
        );
        for junk in ["", "zz", &sig[..62]] {
            let e = verify_signature(SECRET, "1767225600", BODY, junk, now(), SKEW);
            assert_eq!(e, Err(SignatureError::Mismatch), "{junk:?}");
        }
    }

    #[test]
    fn a_stale_or_future_timestamp_is_refused_even_when_correctly_signed() {
        for (ts, skew, says) in [
            ("1767225299", -301, "timestamp is 301 s behind our clock"),
            ("1767225901", 301, "timestamp is 301 s ahead of our clock"),
        ] {
            let sig = sign(SECRET, ts, BODY).unwrap();
            let e = verify_signature(SECRET, ts, BODY, &sig, now(), SKEW).unwrap_err();
            assert_eq!(
                e,
                SignatureError::Stale {
                    skew_secs: skew,
                    max_secs: 300
                }
            );
            assert!(e.to_string().starts_with(says), "{e}");
        }
        let sig = sign(SECRET, "1767225300", BODY).unwrap();
        assert!(verify_signature(SECRET, "1767225300", BODY, &sig, now(), SKEW).is_ok());
    }

    #[test]
    fn a_timestamp_that_is_not_epoch_seconds_or_an_empty_secret_is_refused() {
        for ts in [
            "",
            "-5",
            "1767225600.5",
            "2026-01-01T00:00:00Z",
            "9999999999999",
        ] {
            let e = verify_signature(SECRET, ts, BODY, "00", now(), SKEW).unwrap_err();
            assert_eq!(e, SignatureError::BadTimestamp(ts.to_owned()));
        }
        let e = verify_signature(b"", "1767225600", BODY, "00", now(), SKEW);
        assert_eq!(e, Err(SignatureError::NoSecret));
    }
}
