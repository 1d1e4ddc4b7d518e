//! `verify-log` reads and never writes: it verifies with a PostgreSQL role that may only
//! `SELECT` and a SQLite file that may only be read, changes neither, and refuses a database
//! that was never migrated instead of migrating it.

use crate::support::process::run;
use crate::support::{Api, Server, fresh_database, seeded, settings, token};
use liftrescue::store::Role;
use serde_json::json;
use sqlx::Connection;

/// Opens an incident through a server on `url`, so the log has rows, then stops the server.
async fn with_a_logged_incident(url: &str) {
    let store = seeded(url).await;
    let lift = store.lifts(None, 1).await.unwrap().remove(0);
    let server = Server::start(settings(url, "dispatch-rules")).await;
    let gateway = Api::new(
        &server.base,
        &token(store.as_ref(), Role::Integration, None).await,
    );
    let alarm = json!({"source_alarm_id": "ro-1", "lift": {"rescue_code": lift.rescue_code.as_str()}, "kind": "entrapment_between_floors"});
    let (status, body) = gateway.post("/api/v1/alarms", alarm).await;
    assert_eq!(status, 202, "{body}");
    server.stop().await;
}

fn verify(url: &str) -> (Option<i32>, String, String) {
    run(
        &["verify-log"],
        &[("LIFTRESCUE_DATABASE_URL", url), ("LIFTRESCUE_LOG", "warn")],
    )
}

/// What a read-only role could never hide: the migrations table and the log's size.
async fn footprint(conn: &mut sqlx::PgConnection) -> (Vec<(i64, Vec<u8>)>, i64) {
    let migrations =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    let rows = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    (migrations, rows)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_log_works_with_a_role_that_may_only_read_and_changes_nothing_on_postgres() {
    if std::env::var_os("LIFTRESCUE_TEST_DATABASE_URL").is_none() {
        println!("skipping: LIFTRESCUE_TEST_DATABASE_URL is unset");
        return;
    }
    let url = fresh_database("postgres").await;
    with_a_logged_incident(&url).await;
    let db = url.rsplit_once('/').unwrap().1.to_owned();
    let role = format!("{db}_reader");
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    for sql in [
        format!("CREATE ROLE {role} LOGIN"),
        format!("REVOKE ALL ON DATABASE {db} FROM PUBLIC"),
        "REVOKE ALL ON SCHEMA public FROM PUBLIC".to_owned(),
        format!("GRANT CONNECT ON DATABASE {db} TO {role}"),
        format!("GRANT USAGE ON SCHEMA public TO {role}"),
        format!("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .unwrap();
    }
    let before = footprint(&mut admin).await;
    assert!(before.1 > 0, "the log has rows");
    let mut reader_url = url::Url::parse(&url).unwrap();
    reader_url.set_username(&role).unwrap();
    let (code, out, err) = verify(reader_url.as_str());
    assert_eq!(code, Some(0), "stdout: {out}\nstderr: {err}");
    assert!(out.contains("event log intact"), "{out}");
    assert!(!err.contains("_sqlx_migrations"), "{err}");
    assert_eq!(footprint(&mut admin).await, before);

    // A database never migrated is refused, and stays unmigrated.
    let empty = fresh_database("postgres").await;
    let (code, _, err) = verify(&empty);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("never migrated"), "{err}");
    let mut conn = sqlx::PgConnection::connect(&empty).await.unwrap();
    let table: Option<String> = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(table, None, "verify-log migrated an empty database");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_log_works_on_a_sqlite_file_that_may_only_be_read_and_leaves_it_unchanged() {
    use std::os::unix::fs::PermissionsExt;
    let url = fresh_database("sqlite").await;
    with_a_logged_incident(&url).await;
    let path = std::path::PathBuf::from(url.trim_start_matches("sqlite:"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    let (code, out, err) = verify(&url);
    assert_eq!(code, Some(0), "stdout: {out}\nstderr: {err}");
    assert!(out.contains("event log intact"), "{out}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "the file changed");
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified
    );

    // A file that was never migrated is refused, and stays empty; a missing one is not made.
    let empty = path.with_file_name(format!("empty-{}.db", uuid::Uuid::new_v4().simple()));
    std::fs::write(&empty, b"").unwrap();
    let (code, _, err) = verify(&format!("sqlite:{}", empty.display()));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("never migrated"), "{err}");
    assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0);
    let missing = path.with_file_name(format!("missing-{}.db", uuid::Uuid::new_v4().simple()));
    let (code, _, err) = verify(&format!("sqlite:{}", missing.display()));
    assert_eq!(code, Some(1), "{err}");
    assert!(
        !missing.exists(),
        "verify-log created {}",
        missing.display()
    );
}
