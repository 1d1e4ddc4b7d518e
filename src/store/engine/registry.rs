//! Registry writes and lookups, and units' last live fixes, for one engine (see `engine` for
//! why a macro).
//!
//! Puts are multi-row upserts of [`CHUNK`](super::CHUNK) rows in one transaction, so importing
//! a city's register is a few hundred statements, and a put either lands whole or not at all.
//! A rescue or registration code that another lift already holds makes the put fail; the
//! transaction is rolled back first and then the clash is looked up, so the error names the code.

/// Inherent registry methods on `$store`.
macro_rules! registry_ops {
    ($store:ty, $db:ty, $begin:literal) => {
        const _: () = {
            use std::collections::BTreeMap;
            use $crate::domain::{Lift, LiftRef, Unit};
            use $crate::store::engine::{CHUNK, clash_within, unique_violation};
            use $crate::store::rows::{LiftRow, UnitRow, enum_name};
            use $crate::store::{Company, StoreError, sql};

            impl $store {
                /// Upserts companies in one transaction.
                pub(crate) async fn put_companies_tx(
                    &self,
                    companies: &[Company],
                ) -> Result<(), StoreError> {
                    let last: BTreeMap<i64, &Company> =
                        companies.iter().map(|c| (c.id.0, c)).collect();
                    let rows: Vec<&Company> = last.into_values().collect();
                    let mut tx = self.pool.begin_with($begin).await?;
                    for chunk in rows.chunks(CHUNK) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new(sql::UPSERT_COMPANIES);
                        qb.push_values(chunk, |mut b, c| {
                            b.push_bind(c.id.0)
                                .push_bind(c.name.clone())
                                .push_bind(enum_name(&c.kind));
                        });
                        qb.push(sql::UPSERT_COMPANIES_TAIL);
                        qb.build().execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                /// Upserts lifts in one transaction; a code held by another lift is a conflict.
                pub(crate) async fn put_lifts_tx(&self, lifts: &[Lift]) -> Result<(), StoreError> {
                    let last: BTreeMap<i64, &Lift> = lifts.iter().map(|l| (l.id.0, l)).collect();
                    let rows: Vec<LiftRow> = last.values().map(|l| LiftRow::of(l)).collect();
                    if let Some(clash) = clash_within(&rows) {
                        return Err(StoreError::Conflict(clash));
                    }
                    let mut tx = self.pool.begin_with($begin).await?;
                    for chunk in rows.chunks(CHUNK) {
                        if let Err(e) = Self::upsert_lifts(chunk).build().execute(&mut *tx).await {
                            tx.rollback().await?;
                            return Err(self.lift_clash(chunk, e).await);
                        }
                    }
                    tx.commit().await?;
                    Ok(())
                }

                fn upsert_lifts(chunk: &[LiftRow]) -> sqlx::QueryBuilder<$db> {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(sql::UPSERT_LIFTS);
                    qb.push_values(chunk, |mut b, r| {
                        b.push_bind(r.id)
                            .push_bind(&r.rescue_code)
                            .push_bind(&r.registration_code)
                            .push_bind(&r.district)
                            .push_bind(&r.cabin_phone)
                            .push_bind(&r.device_id)
                            .push_bind(&r.address)
                            .push_bind(&r.building)
                            .push_bind(r.lat)
                            .push_bind(r.lon)
                            .push_bind(r.commissioned)
                            .push_bind(r.use_unit)
                            .push_bind(&r.use_unit_phone)
                            .push_bind(r.maintainer)
                            .push_bind(r.no_property_management)
                            .push_bind(r.no_maintenance_unit)
                            .push_bind(r.no_repair_fund)
                            .push_bind(&r.street);
                    });
                    qb.push(sql::UPSERT_LIFTS_TAIL);
                    qb
                }

                /// Names the code behind a failed lift put: the put itself has no clash
                /// (`clash_within`), so it is a lift of the failed chunk against a stored one.
                async fn lift_clash(&self, chunk: &[LiftRow], e: sqlx::Error) -> StoreError {
                    if unique_violation(&e).is_none() {
                        return StoreError::Database(e);
                    }
                    for r in chunk {
                        for (what, sql, code) in [
                            ("rescue code", sql::LIFT_ID_BY_RESCUE_CODE, &r.rescue_code),
                            (
                                "registration code",
                                sql::LIFT_ID_BY_REGISTRATION_CODE,
                                &r.registration_code,
                            ),
                        ] {
                            let holder: Result<Option<i64>, _> = sqlx::query_scalar(sql)
                                .bind(code)
                                .fetch_optional(&self.pool)
                                .await;
                            match holder {
                                Ok(Some(other)) if other != r.id => {
                                    return StoreError::Conflict(format!(
                                        "{what} {code} of lift {} is already used by lift {other}",
                                        r.id
                                    ));
                                }
                                Err(e) => return StoreError::Database(e),
                                _ => {}
                            }
                        }
                    }
                    StoreError::Conflict(format!("a lift's code is already in use: {e}"))
                }

                /// Upserts units in one transaction.
                pub(crate) async fn put_units_tx(&self, units: &[Unit]) -> Result<(), StoreError> {
                    let last: BTreeMap<i64, &Unit> = units.iter().map(|u| (u.id.0, u)).collect();
                    let rows = last
                        .values()
                        .map(|u| UnitRow::of(u))
                        .collect::<Result<Vec<_>, _>>()?;
                    let mut tx = self.pool.begin_with($begin).await?;
                    for chunk in rows.chunks(CHUNK) {
                        let mut qb = sqlx::QueryBuilder::<$db>::new(sql::UPSERT_UNITS);
                        qb.push_values(chunk, |mut b, r| {
                            b.push_bind(r.id)
                                .push_bind(&r.name)
                                .push_bind(&r.kind)
                                .push_bind(r.company)
                                .push_bind(&r.skills)
                                .push_bind(&r.phone)
                                .push_bind(r.on_duty)
                                .push_bind(r.fix_lat)
                                .push_bind(r.fix_lon)
                                .push_bind(r.fix_taken)
                                .push_bind(&r.contact_plan)
                                .push_bind(r.base_lat)
                                .push_bind(r.base_lon);
                        });
                        qb.push(sql::UPSERT_UNITS_TAIL);
                        qb.build().execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                /// Keeps the newest of these live fixes of each unit, in one transaction.
                pub(crate) async fn put_fixes_tx(
                    &self,
                    fixes: &[($crate::domain::UnitId, $crate::domain::Fix)],
                ) -> Result<(), StoreError> {
                    // One row per unit (an upsert may not touch a row twice), its newest fix.
                    let mut newest = BTreeMap::new();
                    for (unit, fix) in fixes {
                        let e = newest.entry(unit.0).or_insert(*fix);
                        if fix.taken > e.taken {
                            *e = *fix;
                        }
                    }
                    let rows: Vec<(i64, $crate::domain::Fix)> = newest.into_iter().collect();
                    let mut tx = self.pool.begin_with($begin).await?;
                    for chunk in rows.chunks(CHUNK) {
                        let mut q = sqlx::QueryBuilder::<$db>::new(sql::PUT_FIXES);
                        q.push_values(chunk, |mut b, (id, fix)| {
                            b.push_bind(*id)
                                .push_bind(fix.at.lat)
                                .push_bind(fix.at.lon)
                                .push_bind($crate::store::types::Ts(fix.taken));
                        });
                        q.push(sql::PUT_FIXES_TAIL);
                        q.build().execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                /// Resolves a lift reference (an unparsed one resolves to nothing).
                pub(crate) async fn find_lift_row(
                    &self,
                    r: &LiftRef,
                ) -> Result<Option<Lift>, StoreError> {
                    let q = match r {
                        LiftRef::Id(id) => sqlx::query_as(sql::LIFT_BY_ID).bind(id.0),
                        LiftRef::RescueCode(c) => {
                            sqlx::query_as(sql::LIFT_BY_RESCUE_CODE).bind(c.as_str())
                        }
                        LiftRef::RegistrationCode(c) => {
                            sqlx::query_as(sql::LIFT_BY_REGISTRATION_CODE).bind(c.as_str())
                        }
                        LiftRef::Phone(p) => sqlx::query_as(sql::LIFT_BY_PHONE).bind(p.as_str()),
                        LiftRef::Device(d) => sqlx::query_as(sql::LIFT_BY_DEVICE).bind(d.as_str()),
                        LiftRef::Unparsed(_) => return Ok(None),
                    };
                    let row: Option<LiftRow> = q.fetch_optional(&self.pool).await?;
                    row.map(LiftRow::decode).transpose()
                }
            }
        };
    };
}
pub(crate) use registry_ops;
