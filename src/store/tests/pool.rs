//! The PostgreSQL pool: connections the server closed are not handed out after an idle spell.

use super::TestDb;
use crate::store::postgres::PING_IF_IDLE;
use std::time::Duration;

/// The pool pings only connections idle for [`PING_IF_IDLE`] or longer (a ping before every
/// statement would be a round trip on the alarm path): one the server closed while it sat idle
/// that long is replaced, and the store's next statement is answered.
#[tokio::test]
async fn a_connection_closed_while_idle_is_replaced_before_use() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let store = db.store();
    assert!(store.units().await.is_ok(), "a first statement");
    let closed = db.close_connections_server_side().await.unwrap_or_default();
    assert!(
        closed >= 1,
        "the store's idle connection was closed: {closed}"
    );
    // Idle time is the condition under test (sqlx measures it on the system clock), not a
    // stand-in for waiting on something.
    tokio::time::sleep(PING_IF_IDLE + Duration::from_millis(200)).await;
    let after = store.units().await;
    assert!(after.is_ok(), "answered on a new connection: {after:?}");
}
