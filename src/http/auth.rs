//! Bearer tokens and roles.
//!
//! A token is a random secret; the store keeps only its SHA-256 (hex), so a leaked database
//! does not leak working tokens. Every protected route is wrapped (in [`super::routes`]) with
//! [`authorize`], which runs before any extractor: an unauthenticated request gets 401 and a
//! wrong role 403 before its body or query is even looked at. The [`Caller`] it finds is put in
//! the request's extensions, where handlers take it as an extractor.

use super::error::ApiError;
use crate::domain::UnitId;
use crate::http::AppState;
use crate::store::{Role, Store, StoreError};
use actix_web::body::BoxBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use sha2::{Digest, Sha256};
use std::future::{Ready, ready};

/// Who is calling, from their token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's id.
    pub token_id: i64,
    /// The SHA-256 of its secret (what the store keeps), to look the token up again: an open
    /// live feed does every ping ([`Caller::still_valid`]).
    pub token_hash: String,
    /// Its role.
    pub role: Role,
    /// The unit, for crew tokens.
    pub unit: Option<UnitId>,
    /// The human label; operator actions are recorded under it.
    pub label: String,
}

impl Caller {
    /// The crew's unit; a crew token without one is refused.
    pub fn crew_unit(&self) -> Result<UnitId, ApiError> {
        match (self.role, self.unit) {
            (Role::Crew, Some(unit)) => Ok(unit),
            _ => Err(ApiError::Forbidden),
        }
    }

    /// Whether the caller's token is still in the store, as it was (read from the database,
    /// past the 30 s cache, which is left agreeing). A token removed from the database (the
    /// way one is revoked: `ops/runbooks/rotating-tokens.md`) is not, on whichever node it was
    /// removed.
    pub async fn still_valid(&self, store: &dyn Store) -> Result<bool, StoreError> {
        let row = store.token_afresh(&self.token_hash).await?;
        Ok(
            row.is_some_and(|r| {
                r.id == self.token_id && r.role == self.role && r.unit == self.unit
            }),
        )
    }
}

/// SHA-256 of a secret, lowercase hex: what the store keeps.
pub fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new random secret: 32 random bytes as 64 hex digits (two v4 UUIDs' random bytes from
/// the operating system's generator).
pub fn new_secret() -> String {
    let a = uuid::Uuid::new_v4();
    let b = uuid::Uuid::new_v4();
    format!("{}{}", hex::encode(a.as_bytes()), hex::encode(b.as_bytes()))
}

/// Middleware for a route open to `roles`: 401 without a known token, 403 for another role,
/// answered here (not passed on as errors) so the JSON shape is the same everywhere.
pub async fn authorize(
    roles: &'static [Role],
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let caller = match authenticate(req.request()).await {
        Ok(c) if roles.contains(&c.role) => c,
        Ok(_) => return Ok(req.error_response(ApiError::Forbidden)),
        Err(e) => return Ok(req.error_response(e)),
    };
    req.extensions_mut().insert(caller);
    next.call(req).await
}

/// The secret of an `Authorization: Bearer <secret>` value. The scheme name is matched
/// without regard to case (RFC 7235 §2.1: `bearer`, `BEARER` are the same scheme), and the
/// spaces around the secret are not part of it.
fn bearer_secret(value: &str) -> Option<&str> {
    let (scheme, rest) = value.trim_start().split_once(' ')?;
    let secret = rest.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !secret.is_empty()).then_some(secret)
}

async fn authenticate(req: &HttpRequest) -> Result<Caller, ApiError> {
    let secret = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_secret)
        .ok_or(ApiError::Unauthorized)?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or(ApiError::Unavailable)?;
    let hash = token_hash(secret);
    let row = state
        .store
        .token(&hash)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(Caller {
        token_id: row.id,
        token_hash: hash,
        role: row.role,
        unit: row.unit,
        // The record names who acted: an unlabelled token is named by its id.
        label: if row.label.trim().is_empty() {
            format!("token {}", row.id)
        } else {
            row.label
        },
    })
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    /// The caller [`authorize`] found; a route that was not wrapped has none and answers 401.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Caller>()
                .cloned()
                .ok_or(ApiError::Unauthorized),
        )
    }
}

/// The `Idempotency-Key` header every crew POST carries (1 to 128 visible characters), with
/// the request it came on.
///
/// A key names one request: the answer is kept under the method and path as well as the key
/// ([`Self::stored`]), so a phone that reuses a key for another action (or another incident)
/// gets that action done, not the first action's answer replayed in its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// The key as sent.
    pub key: String,
    /// `POST /api/v1/crew/incidents/7/accept`.
    pub request: String,
}

impl IdempotencyKey {
    /// What the answer is stored under: the request and the key.
    pub fn stored(&self) -> String {
        format!("{} {}", self.request, self.key)
    }
}

/// The header's name.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let bad = |message: &str| ApiError::BadHeader {
            header: IDEMPOTENCY_KEY,
            message: message.to_owned(),
        };
        let key = match req.headers().get(IDEMPOTENCY_KEY) {
            None => Err(bad("required on every crew POST")),
            Some(v) => match v.to_str() {
                Ok(s) if (1..=128).contains(&s.trim().len()) => Ok(Self {
                    key: s.trim().to_owned(),
                    request: format!("{} {}", req.method(), req.path()),
                }),
                _ => Err(bad("must be 1 to 128 visible ASCII characters")),
            },
        };
        ready(key)
    }
}

#[cfg(test)]
mod tests {
    use super::bearer_secret;

    #[test]
    fn the_bearer_scheme_is_matched_in_any_case() {
        for value in ["Bearer abc", "bearer abc", "BEARER abc", "bEaReR   abc  "] {
            assert_eq!(bearer_secret(value), Some("abc"), "{value:?}");
        }
    }

    #[test]
    fn another_scheme_or_an_empty_secret_is_no_bearer_token() {
        for value in [
            "Basic abc",
            "Bearerabc",
            "Bearer ",
            "Bearer",
            "",
            "Token abc",
        ] {
            assert_eq!(bearer_secret(value), None, "{value:?}");
        }
    }
}
