//! Shared by the benchmarks (included with `#[path]`): a fresh PostgreSQL database.

/// Drops and recreates database `name` on the server `admin` names; its URL.
pub async fn fresh_pg(admin: &str, name: &str) -> String {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(admin)
        .await
        .unwrap_or_else(|e| panic!("connect {admin}: {e}"));
    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    let _ = sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&mut c).await;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut c)
        .await
        .unwrap_or_else(|e| panic!("create database {name}: {e}"));
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    format!("{base}/{name}")
}
