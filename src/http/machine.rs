//! Alarm intake from machines: IoT platforms posting signed batches ([`iot`]) and the telephony
//! gateway posting cabin-phone calls ([`phone`]). Both decode with the pure decoders of
//! [`crate::intake`] and commit through [`Inbox::accept`](crate::inbox::Inbox::accept), like
//! every other source.
//!
//! # Never dropped
//!
//! An alarm whose lift cannot be resolved here — an IoT device id or a cabin-phone number no
//! registered lift carries — is *accepted* all the same. The inbox pump resolves the lift; when
//! it cannot, the desk opens an incident marked "lift unresolved" that asks an operator
//! (`dispatch::alarm::open`, `needs_operator`). Refusing it would lose a trapped person.
//!
//! # State between requests
//!
//! Machine intake keeps two things between requests: the per-source rate-limit buckets
//! ([`super::rate`]) and each source's code map, loaded once. They must be shared by every
//! worker of the server (a bucket per worker would multiply the limit), so one
//! [`MachineIntake`] lives in [`AppState`](crate::http::AppState).

pub mod iot;
pub mod phone;

pub use iot::{BatchResults, EventError, EventResult, IotBatchIn, IotEventIn, post_iot};
pub use phone::{PhoneCallAnswer, PhoneCallIn, post_phone};

use super::error::ApiError;
use super::rate::{RateLimiter, retry_after_secs};
use crate::intake::CodeMap;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Code maps by source name; `Err` is a map that failed to load (logged once, when it did).
type CodeCache = HashMap<String, Result<Arc<CodeMap>, ()>>;

/// What machine intake keeps between requests, for one running service.
#[derive(Debug, Default)]
pub struct MachineIntake {
    limiter: RateLimiter,
    codes: Mutex<CodeCache>,
}

impl MachineIntake {
    /// Takes one request from `source`'s budget, or 429 with the wait (logged).
    pub fn admit(&self, source: &str, per_minute: u32) -> Result<(), ApiError> {
        let now = tokio::time::Instant::now();
        self.limiter.check(source, per_minute, now).map_err(|wait| {
            let retry_after_secs = retry_after_secs(wait);
            tracing::warn!(
                source,
                per_minute,
                retry_after_secs,
                "intake source rate limited"
            );
            ApiError::RateLimited {
                source: source.to_owned(),
                retry_after_secs,
            }
        })
    }

    /// `source`'s code map (`spec`: a built-in name or a TOML file path), loaded on first use
    /// and kept. One that does not load is logged once and answers 503 `misconfigured` until
    /// the configuration is fixed and the service restarted.
    pub fn codes(&self, source: &str, spec: &str) -> Result<Arc<CodeMap>, ApiError> {
        let mut cache = self.codes.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = cache.entry(source.to_owned()).or_insert_with(|| {
            CodeMap::load(spec).map(Arc::new).map_err(|e| {
                tracing::error!(
                    source,
                    codes = spec,
                    error = format!("{e:#}"),
                    "intake source's code map does not load: its requests answer 503"
                );
            })
        });
        entry
            .clone()
            .map_err(|()| ApiError::Misconfigured(source.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_map_loads_once_and_a_bad_one_is_refused_every_time() {
        let m = MachineIntake::default();
        assert_eq!(m.codes("x", "chongqing").unwrap().name(), "chongqing");
        for _ in 0..2 {
            let e = m.codes("y", "/nonexistent/codes.toml").unwrap_err();
            assert_eq!(e, ApiError::Misconfigured("y".into()));
        }
    }
}
