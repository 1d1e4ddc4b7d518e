//! The proof and export reads of the log, for one engine (see `engine` for why a macro): the daily
//! seals, a period's rows page by page, the incidents opened in a period and the last row of
//! each. All are reads: they never take the append lock.

/// Inherent review methods on `$store`.
macro_rules! proof_ops {
    ($store:ty, $db:ty) => {
        const _: () = {
            use chrono::{DateTime, Utc};
            use $crate::domain::IncidentId;
            use $crate::store::log_row::LogRow;
            use $crate::store::rows::IncidentDbRow;
            use $crate::store::types::Ts;
            use $crate::store::{IncidentRow, StoreError, StoredEvent, sql};

            impl $store {
                /// See [`Store::seals`](crate::store::Store::seals).
                pub(crate) async fn seal_rows(
                    &self,
                    before: i64,
                    limit: i64,
                ) -> Result<Vec<StoredEvent>, StoreError> {
                    let rows: Vec<LogRow> = sqlx::query_as(sql::SEALS)
                        .bind(before)
                        .bind(limit.max(0))
                        .fetch_all(&self.pool)
                        .await?;
                    rows.into_iter().map(LogRow::decode).collect()
                }

                /// See [`Store::log_period`](crate::store::Store::log_period).
                pub(crate) async fn log_period_rows(
                    &self,
                    from: DateTime<Utc>,
                    to: DateTime<Utc>,
                    after: i64,
                    limit: i64,
                ) -> Result<Vec<StoredEvent>, StoreError> {
                    let rows: Vec<LogRow> = sqlx::query_as(sql::LOG_PERIOD)
                        .bind(Ts(from))
                        .bind(Ts(to))
                        .bind(after)
                        .bind(limit.max(0))
                        .fetch_all(&self.pool)
                        .await?;
                    rows.into_iter().map(LogRow::decode).collect()
                }

                /// See [`Store::incidents_opened`](crate::store::Store::incidents_opened).
                pub(crate) async fn incidents_opened_rows(
                    &self,
                    from: DateTime<Utc>,
                    to: DateTime<Utc>,
                    after: i64,
                    limit: i64,
                ) -> Result<Vec<IncidentRow>, StoreError> {
                    let rows: Vec<IncidentDbRow> = sqlx::query_as(sql::INCIDENTS_OPENED)
                        .bind(Ts(from))
                        .bind(Ts(to))
                        .bind(after)
                        .bind(limit.max(0))
                        .fetch_all(&self.pool)
                        .await?;
                    rows.into_iter().map(IncidentDbRow::decode).collect()
                }

                /// See [`Store::incident_heads`](crate::store::Store::incident_heads).
                pub(crate) async fn incident_head_rows(
                    &self,
                    ids: &[IncidentId],
                ) -> Result<Vec<(IncidentId, i64, String)>, StoreError> {
                    let mut out = Vec::with_capacity(ids.len());
                    for chunk in ids.chunks($crate::store::engine::CHUNK) {
                        let mut q = sqlx::QueryBuilder::<$db>::new(sql::INCIDENT_HEADS_IN);
                        q.push_tuples(chunk, |mut b, id| {
                            b.push_bind(id.0);
                        });
                        let rows: Vec<(i64, i64, String)> =
                            q.build_query_as().fetch_all(&self.pool).await?;
                        out.extend(rows.into_iter().map(|(i, s, h)| (IncidentId(i), s, h)));
                    }
                    Ok(out)
                }
            }
        };
    };
}
pub(crate) use proof_ops;
