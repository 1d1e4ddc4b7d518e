//! Live updates: moves, availability, replacement, removal and bulk loading.

use super::*;

#[test]
fn moving_a_unit_changes_who_is_nearest() {
    let mut index = index_of(vec![
        unit(Maintainer, 1, at(100.0, 0.0)),
        unit(Maintainer, 1, at(200.0, 0.0)),
    ]);
    assert!(index.set_position(UnitId(2), fix(at(0.0, 50.0), 30)));
    let travel = travel();
    let r = index.nearest(&query(&travel, &nobody));
    assert_eq!(ids(&r), [2, 1]);
    assert_eq!(r.chosen[0].fix_taken, Some(t(30)));
    assert_eq!(r.chosen[0].distance_m, YUZHONG.distance_m(at(0.0, 50.0)));
    assert_eq!(
        index.get(UnitId(2)).and_then(|e| e.fix),
        Some(fix(at(0.0, 50.0), 30))
    );
}

#[test]
fn updates_to_an_unknown_unit_return_false_and_change_nothing() {
    let mut index = index_of(vec![unit(Maintainer, 1, at(100.0, 0.0))]);
    assert!(!index.set_position(UnitId(9), fix(YUZHONG, 0)));
    assert!(!index.set_available(UnitId(9), true));
    index.remove(UnitId(9));
    assert_eq!((index.len(), index.get(UnitId(9))), (1, None));
}

#[test]
fn an_unavailable_unit_leaves_the_ranking_and_comes_back_when_available_again() {
    let mut index = index_of(vec![
        unit(Maintainer, 1, at(100.0, 0.0)),
        unit(Maintainer, 1, at(200.0, 0.0)),
    ]);
    let travel = travel();
    let q = query(&travel, &nobody);
    assert!(index.set_available(UnitId(1), false));
    assert!(
        index.set_available(UnitId(1), false),
        "setting it twice is harmless"
    );
    let r = index.nearest(&q);
    assert_eq!((ids(&r), r.unavailable), (vec![2], 1));
    assert!(
        index.set_position(UnitId(1), fix(at(10.0, 0.0), 5)),
        "an off-duty unit may move"
    );
    assert_eq!(ids(&index.nearest(&q)), [2]);
    assert!(index.set_available(UnitId(1), true));
    let r = index.nearest(&q);
    assert_eq!((ids(&r), r.unavailable), (vec![1, 2], 0));
    assert_eq!(r.chosen[0].fix_taken, Some(t(5)));
}

#[test]
fn a_first_position_brings_an_unpositioned_unit_into_the_ranking() {
    let mut lost = unit(Maintainer, 1, YUZHONG);
    lost.fix = None;
    let mut index = index_of(vec![lost]);
    let travel = travel();
    let q = query(&travel, &nobody);
    assert_eq!(index.nearest(&q).unavailable, 1);
    index.set_position(UnitId(1), fix(at(50.0, 0.0), 0));
    let r = index.nearest(&q);
    assert_eq!((ids(&r), r.unavailable), (vec![1], 0));
}

#[test]
fn upsert_replaces_kind_company_and_position_cleanly() {
    let mut index = index_of(vec![unit(Maintainer, 1, at(100.0, 0.0))]);
    index.upsert(UnitId(1), unit(FireRescue, 2, at(300.0, 0.0)));
    let travel = travel();
    let mut q = query(&travel, &nobody);
    assert_eq!(
        index.nearest(&q),
        Ranking::default(),
        "no maintainer is left"
    );
    q.company = Some(CompanyId(1));
    assert_eq!(index.nearest(&q), Ranking::default());
    q.kind = FireRescue;
    q.company = Some(CompanyId(2));
    let r = index.nearest(&q);
    assert_eq!(ids(&r), [1]);
    assert_eq!(r.chosen[0].distance_m, YUZHONG.distance_m(at(300.0, 0.0)));
    let mut off = unit(FireRescue, 2, at(300.0, 0.0));
    off.available = false;
    index.upsert(UnitId(1), off);
    let r = index.nearest(&q);
    assert_eq!((ids(&r), r.unavailable, index.len()), (vec![], 1, 1));
}

#[test]
fn removing_a_unit_forgets_it_everywhere() {
    let mut off = unit(Maintainer, 3, YUZHONG);
    off.available = false;
    let mut index = index_of(vec![unit(Maintainer, 3, at(100.0, 0.0)), off]);
    index.remove(UnitId(1));
    index.remove(UnitId(2));
    assert!(index.is_empty());
    assert_eq!(index.get(UnitId(1)), None);
    let travel = travel();
    let mut q = query(&travel, &nobody);
    assert_eq!(index.nearest(&q), Ranking::default());
    q.company = Some(CompanyId(3));
    assert_eq!(index.nearest(&q), Ranking::default());
}

#[test]
fn a_position_that_is_not_a_number_counts_as_no_position() {
    let nowhere = LatLon {
        lat: f64::NAN,
        lon: 106.5,
    };
    let mut index = index_of(vec![unit(Maintainer, 1, nowhere)]);
    let travel = travel();
    let q = query(&travel, &nobody);
    assert_eq!(index.nearest(&q).unavailable, 1);
    index.set_position(UnitId(1), fix(at(10.0, 0.0), 0));
    assert_eq!(ids(&index.nearest(&q)), [1]);
    index.set_position(UnitId(1), fix(nowhere, 0));
    assert_eq!(
        (ids(&index.nearest(&q)), index.nearest(&q).unavailable),
        (vec![], 1)
    );
}

#[test]
fn bulk_loading_answers_like_inserting_one_by_one_and_keeps_the_last_of_a_repeated_id() {
    let mut rng = fastrand::Rng::with_seed(3);
    let mut entries: Vec<(UnitId, Entry)> = (0..500)
        .map(|i| {
            let mut e = unit(
                Maintainer,
                i % 7,
                at(rng.f64() * 8000.0, rng.f64() * 8000.0),
            );
            e.available = rng.u8(..10) > 0;
            (UnitId(i), e)
        })
        .collect();
    entries.push((UnitId(0), unit(FireRescue, 1, YUZHONG)));
    let bulk = UnitIndex::from_entries(YUZHONG, entries.clone());
    let mut one_by_one = UnitIndex::new(YUZHONG);
    entries
        .into_iter()
        .for_each(|(id, e)| one_by_one.upsert(id, e));
    assert_eq!((bulk.len(), bulk.origin()), (500, YUZHONG));
    assert_eq!(bulk.get(UnitId(0)).map(|e| e.kind), Some(FireRescue));
    let travel = travel();
    let mut q = query(&travel, &nobody);
    q.k = 20;
    for company in [None, Some(CompanyId(3))] {
        q.company = company;
        assert_eq!(bulk.nearest(&q), one_by_one.nearest(&q));
    }
}
