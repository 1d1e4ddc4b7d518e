//! What someone with database rights could do: rewrite the log going around the append-only
//! triggers — one row edited alone (the chain breaks), or an edit with every later hash
//! recomputed (the chain verifies again).

use liftrescue::domain::EventKind;
use liftrescue::store::chain::{GENESIS, row_hash};
use std::collections::HashMap;

/// Turns off the append-only triggers, as a database superuser can.
async fn triggers_off(url: &str) {
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query("ALTER TABLE events DISABLE TRIGGER ALL")
            .execute(&pool)
            .await
            .unwrap();
        return;
    }
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    let triggers: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for (name,) in triggers {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP TRIGGER {name}")))
            .execute(&pool)
            .await
            .unwrap();
    }
}

/// One row's new content.
struct Row {
    seq: i64,
    reason: String,
    body: String,
    prev_hash: String,
    hash: String,
}

async fn update(url: &str, rows: &[Row]) {
    let sql = "UPDATE events SET reason = $1, body = $2, prev_hash = $3, hash = $4 WHERE seq = $5";
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        for r in rows {
            sqlx::query(sql)
                .bind(&r.reason)
                .bind(&r.body)
                .bind(&r.prev_hash)
                .bind(&r.hash)
                .bind(r.seq)
                .execute(&pool)
                .await
                .unwrap();
        }
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        for r in rows {
            sqlx::query(sql)
                .bind(&r.reason)
                .bind(&r.body)
                .bind(&r.prev_hash)
                .bind(&r.hash)
                .bind(r.seq)
                .execute(&pool)
                .await
                .unwrap();
        }
    }
}

/// Changes row `seq`'s reason to `reason` and recomputes every hash from there on with
/// `store::chain::row_hash`, seals' recorded hashes included: a whole chain that verifies.
pub async fn rewrite_whole_chain(url: &str, seq: i64, reason: &str) {
    triggers_off(url).await;
    let store = liftrescue::store::open(url).await.unwrap();
    let old = store.log_page(0, 1_000_000).await.unwrap();
    let mut prev = GENESIS.to_owned();
    let mut hashes: HashMap<i64, String> = HashMap::new();
    let mut rows = Vec::new();
    for r in old {
        let mut e = r.event.clone();
        if r.seq == seq {
            e.reason = reason.to_owned();
        }
        if let EventKind::LogSealed {
            sealed_seq,
            sealed_hash,
            ..
        } = &mut e.kind
        {
            *sealed_hash = hashes[sealed_seq].clone();
        }
        let body = serde_json::to_string(&e).unwrap();
        let hash = row_hash(&prev, r.seq, e.incident, e.at, &body);
        hashes.insert(r.seq, hash.clone());
        if r.seq >= seq {
            rows.push(Row {
                seq: r.seq,
                reason: e.reason.clone(),
                body,
                prev_hash: prev.clone(),
                hash: hash.clone(),
            });
        }
        prev = hash;
    }
    update(url, &rows).await;
}

/// Changes row `seq`'s reason column alone: the chain breaks there.
pub async fn edit_one_row(url: &str, seq: i64) {
    triggers_off(url).await;
    let sql = "UPDATE events SET reason = 'nothing happened' WHERE seq = $1";
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(sql).bind(seq).execute(&pool).await.unwrap();
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query(sql).bind(seq).execute(&pool).await.unwrap();
    }
}
