//! The PostgreSQL pool and a server that closes its connections (a restart, an idle timeout).

use super::TestDb;
use super::inbox::{alarm, t};
use super::registry::full_lift;
use crate::domain::{AlarmSource, LiftRef};
use crate::store::NewAlarm;
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

/// PostgreSQL restarted under a busy server: every pooled connection was used within the last
/// second, so none is pinged, and each fails its next statement once. The inbox inserts go on
/// through them to a new connection: alarms arriving then are committed, not refused.
#[tokio::test]
async fn alarms_arriving_just_after_the_server_closed_every_connection_are_committed() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let s = db.store();
    let lift = full_lift(5);
    s.put_lifts(std::slice::from_ref(&lift)).await.unwrap();
    // Several statements at once, so the pool holds several connections.
    let (a, b, c, d) = tokio::join!(s.units(), s.units(), s.units(), s.units());
    assert!(a.is_ok() && b.is_ok() && c.is_ok() && d.is_ok());
    let closed = db.close_connections_server_side().await.unwrap_or_default();
    assert!(closed >= 2, "the pool held several connections: {closed}");
    let resolved = NewAlarm {
        lift_ref: LiftRef::Id(lift.id),
        ..alarm(AlarmSource::Iot, "after-restart-1")
    };
    let (receipt, found) = s
        .insert_alarm_for_lift(&resolved, t(1))
        .await
        .expect("committed on a new connection")
        .expect("the lift is registered");
    assert_eq!(found.id, lift.id);
    assert!(!receipt.duplicate);

    let closed = db.close_connections_server_side().await.unwrap_or_default();
    assert!(closed >= 1, "{closed}");
    let plain = s
        .insert_alarm(&alarm(AlarmSource::Iot, "after-restart-2"), t(2))
        .await
        .expect("committed on a new connection");
    assert!(!plain.duplicate);
    assert_eq!(s.inbox_depth().await.unwrap(), 2, "each alarm once");
}
