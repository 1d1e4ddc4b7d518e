//! The bytes of the live feeds' Server-Sent Events frames, and the response body that carries
//! them.

use super::Stop;
use crate::desk::Committed;
use actix_web::body::{BodySize, MessageBody};
use actix_web::web::Bytes;
use serde::Serialize;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// The `log` frame of a live event: made by the first stream that sends it, shared after.
pub(super) fn live_frame(c: &Committed) -> Result<Bytes, Stop> {
    if let Some(b) = c.wire.get() {
        return Ok(b.clone());
    }
    let b = log_frame(c)?;
    Ok(c.wire.get_or_init(|| b).clone())
}

/// The `log` frame of an event: its sequence as the id, the event and its row.
pub(super) fn log_frame(c: &Committed) -> Result<Bytes, Stop> {
    let data = LogFrame {
        seq: c.seq,
        event: &c.event,
        row: &c.row,
    };
    frame_bytes("log", Some(c.seq), &data)
}

/// One SSE frame.
pub(super) fn frame_bytes(
    event: &str,
    id: Option<i64>,
    data: &impl Serialize,
) -> Result<Bytes, Stop> {
    let json = serde_json::to_string(data).map_err(|_| Stop::Gone)?;
    let mut text = String::with_capacity(json.len() + 40);
    if let Some(id) = id {
        text.push_str("id: ");
        text.push_str(&id.to_string());
        text.push('\n');
    }
    text.push_str("event: ");
    text.push_str(event);
    text.push_str("\ndata: ");
    text.push_str(&json);
    text.push_str("\n\n");
    Ok(Bytes::from(text))
}

#[derive(Serialize)]
struct LogFrame<'a> {
    seq: i64,
    event: &'a crate::domain::Event,
    row: &'a Option<crate::dispatch::IncidentView>,
}

/// The response body: frames as the stream makes them; dropped when the console goes.
pub(super) struct Frames(pub(super) mpsc::Receiver<Bytes>);

impl MessageBody for Frames {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        self.0.poll_recv(cx).map(|b| b.map(Ok))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::IncidentId;
    use crate::domain::{Actor, Event, EventKind};
    use std::sync::Arc;

    fn committed(seq: i64) -> Arc<Committed> {
        let event = Event {
            incident: Some(IncidentId(7)),
            at: chrono::Utc::now(),
            actor: Actor::System,
            step: None,
            rules_version: None,
            reason: "a \"quoted\" reason".into(),
            kind: EventKind::ReleaseConfirmed,
        };
        Arc::new(Committed::new(seq, event, None))
    }

    #[test]
    fn a_live_frame_is_made_once_and_shared() {
        let (a, b) = (committed(41), committed(41));
        let first = live_frame(&a).unwrap_or_else(|_| panic!("frame"));
        let again = live_frame(&a).unwrap_or_else(|_| panic!("frame"));
        // The same bytes, not a second serialization.
        assert_eq!(first.as_ptr(), again.as_ptr());
        // Another event (even with the same sequence) gets its own frame.
        let other = live_frame(&b).unwrap_or_else(|_| panic!("frame"));
        assert_ne!(first.as_ptr(), other.as_ptr());
        let text = std::str::from_utf8(&first).unwrap_or_default();
        assert!(
            text.starts_with("id: 41\nevent: log\ndata: {\"seq\":41,"),
            "{text}"
        );
        assert!(text.ends_with(",\"row\":null}\n\n"), "{text}");
        assert_eq!(first, log_frame(&a).unwrap_or_else(|_| panic!("frame")));
    }
}
