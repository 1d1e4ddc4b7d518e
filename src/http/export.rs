//! `GET /api/v1/export` (roles `investigator` and `admin`): one part of a period's export —
//! events or incidents, CSV or JSON Lines — streamed page by page (see [`crate::export`]), with
//! a `Content-Disposition` file name. The query is checked before anything is sent; a store
//! failure mid-way aborts the response, so a cut download never looks complete.

use super::error::ApiError;
use crate::export::{EventPages, Format, IncidentPages, Period, lines};
use crate::http::AppState;
use actix_web::body::{BodySize, MessageBody};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// What to export.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// The period's start: a date (`2026-12-01`, from its midnight in the seal's UTC offset,
    /// China time by default) or an RFC 3339 time.
    #[param(pattern = r"^\d{4}-\d{2}-\d{2}(T.+)?$")]
    pub from: String,
    /// The period's end: a date (through its end) or an RFC 3339 time (excluded).
    #[param(pattern = r"^\d{4}-\d{2}-\d{2}(T.+)?$")]
    pub to: String,
    /// `csv` (default) or `jsonl`.
    #[param(pattern = "^(csv|jsonl)$")]
    pub format: Option<String>,
    /// `events` (default): the log rows in the period; `incidents`: those opened in it.
    #[param(pattern = "^(events|incidents)$")]
    pub what: Option<String>,
}

/// `GET /api/v1/export?from&to&format&what`.
pub async fn export(
    state: web::Data<AppState>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let offset = state.settings.review.seal_utc_offset;
    let period =
        Period::parse(&q.from, &q.to, offset).map_err(|e| ApiError::invalid(e.field, e.message))?;
    let format = Format::parse(q.format.as_deref().unwrap_or("csv"))
        .map_err(|e| ApiError::invalid("format", e))?;
    let events = match q.what.as_deref().unwrap_or("events") {
        "events" => true,
        "incidents" => false,
        other => {
            return Err(ApiError::invalid(
                "what",
                format!("{other:?} is not events or incidents"),
            ));
        }
    };
    let (tx, rx) = mpsc::channel(4);
    let store = state.store.clone();
    tokio::spawn(async move {
        if format == Format::Csv
            && tx
                .send(Ok(Bytes::from(lines::csv_header(events))))
                .await
                .is_err()
        {
            return;
        }
        let result = if events {
            stream_events(EventPages::new(store, period), format, &tx).await
        } else {
            stream_incidents(IncidentPages::new(store, period), format, &tx).await
        };
        if let Err(e) = result {
            tracing::error!(error = %e, "export stopped: could not read the store");
            let _ = tx.send(Err(std::io::Error::other("export stopped"))).await;
        }
    });
    let (ext, ty) = match format {
        Format::Csv => ("csv", "text/csv; charset=utf-8"),
        Format::Jsonl => ("jsonl", "application/x-ndjson"),
    };
    let name = format!(
        "liftrescue-{}-{}-{}.{ext}",
        if events { "events" } else { "incidents" },
        period.from.format("%Y%m%dT%H%M%SZ"),
        period.to.format("%Y%m%dT%H%M%SZ"),
    );
    Ok(HttpResponse::Ok()
        .content_type(ty)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(Chunks(rx)))
}

type Tx = mpsc::Sender<Result<Bytes, std::io::Error>>;

async fn stream_events(
    mut pages: EventPages,
    format: Format,
    tx: &Tx,
) -> Result<(), crate::store::StoreError> {
    while let Some(page) = pages.next().await? {
        if tx
            .send(Ok(Bytes::from(lines::events(&page, format))))
            .await
            .is_err()
        {
            break;
        }
    }
    Ok(())
}

async fn stream_incidents(
    mut pages: IncidentPages,
    format: Format,
    tx: &Tx,
) -> Result<(), crate::store::StoreError> {
    while let Some(page) = pages.next().await? {
        if tx
            .send(Ok(Bytes::from(lines::incidents(&page, format))))
            .await
            .is_err()
        {
            break;
        }
    }
    Ok(())
}

/// The response body: chunks as the reader sends them; an error item aborts the response.
struct Chunks(mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl MessageBody for Chunks {
    type Error = std::io::Error;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        self.0.poll_recv(cx)
    }
}
