//! Units with a base: paged from it when their fix is not fresh enough.

use super::*;

/// A fire/rescue unit of brigade 9 whose last fix (taken at `t(fix_secs)`) is at `fix_at`,
/// based at `base`.
fn station(fix_at: LatLon, fix_secs: i64, base: Option<LatLon>) -> Entry {
    Entry {
        kind: FireRescue,
        company: CompanyId(9),
        available: true,
        fix: Some(fix(fix_at, fix_secs)),
        base,
    }
}

/// The 5 nearest fire/rescue units to the centre, fixes taken before `t(fresh_secs)` stale.
fn fresh_query<'a>(travel: &'a TravelModel, fresh_secs: i64) -> Query<'a> {
    Query {
        kind: FireRescue,
        fresh_since: Some(t(fresh_secs)),
        ..query(travel, &nobody)
    }
}

#[test]
fn a_stale_unit_with_a_base_is_chosen_from_its_base_with_its_distance_and_reason() {
    let base = at(0.0, 1500.0);
    // Its stale fix is 10 km away, its base 1.5 km: the base counts.
    let index = index_of(vec![station(at(10_000.0, 0.0), -3600, Some(base))]);
    let travel = travel();
    let r = index.nearest(&fresh_query(&travel, -300));
    assert_eq!(ids(&r), [1]);
    let c = &r.chosen[0];
    assert!(c.from_base);
    assert_eq!(c.distance_m, YUZHONG.distance_m(base));
    assert_eq!(c.eta_secs, travel.eta_secs(FireRescue, c.distance_m) + 60);
    assert_eq!(c.fix_taken, Some(t(-3600)));
    assert_eq!(
        c.why,
        "nearest available fire_rescue (company 9): 1.50 km from its base, no fresh position \
         (last fix 23:00:00Z), ETA 5 min"
    );
    assert!(r.passed_over.is_empty(), "{:?}", r.passed_over);
}

#[test]
fn a_stale_unit_without_a_base_is_passed_over_as_stale() {
    let index = index_of(vec![
        station(at(0.0, 500.0), -3600, None),
        station(at(0.0, 2000.0), -3600, Some(at(0.0, 3000.0))),
    ]);
    let travel = travel();
    let r = index.nearest(&fresh_query(&travel, -300));
    assert_eq!(ids(&r), [2]);
    assert!(r.chosen[0].from_base);
    let stale = PassReason::StalePosition {
        fix_taken: t(-3600),
    };
    assert_eq!(passed(&r), [(1, stale)]);
    assert!(!r.passed_over[0].from_base);
}

#[test]
fn a_fresh_fix_counts_over_the_base_even_when_the_base_is_nearer() {
    let index = index_of(vec![
        station(at(0.0, 2000.0), 0, Some(at(0.0, 100.0))),
        station(at(0.0, 1000.0), 0, None),
    ]);
    let travel = travel();
    let r = index.nearest(&fresh_query(&travel, -300));
    assert_eq!(ids(&r), [2, 1]);
    assert!(r.chosen.iter().all(|c| !c.from_base));
    assert_eq!(r.chosen[1].distance_m, YUZHONG.distance_m(at(0.0, 2000.0)));
    assert!(
        r.chosen[1].why.contains("fix taken 00:00:00Z"),
        "{}",
        r.chosen[1].why
    );
}

#[test]
fn a_unit_that_never_reported_a_position_is_paged_from_its_base() {
    let mut never = station(at(0.0, 0.0), 0, Some(at(800.0, 0.0)));
    never.fix = None;
    let index = index_of(vec![never]);
    let travel = travel();
    let r = index.nearest(&fresh_query(&travel, -300));
    assert_eq!((ids(&r), r.unavailable), (vec![1], 0));
    assert_eq!(r.chosen[0].fix_taken, None);
    assert!(
        r.chosen[0]
            .why
            .contains("from its base, no fresh position (none reported)"),
        "{}",
        r.chosen[0].why
    );
}

#[test]
fn a_based_unit_moves_between_its_fix_and_its_base_as_its_fix_ages_and_is_renewed() {
    let base = at(0.0, 3000.0);
    let mut index = index_of(vec![station(at(0.0, 200.0), 0, Some(base))]);
    let travel = travel();
    // Fresh at t(0): at its fix.
    let r = index.nearest(&fresh_query(&travel, -300));
    assert!(!r.chosen[0].from_base);
    // Five minutes later the same fix is stale: at its base.
    let r = index.nearest(&fresh_query(&travel, 301));
    assert_eq!(r.chosen[0].distance_m, YUZHONG.distance_m(base));
    // A new fix brings it back to where it is.
    assert!(index.set_position(UnitId(1), fix(at(0.0, 700.0), 400)));
    let r = index.nearest(&fresh_query(&travel, 301));
    assert_eq!(r.chosen[0].distance_m, YUZHONG.distance_m(at(0.0, 700.0)));
    assert!(!r.chosen[0].from_base);
    // Busy: neither its fix nor its base is in the trees; counted once as unavailable.
    assert!(index.set_available(UnitId(1), false));
    let r = index.nearest(&fresh_query(&travel, 301));
    assert_eq!((ids(&r), r.unavailable), (vec![], 1));
    assert!(index.set_available(UnitId(1), true));
    index.remove(UnitId(1));
    let r = index.nearest(&fresh_query(&travel, 301));
    assert_eq!((ids(&r), r.unavailable), (vec![], 0));
}

#[test]
fn a_base_beyond_the_radius_is_reported_as_beyond_it_from_the_base() {
    let index = index_of(vec![station(at(0.0, 100.0), -3600, Some(at(0.0, 5000.0)))]);
    let travel = travel();
    let q = Query {
        max_distance_m: Some(2000.0),
        ..fresh_query(&travel, -300)
    };
    let r = index.nearest(&q);
    assert!(r.chosen.is_empty());
    assert_eq!(passed(&r), [(1, PassReason::BeyondRadius)]);
    assert!(r.passed_over[0].from_base);
}
