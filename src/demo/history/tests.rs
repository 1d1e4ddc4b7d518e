use super::*;
use crate::demo::{RegionSpec, region};

fn end() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
        .unwrap()
        .to_utc()
}

fn spec(days: u32, rate: Option<f64>) -> HistorySpec {
    HistorySpec {
        days,
        seed: 11,
        rate_per_day: rate,
    }
}

#[test]
fn the_same_seed_plans_the_same_history_and_another_seed_another() {
    let r = region(&RegionSpec::default(), end());
    let a = plan(&r, &spec(60, None), end());
    assert_eq!(a, plan(&r, &spec(60, None), end()));
    let other = HistorySpec {
        seed: 12,
        ..spec(60, None)
    };
    assert_ne!(a, plan(&r, &other, end()));
    assert!(a.incidents.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(a.faults.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(
        a.incidents
            .iter()
            .all(|p| p.at >= a.start && p.at < end() - TimeDelta::hours(3))
    );
}

#[test]
fn the_default_rate_is_chongqings_fifteen_a_day_per_two_hundred_thousand_lifts() {
    let r = region(&RegionSpec::default(), end());
    let p = plan(&r, &spec(365, None), end());
    let rescues = p
        .incidents
        .iter()
        .filter(|i| i.outcome == Outcome::Rescue)
        .count() as f64;
    // 15,000 lifts: 1.125 a day, 410 a year; Poisson noise is about 20.
    assert!((350.0..470.0).contains(&rescues), "{rescues}");
    let rated = plan(&r, &spec(30, Some(10.0)), end());
    let n = rated
        .incidents
        .iter()
        .filter(|i| i.outcome == Outcome::Rescue)
        .count();
    assert!((240..360).contains(&n), "{n}");
}

#[test]
fn older_lifts_and_the_worse_companies_trap_more_people_per_lift() {
    let r = region(&RegionSpec::default(), end());
    let p = plan(&r, &spec(365, Some(40.0)), end());
    let per_lift = |keep: &dyn Fn(&Lift) -> bool| {
        let lifts = r.lifts.iter().filter(|l| keep(l)).count() as f64;
        let hits = p
            .incidents
            .iter()
            .filter(|i| keep(&r.lifts[i.lift]))
            .count() as f64;
        hits / lifts
    };
    let age = |l: &Lift| {
        l.commissioned
            .map(|c| end().date_naive().years_since(c).unwrap_or(0))
            .unwrap_or(0)
    };
    let old = per_lift(&|l| age(l) >= 15);
    let new = per_lift(&|l| age(l) < 10);
    assert!(old > 2.0 * new, "old {old}, new {new}");
    let worse = per_lift(&|l| l.maintainer.is_some_and(|c| WORSE_COMPANIES.contains(&c)));
    let others = per_lift(&|l| l.maintainer.is_some_and(|c| !WORSE_COMPANIES.contains(&c)));
    assert!(worse > 1.8 * others, "worse {worse}, others {others}");
}

#[test]
fn urgent_flags_false_alarms_and_equipment_faults_all_occur() {
    let r = region(&RegionSpec::default(), end());
    let p = plan(&r, &spec(365, Some(15.0)), end());
    assert!(p.incidents.iter().any(|i| i.flags.person_ill));
    assert!(p.incidents.iter().any(|i| i.flags.child_alone));
    assert!(p.incidents.iter().any(|i| i.outcome == Outcome::FalseAlarm));
    assert!(p.incidents.iter().any(|i| i.outcome == Outcome::Cancelled));
    assert!(p.incidents.iter().any(|i| i.trapped.is_some()));
    assert!(p.incidents.iter().any(|i| i.second.is_some()));
    assert!(p.faults.iter().any(|f| f.terminal));
    assert!(p.faults.iter().any(|f| !f.terminal));
}
