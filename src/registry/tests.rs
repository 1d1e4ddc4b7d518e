use super::*;
use crate::store::tests::{TestDb, conformance};
use std::time::Instant;

fn now() -> DateTime<Utc> {
    crate::dispatch::tests::t0()
}

fn spec(lifts: usize) -> RegionSpec {
    RegionSpec {
        lifts,
        ..RegionSpec::default()
    }
}

conformance!(
    seeding_writes_the_demo_region_and_again_changes_nothing,
    |db| {
        let s = db.store();
        let spec = spec(2_500);
        let seeded = seed_demo(s, &spec, now()).await.unwrap();
        let r = region(&spec, now());
        assert_eq!(
            seeded,
            Seeded {
                companies: r.companies.len(),
                lifts: 2_500,
                units: r.units.len()
            }
        );
        assert_eq!(s.lift_count().await.unwrap(), 2_500);
        let mut stored = Vec::new();
        loop {
            let after = stored.last().map(|l: &crate::domain::Lift| l.id);
            let page = s.lifts(after, 1_000).await.unwrap();
            if page.is_empty() {
                break;
            }
            stored.extend(page);
        }
        assert_eq!(stored, r.lifts);
        assert_eq!(s.units().await.unwrap(), r.units);
        assert_eq!(s.companies().await.unwrap().len(), r.companies.len());
        seed_demo(s, &spec, now()).await.unwrap();
        assert_eq!(s.lift_count().await.unwrap(), 2_500);
        assert_eq!(s.units().await.unwrap(), r.units);
    }
);

/// How long seeding takes. Run with
/// `cargo test --release --lib registry::tests::seeding_time -- --ignored --nocapture`
/// (and `LIFTRESCUE_TEST_DATABASE_URL` for PostgreSQL).
#[tokio::test]
#[ignore = "a measurement, not a check"]
async fn seeding_time() {
    for lifts in [15_000, 250_000] {
        let mut dbs = vec![TestDb::sqlite().await];
        dbs.extend(TestDb::postgres().await);
        for db in dbs {
            let started = Instant::now();
            let generated = region(&spec(lifts), now());
            let generating = started.elapsed();
            seed_demo(db.store(), &spec(lifts), now()).await.unwrap();
            let took = started.elapsed() - generating;
            assert_eq!(db.store().lift_count().await.unwrap(), lifts as i64);
            let units = generated.units.len();
            println!(
                "{lifts} lifts, {units} units on {}: {took:.2?} (of which generating {generating:.2?})",
                db.engine()
            );
        }
    }
}
