//! A standby's forwarding, on a real PostgreSQL database.

use super::{Forwarder, Request, Wakes};
use crate::cluster::Node;
use crate::desk::Forward;
use crate::domain::{Fix, UnitId, geo::LatLon};
use chrono::{TimeDelta, TimeZone, Utc};
use std::sync::Arc;
use std::time::Duration;

/// The requests written so far, oldest first.
async fn requests(pool: &sqlx::PgPool) -> Vec<Request> {
    let rows: Vec<sqlx::types::Json<Request>> =
        sqlx::query_scalar("SELECT request FROM desk_commands ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap();
    rows.into_iter().map(|r| r.0).collect()
}

#[tokio::test]
async fn live_positions_taken_while_a_row_is_written_go_as_one_row_of_each_units_newest_fix() {
    let Some(db) = crate::store::tests::TestDb::postgres().await else {
        return;
    };
    let pool = db.postgres_store().expect("PostgreSQL").pool().clone();
    let node = Node {
        name: "a".into(),
        instance: "a/test".into(),
        region: "default".into(),
    };
    let forwarder = Forwarder::new(
        pool.clone(),
        node,
        Arc::new(Wakes::default()),
        Duration::from_secs(1),
    );
    let t0 = Utc.with_ymd_and_hms(2026, 12, 7, 2, 0, 0).unwrap();
    let fix = |i: i64| Fix {
        at: LatLon::parse(29.55 + i as f64 * 1e-5, 106.57).unwrap(),
        taken: t0 + TimeDelta::seconds(i),
    };
    // 200 reports of 10 crews, sent before the forwarding task first runs (one thread), the
    // newest of each crew not always the last sent.
    for i in 0..200 {
        forwarder.position(UnitId(i % 10), fix(i));
    }
    forwarder.position(UnitId(3), fix(7));
    let written = loop {
        let written = requests(&pool).await;
        if !written.is_empty() {
            break written;
        }
        tokio::task::yield_now().await;
    };
    let [Request::Positions { fixes }] = written.as_slice() else {
        panic!("one row of positions: {written:?}");
    };
    let newest: Vec<(UnitId, Fix)> = (0..10).map(|u| (UnitId(u), fix(190 + u))).collect();
    assert_eq!(fixes, &newest);
}
