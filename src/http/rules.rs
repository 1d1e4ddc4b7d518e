//! `POST /api/v1/rules/reload` (admin): read the dispatch rules again from where the service
//! started them (see [`crate::desk::reload`]).

use super::auth::Caller;
use super::error::ApiError;
use super::routes::{Answer, answer};
use crate::desk::reload::{ReloadError, Reloaded};
use crate::http::AppState;
use actix_web::web;

/// The errors this route answers beyond the usual ones, for the OpenAPI document.
pub const RELOAD_ERRORS: &[Answer] = &[answer(
    422,
    "`bad_rules`: the rules have errors, every one listed in `error.errors` (file, line, key, \
     message); the running rules stay.",
)];

/// `POST /api/v1/rules/reload`: 200 `reloaded` with both versions (and `rules_reloaded` on
/// the log), 200 `unchanged` when the version is the running one (always so with the built-in
/// rules), 422 `bad_rules` listing every error while the running rules stay.
pub async fn reload(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<web::Json<Reloaded>, ApiError> {
    let by = if caller.label.is_empty() {
        format!("admin token {}", caller.token_id)
    } else {
        caller.label
    };
    match crate::desk::reload::reload(&state.desk, &state.rules, &by).await {
        Ok(r) => {
            tracing::info!(rules = %r.source, from = %r.from, to = %r.to, by, "{}", r.message);
            Ok(web::Json(r))
        }
        Err(ReloadError::Invalid { origin, errors }) => {
            tracing::warn!(rules = %origin, errors = errors.len(), by, "rules reload refused");
            Err(ApiError::BadRules {
                source: origin.to_string(),
                errors,
            })
        }
        Err(ReloadError::Desk(e)) => Err(e.into()),
    }
}
