//! The HTTP API (actix-web): alarm intake, the operator console, crews' phones, investigators'
//! timelines, the registry and tokens, and the ops endpoints.
//!
//! - [`routes`]: the one route table (method, path, roles, schemas, handler) that the router,
//!   the OpenAPI document and the tests all read.
//! - [`auth`]: bearer tokens (only their SHA-256 is stored) and the per-route role check, run
//!   before any body is read.
//! - [`error`]: the one error type and its JSON shape; [`body`]: JSON bodies whose errors
//!   name the field; [`query`]: query strings, likewise.
//! - handlers by audience: [`ops`], [`intake`], [`machine`] (signed IoT batches, cabin-phone
//!   calls; [`rate`] limits them per source), [`operator`], [`crew`] and [`crew_page`] (the
//!   page crews open from a page), [`paging`] (delivery receipts, messages, push
//!   subscriptions), [`investigator`], [`registry`]; [`openapi`] and [`docs_page`] describe
//!   them.
//!
//! Handlers are thin: parse into domain types, call the store, the inbox or the desk, map the
//! answer. Everything a request carries is checked before anything is committed, so a refused
//! request changes nothing.

pub mod auth;
pub mod body;
pub mod console_page;
pub mod crew;
pub mod crew_page;
pub mod docs_page;
pub mod equipment;
pub mod error;
pub mod export;
pub mod feed;
pub mod intake;
pub mod investigator;
pub mod machine;
pub mod openapi;
pub mod operator;
pub mod ops;
pub mod page_assets;
pub mod paging;
pub mod proof;
pub mod quality;
pub mod query;
pub mod rate;
pub mod registry;
pub mod report;
pub mod review;
pub mod review_page;
pub mod routes;
pub mod rules;
mod state;
pub mod storm;

pub use state::AppState;
#[cfg(test)]
mod tests;

use actix_web::{App, HttpRequest, HttpServer, middleware, web};
use error::ApiError;

/// Waits for the desk's answer at most `store.request_timeout`: a desk held up by its log
/// append on a database that went silent answers 503 with `Retry-After` rather than holding
/// the request until the link comes back. A command already handed over may still be decided
/// and recorded when the database answers; the answer says it is not confirmed.
pub(crate) async fn within_deadline<T>(
    state: &AppState,
    call: impl std::future::Future<Output = Result<T, crate::desk::DeskError>>,
) -> Result<T, ApiError> {
    let limit = state.settings.store.request_timeout;
    match tokio::time::timeout(limit, call).await {
        Ok(answer) => answer.map_err(ApiError::from),
        Err(_) => Err(crate::store::StoreError::TimedOut(limit).into()),
    }
}

/// Registers the routes, the 404/405 fallbacks and the extractor configuration. The caller
/// adds `web::Data<AppState>` (bodies read their size limit from its settings).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::QueryConfig::default().error_handler(query::query_error))
        .app_data(web::PathConfig::default().error_handler(path_error));
    routes::register(cfg);
}

/// A path segment that does not parse (`/incidents/abc`) names nothing that exists.
fn path_error(err: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    tracing::debug!(error = %err, "unparseable path segment");
    ApiError::NotFound(req.path().to_owned()).into()
}

/// Bodies are read by [`body::JsonBody`]; this only covers a stray `web::Json`.
fn json_error(err: actix_web::error::JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    match err {
        E::Overflow { limit } | E::OverflowKnownLength { limit, .. } => ApiError::TooLarge(limit),
        E::ContentType => ApiError::UnsupportedMediaType,
        other => ApiError::InvalidJson {
            message: other.to_string(),
            field: None,
        },
    }
    .into()
}

/// Starts the HTTP server on `listener` with two workers. Signals are left to the service,
/// which stops the server and then drains the desk.
pub fn server(
    listener: std::net::TcpListener,
    state: AppState,
) -> std::io::Result<actix_web::dev::Server> {
    let limit = state.settings.max_body_bytes;
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(
                web::JsonConfig::default()
                    .limit(limit)
                    .error_handler(json_error),
            )
            .wrap(middleware::Compress::default())
            .configure(configure)
    })
    .listen(listener)?
    .workers(2)
    .disable_signals()
    .run();
    Ok(server)
}
