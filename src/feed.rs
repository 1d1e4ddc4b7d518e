//! The live feed the consoles follow: what the desk committed, in log order, each with its log
//! sequence. A console that missed some (a dropped connection, a slow network) is served them
//! from the log, never from memory, so it loses nothing.
//!
//! The feed's source sits behind [`FeedSource`]: [`LocalFeed`] follows this node's desk; a
//! node without the desk follows another node's committed events the same way. A crew's feed
//! is the same stream filtered to its own unit by [`crew::CrewScope`].

pub mod crew;

use crate::desk::{Board, Committed, DeskError, DeskHandle};
use crate::domain::IncidentId;
use crate::store::{Store, StoreError};
use std::sync::Arc;
use tokio::sync::{broadcast, watch};

/// Why the feed could not answer.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// Reading the log failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The desk did not answer.
    #[error(transparent)]
    Desk(#[from] DeskError),
}

/// Where a console's committed events come from.
#[async_trait::async_trait]
pub trait FeedSource: Send + Sync {
    /// Committed events from now on, each at most once, in log order (a receiver that falls
    /// too far behind is told how many it lost and catches up with [`since`](Self::since)).
    fn subscribe(&self) -> broadcast::Receiver<Arc<Committed>>;
    /// The sequence of the log's last committed event.
    async fn head(&self) -> Result<i64, FeedError>;
    /// Up to `limit` committed events after `after`, from the log (without rows).
    async fn since(&self, after: i64, limit: i64) -> Result<Vec<Committed>, FeedError>;
    /// The board: the open incidents (or the named ones) as rows, at a log sequence.
    async fn board(&self, ids: Option<Vec<IncidentId>>) -> Result<Board, FeedError>;
    /// Becomes `true` when the node stops: every stream ends, so the consoles reconnect
    /// (elsewhere, or here after the restart) instead of holding the stop up.
    fn closing(&self) -> watch::Receiver<bool>;
    /// Ends every stream (the node is stopping).
    fn close(&self);
}

/// The feed of this node's own desk.
pub struct LocalFeed {
    desk: DeskHandle,
    store: Arc<dyn Store>,
    closing: watch::Sender<bool>,
}

impl LocalFeed {
    /// Follows `desk`, reading missed events from `store`'s log.
    pub fn new(desk: DeskHandle, store: Arc<dyn Store>) -> Self {
        LocalFeed {
            desk,
            store,
            closing: watch::Sender::new(false),
        }
    }
}

#[async_trait::async_trait]
impl FeedSource for LocalFeed {
    fn subscribe(&self) -> broadcast::Receiver<Arc<Committed>> {
        self.desk.subscribe_committed()
    }

    async fn head(&self) -> Result<i64, FeedError> {
        Ok(self.store.log_head().await?)
    }

    async fn since(&self, after: i64, limit: i64) -> Result<Vec<Committed>, FeedError> {
        let rows = self.store.log_page(after, limit).await?;
        Ok(rows
            .into_iter()
            .map(|r| Committed::new(r.seq, r.event, None))
            .collect())
    }

    async fn board(&self, ids: Option<Vec<IncidentId>>) -> Result<Board, FeedError> {
        Ok(self.desk.board(ids).await?)
    }

    fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    fn close(&self) {
        self.closing.send_replace(true);
    }
}
