//! `GET /api/v1/incidents/{id}/report` (investigators and operators): the incident report as
//! a page to print (`format=html`, the default), as JSON or as CSV (one row per timeline
//! entry), in Chinese (`lang=zh`, the default) or English. Built by [`crate::review::report`]
//! from the incident's rows, its outbox messages, the company names and the log's head.

use super::error::ApiError;
use crate::domain::IncidentId;
use crate::http::AppState;
use crate::review::report::{self, Input};
use crate::review::report_words::Lang;
use crate::review::{report_html, report_text};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use std::collections::HashMap;

/// The report's query.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `html` (default: a page to print), `json` or `csv`.
    #[param(pattern = "^(html|json|csv)$")]
    pub format: Option<String>,
    /// `zh` (default) or `en` (the HTML page's language).
    #[param(pattern = "^(zh|en)$")]
    pub lang: Option<String>,
}

/// The report's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Html,
    Json,
    Csv,
}

fn parse(q: &ReportQuery) -> Result<(Format, Lang), ApiError> {
    let format = match q.format.as_deref() {
        None | Some("html") => Format::Html,
        Some("json") => Format::Json,
        Some("csv") => Format::Csv,
        Some(_) => return Err(ApiError::invalid("format", "html, json or csv")),
    };
    let lang = match q.lang.as_deref() {
        None => Lang::Zh,
        Some(s) => Lang::parse(s).ok_or_else(|| ApiError::invalid("lang", "zh or en"))?,
    };
    Ok((format, lang))
}

/// `GET /api/v1/incidents/{id}/report`.
pub async fn report(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let (format, lang) = parse(&query)?;
    let id = IncidentId(id.into_inner());
    let store = state.store.as_ref();
    let rows = store.timeline(id).await?;
    if rows.is_empty() {
        return Err(ApiError::NotFound(id.to_string()));
    }
    let messages = store.incident_messages(id).await?;
    let companies: HashMap<_, _> = store
        .companies()
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let head_seq = store.log_head().await?;
    let head_hash = store
        .log_page(head_seq - 1, 1)
        .await?
        .into_iter()
        .next()
        .map(|r| r.hash)
        .unwrap_or_default();
    let input = Input {
        rows: &rows,
        messages: &messages,
        companies: &companies,
        head: (head_seq, head_hash),
    };
    let built = report::build(&input, state.clock.now())
        .ok_or_else(|| ApiError::NotFound(id.to_string()))?;
    let name = format!("incident-{}-report", id.0);
    Ok(match format {
        Format::Json => HttpResponse::Ok().json(built),
        Format::Html => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((
                "Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
            ))
            .body(report_html::render(&built, lang)),
        Format::Csv => {
            // Writing to memory fails only on a bug; it is logged here, once.
            let text = report_text::csv(&built).map_err(|e| {
                tracing::error!(incident_id = id.0, error = %e, "write the report CSV");
                ApiError::Unavailable
            })?;
            HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((
                    "Content-Disposition",
                    format!("attachment; filename=\"{name}.csv\""),
                ))
                .body(text)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_format_or_language_the_report_does_not_have_is_refused() {
        let q = |f: Option<&str>, l: Option<&str>| ReportQuery {
            format: f.map(str::to_owned),
            lang: l.map(str::to_owned),
        };
        assert!(parse(&q(None, None)).is_ok_and(|p| p == (Format::Html, Lang::Zh)));
        assert!(parse(&q(Some("csv"), Some("en"))).is_ok_and(|p| p == (Format::Csv, Lang::En)));
        assert!(parse(&q(Some("pdf"), None)).is_err());
        assert!(parse(&q(None, Some("fr"))).is_err());
    }
}
