//! Opening stores by URL (SQLite only: the PostgreSQL suite opens fresh databases itself).

use super::log::{duty, replay};
use super::scenarios::full_rescue;
use crate::store::{open, verify_log};

#[tokio::test]
async fn an_in_memory_sqlite_store_keeps_its_data_between_calls() {
    let store = open("sqlite::memory:").await.unwrap();
    assert_eq!(store.engine(), "sqlite");
    store.ping().await.unwrap();
    let rows = replay(store.as_ref(), &full_rescue()).await;
    assert_eq!(store.log_page(0, 1_000).await.unwrap(), rows);
    assert!(verify_log(store.as_ref()).await.unwrap().is_intact());
    let other = open("sqlite::memory:").await.unwrap();
    assert!(
        other.log_page(0, 10).await.unwrap().is_empty(),
        "each is its own database"
    );
}

#[tokio::test]
async fn a_missing_sqlite_file_is_created_and_reopening_it_keeps_the_log() {
    let path = std::env::temp_dir().join(format!("liftrescue-open-{}.db", uuid::Uuid::new_v4()));
    let url = format!("sqlite:{}", path.display());
    {
        let store = open(&url).await.unwrap();
        store
            .append(&[duty(1, false), duty(1, true)])
            .await
            .unwrap();
    }
    let store = open(&url).await.unwrap();
    store.append(&[duty(2, false)]).await.unwrap();
    let report = verify_log(store.as_ref()).await.unwrap();
    assert_eq!((report.rows, report.broken), (3, None));
    drop(store);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[tokio::test]
async fn a_url_for_another_database_is_refused_with_the_url() {
    let e = open("mysql://localhost/lifts").await.err().unwrap();
    assert!(e.to_string().contains("mysql://localhost/lifts"), "{e}");
}
