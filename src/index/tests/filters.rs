//! One test per filter of a query.

use super::*;

#[test]
fn the_nearest_available_units_come_first_with_haversine_distances() {
    let index = index_of(vec![
        unit(Maintainer, 1, at(3000.0, 0.0)),
        unit(Maintainer, 1, at(0.0, 1000.0)),
        unit(Maintainer, 1, at(-2000.0, -10.0)),
    ]);
    let travel = travel();
    let r = index.nearest(&query(&travel, &nobody));
    assert_eq!(ids(&r), [2, 3, 1]);
    assert_eq!(r.chosen[0].distance_m, YUZHONG.distance_m(at(0.0, 1000.0)));
    assert_eq!(
        r.chosen[0].eta_secs,
        travel.eta_secs(Maintainer, r.chosen[0].distance_m)
    );
    assert_eq!(r.chosen[0].fix_taken, Some(t(0)));
    assert!(r.passed_over.is_empty());
    assert_eq!(r.unavailable, 0);
}

#[test]
fn only_units_of_the_wanted_kind_are_chosen() {
    let index = index_of(vec![
        unit(FireRescue, 1, at(10.0, 0.0)),
        unit(Maintainer, 1, at(500.0, 0.0)),
        unit(PropertyStaff, 1, at(20.0, 0.0)),
    ]);
    let travel = travel();
    let mut q = query(&travel, &nobody);
    assert_eq!(ids(&index.nearest(&q)), [2]);
    q.kind = FireRescue;
    assert_eq!(ids(&index.nearest(&q)), [1]);
}

#[test]
fn a_company_filter_chooses_only_that_companys_units_and_counts_its_unavailable() {
    let mut off_duty = unit(Maintainer, 17, at(5.0, 0.0));
    off_duty.available = false;
    let index = index_of(vec![
        unit(Maintainer, 4, at(10.0, 0.0)),
        unit(Maintainer, 17, at(900.0, 0.0)),
        unit(Maintainer, 17, at(400.0, 0.0)),
        off_duty,
        unit(Maintainer, 4, at(20.0, 0.0)),
    ]);
    let travel = travel();
    let mut q = query(&travel, &nobody);
    q.company = Some(CompanyId(17));
    let r = index.nearest(&q);
    assert_eq!(ids(&r), [3, 2]);
    assert_eq!(r.unavailable, 1);
    q.company = Some(CompanyId(4));
    assert_eq!(
        (ids(&index.nearest(&q)), index.nearest(&q).unavailable),
        (vec![1, 5], 0)
    );
}

#[test]
fn off_duty_busy_and_unpositioned_units_are_counted_as_unavailable_not_chosen() {
    let mut busy = unit(Maintainer, 1, at(1.0, 0.0));
    busy.available = false;
    let mut lost = unit(Maintainer, 1, at(0.0, 0.0));
    lost.fix = None;
    let index = index_of(vec![busy, lost, unit(Maintainer, 1, at(800.0, 0.0))]);
    let travel = travel();
    let r = index.nearest(&query(&travel, &nobody));
    assert_eq!((ids(&r), r.unavailable), (vec![3], 2));
}

#[test]
fn stale_positions_are_passed_over_with_their_fix_time() {
    let mut stale = unit(Maintainer, 1, at(100.0, 0.0));
    stale.fix = Some(fix(at(100.0, 0.0), -600));
    let index = index_of(vec![stale, unit(Maintainer, 1, at(200.0, 0.0))]);
    let travel = travel();
    let mut q = query(&travel, &nobody);
    q.fresh_since = Some(t(-60));
    let r = index.nearest(&q);
    assert_eq!(ids(&r), [2]);
    let reason = PassReason::StalePosition { fix_taken: t(-600) };
    assert_eq!(passed(&r), [(1, reason)]);
    assert_eq!(
        r.passed_over[0].distance_m,
        YUZHONG.distance_m(at(100.0, 0.0))
    );
    q.fresh_since = Some(t(-600));
    assert_eq!(
        ids(&index.nearest(&q)),
        [1, 2],
        "a fix taken exactly at the limit is fresh"
    );
}

#[test]
fn excluded_units_are_passed_over() {
    let index = index_of(vec![
        unit(Maintainer, 1, at(100.0, 0.0)),
        unit(Maintainer, 1, at(200.0, 0.0)),
        unit(Maintainer, 1, at(300.0, 0.0)),
    ]);
    let travel = travel();
    let already_paged = |id: UnitId| id == UnitId(1);
    let mut q = query(&travel, &already_paged);
    q.k = 1;
    let r = index.nearest(&q);
    assert_eq!(ids(&r), [2]);
    assert_eq!(passed(&r), [(1, PassReason::Excluded)]);
}

#[test]
fn the_radius_ends_the_walk_and_reports_the_nearest_unit_beyond_it() {
    let index = index_of(vec![
        unit(Maintainer, 1, at(900.0, 0.0)),
        unit(Maintainer, 1, at(0.0, 1500.0)),
        unit(Maintainer, 1, at(0.0, -1200.0)),
    ]);
    let travel = travel();
    let mut q = query(&travel, &nobody);
    q.max_distance_m = Some(1000.0);
    let r = index.nearest(&q);
    assert_eq!(ids(&r), [1]);
    assert_eq!(passed(&r), [(3, PassReason::BeyondRadius)]);
    q.k = 1;
    assert!(
        index.nearest(&q).passed_over.is_empty(),
        "k found: nothing beyond is looked at"
    );
}

#[test]
fn ties_in_distance_are_broken_by_unit_id() {
    let spot = at(700.0, 700.0);
    let mut index = UnitIndex::new(YUZHONG);
    for id in [9, 3, 7, 5] {
        index.upsert(UnitId(id), unit(Maintainer, 1, spot));
    }
    let travel = travel();
    let mut q = query(&travel, &nobody);
    q.k = 3;
    assert_eq!(ids(&index.nearest(&q)), [3, 5, 7]);
}

#[test]
fn passed_over_keeps_only_the_nearest_entries_up_to_the_cap() {
    let mut units: Vec<Entry> = (0..50)
        .map(|i| unit(Maintainer, 1, at(10.0 * i as f64 + 10.0, 0.0)))
        .collect();
    units.push(unit(Maintainer, 1, at(5000.0, 0.0)));
    let index = index_of(units);
    let travel = travel();
    let first_fifty = |id: UnitId| id.0 <= 50;
    let mut q = query(&travel, &first_fifty);
    q.k = 1;
    let r = index.nearest(&q);
    assert_eq!(ids(&r), [51]);
    assert_eq!(r.passed_over.len(), MAX_PASSED_OVER);
    let nearest: Vec<i64> = (1..=MAX_PASSED_OVER as i64).collect();
    assert_eq!(
        r.passed_over.iter().map(|p| p.unit.0).collect::<Vec<_>>(),
        nearest
    );
    assert!(
        r.chosen[0].why.ends_with("; 50 nearer passed over"),
        "{}",
        r.chosen[0].why
    );
}

#[test]
fn k_zero_chooses_nobody_but_still_counts_the_unavailable() {
    let mut off = unit(Maintainer, 1, at(0.0, 0.0));
    off.available = false;
    let index = index_of(vec![off, unit(Maintainer, 1, at(10.0, 0.0))]);
    let travel = travel();
    let mut q = query(&travel, &nobody);
    q.k = 0;
    assert_eq!(
        index.nearest(&q),
        Ranking {
            unavailable: 1,
            ..Ranking::default()
        }
    );
}

#[test]
fn a_company_or_kind_with_no_units_gives_an_empty_ranking() {
    let index = index_of(vec![unit(Maintainer, 1, at(0.0, 0.0))]);
    let travel = travel();
    let mut q = query(&travel, &nobody);
    q.company = Some(CompanyId(2));
    assert_eq!(index.nearest(&q), Ranking::default());
    q.company = None;
    q.kind = FireRescue;
    assert_eq!(index.nearest(&q), Ranking::default());
}

#[test]
fn units_and_queries_far_from_the_origin_are_ranked_exactly() {
    let beijing = LatLon {
        lat: 39.9,
        lon: 116.4,
    };
    let buenos_aires = LatLon {
        lat: -34.6,
        lon: -58.4,
    };
    let near = |p: LatLon, dlat: f64| LatLon {
        lat: p.lat + dlat,
        ..p
    };
    let entries = vec![
        unit(Maintainer, 1, near(beijing, 0.02)),
        unit(Maintainer, 1, near(beijing, -0.01)),
        unit(Maintainer, 1, buenos_aires),
        unit(Maintainer, 1, YUZHONG),
    ];
    let reference: BTreeMap<UnitId, Entry> =
        (1..).map(UnitId).zip(entries.iter().cloned()).collect();
    let index = index_of(entries);
    let travel = travel();
    for from in [beijing, buenos_aires, near(buenos_aires, 5.0), YUZHONG] {
        let mut q = query(&travel, &nobody);
        q.at = from;
        q.k = 4;
        assert_eq!(
            without_why(index.nearest(&q)),
            brute_force(&reference, &q),
            "{from:?}"
        );
    }
}

#[test]
fn the_reason_names_rank_kind_company_distance_eta_and_fix_time() {
    let index = index_of(vec![
        unit(Maintainer, 17, at(0.0, 1240.0)),
        unit(Maintainer, 17, at(300.0, 0.0)),
    ]);
    let travel = travel();
    let mut q = query(&travel, &nobody);
    q.company = Some(CompanyId(17));
    let r = index.nearest(&q);
    assert_eq!(
        r.chosen[0].why,
        "nearest available maintainer of company 17: 300 m, ETA 1 min, fix taken 00:00:00Z"
    );
    assert!(
        r.chosen[1]
            .why
            .starts_with("2nd nearest available maintainer of company 17: 1.24 km, ETA 4 min"),
        "{}",
        r.chosen[1].why
    );
    q.company = None;
    assert!(
        index.nearest(&q).chosen[0]
            .why
            .contains("maintainer (company 17): 300 m")
    );
}
