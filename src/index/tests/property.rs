//! The index answers exactly like a brute-force haversine scan of the same units, after any
//! sequence of updates, for any query.

use super::*;
use proptest::prelude::*;
use std::collections::BTreeSet;

/// A position: mostly in a ~20 km box around the centre, some on a coarse grid (exact ties),
/// some 100 km to a few thousand km away (to exercise the bound), a few anywhere on Earth.
fn place() -> impl Strategy<Value = LatLon> {
    let boxed = (-0.09..0.09f64, -0.1..0.1f64);
    let grid = (-2..=2i32, -2..=2i32);
    let far = (prop::bool::ANY, 0.9..20.0f64, -20.0..20.0f64);
    prop_oneof![
        12 => boxed.prop_map(|(dlat, dlon)| offset(dlat, dlon)),
        3 => grid.prop_map(|(i, j)| at(1000.0 * f64::from(i), 1000.0 * f64::from(j))),
        2 => far.prop_map(|(north, d, dlon)| offset(if north { d } else { -d }, dlon)),
        1 => (-89.0..89.0f64, -180.0..180.0f64).prop_map(|(lat, lon)| LatLon { lat, lon }),
    ]
}

/// Yuzhong's centre moved by these many degrees.
fn offset(dlat: f64, dlon: f64) -> LatLon {
    LatLon {
        lat: YUZHONG.lat + dlat,
        lon: YUZHONG.lon + dlon,
    }
}

fn kind() -> impl Strategy<Value = UnitKind> {
    prop_oneof![4 => Just(Maintainer), 1 => Just(PropertyStaff), 1 => Just(FireRescue)]
}

fn a_fix() -> impl Strategy<Value = Fix> {
    (place(), -3600..0i64).prop_map(|(at, secs)| fix(at, secs))
}

fn entry() -> impl Strategy<Value = Entry> {
    let available = prop::bool::weighted(0.8);
    (
        kind(),
        0..4i64,
        available,
        prop::option::weighted(0.9, a_fix()),
        prop::option::weighted(0.3, place()),
    )
        .prop_map(|(kind, company, available, fix, base)| Entry {
            kind,
            company: CompanyId(company),
            available,
            fix,
            base,
        })
}

/// A change to the units; ids are drawn from a small range so changes hit existing units.
#[derive(Debug, Clone)]
enum Op {
    Upsert(i64, Entry),
    Move(i64, Fix),
    Available(i64, bool),
    Remove(i64),
}

fn op() -> impl Strategy<Value = Op> {
    let id = 0..150i64;
    prop_oneof![
        4 => (id.clone(), entry()).prop_map(|(i, e)| Op::Upsert(i, e)),
        4 => (id.clone(), a_fix()).prop_map(|(i, f)| Op::Move(i, f)),
        2 => (id.clone(), prop::bool::ANY).prop_map(|(i, a)| Op::Available(i, a)),
        1 => id.prop_map(Op::Remove),
    ]
}

/// Everything in a query but the references.
#[derive(Debug, Clone)]
struct Ask {
    at: LatLon,
    kind: UnitKind,
    company: Option<i64>,
    k: usize,
    max_distance_m: Option<f64>,
    fresh_since: Option<i64>,
    exclude: BTreeSet<i64>,
}

fn ask() -> impl Strategy<Value = Ask> {
    let radius = prop_oneof![0.0..30_000.0f64, Just(3_000_000.0)];
    (
        place(),
        kind(),
        prop::option::of(0..4i64),
        0..8usize,
        prop::option::of(radius),
    )
        .prop_flat_map(|(at, kind, company, k, max_distance_m)| {
            let fresh = prop::option::of(-3600..0i64);
            let exclude = prop::collection::btree_set(0..150i64, 0..20);
            (fresh, exclude).prop_map(move |(fresh_since, exclude)| Ask {
                at,
                kind,
                company,
                k,
                max_distance_m,
                fresh_since,
                exclude,
            })
        })
}

/// Applies `op` to both the index and the plain map of entries.
fn apply(index: &mut UnitIndex, model: &mut BTreeMap<UnitId, Entry>, op: Op) {
    match op {
        Op::Upsert(id, e) => {
            index.upsert(UnitId(id), e.clone());
            model.insert(UnitId(id), e);
        }
        Op::Move(id, f) => {
            let known = model
                .get_mut(&UnitId(id))
                .map(|e| e.fix = Some(f))
                .is_some();
            assert_eq!(index.set_position(UnitId(id), f), known);
        }
        Op::Available(id, a) => {
            let known = model
                .get_mut(&UnitId(id))
                .map(|e| e.available = a)
                .is_some();
            assert_eq!(index.set_available(UnitId(id), a), known);
        }
        Op::Remove(id) => {
            index.remove(UnitId(id));
            model.remove(&UnitId(id));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_index_answers_exactly_like_a_brute_force_haversine_scan(
        units in prop::collection::vec((0..150i64, entry()), 0..150),
        ops in prop::collection::vec(op(), 0..60),
        asks in prop::collection::vec(ask(), 1..6),
    ) {
        let mut index = UnitIndex::new(YUZHONG);
        let mut model = BTreeMap::new();
        for (id, e) in units {
            apply(&mut index, &mut model, Op::Upsert(id, e));
        }
        for op in ops {
            apply(&mut index, &mut model, op);
        }
        prop_assert_eq!(index.len(), model.len());
        let bulk = UnitIndex::from_entries(YUZHONG, model.clone());
        let travel = travel();
        for a in asks {
            let exclude = |id: UnitId| a.exclude.contains(&id.0);
            let q = Query {
                at: a.at,
                kind: a.kind,
                company: a.company.map(CompanyId),
                k: a.k,
                max_distance_m: a.max_distance_m,
                fresh_since: a.fresh_since.map(t),
                exclude: &exclude,
                travel: &travel,
            };
            let expected = brute_force(&model, &q);
            prop_assert_eq!(&without_why(index.nearest(&q)), &expected, "{:?}", a);
            prop_assert_eq!(&without_why(bulk.nearest(&q)), &expected, "bulk-loaded, {:?}", a);
        }
    }

    /// What replay relies on (`dispatch::search`): the units an answer names, alone in an
    /// index (as a decision records them), give the same answer again, reasons and all.
    #[test]
    fn an_index_of_only_the_units_an_answer_names_answers_the_same(
        units in prop::collection::vec((0..150i64, entry()), 0..150),
        asks in prop::collection::vec(ask(), 1..6),
    ) {
        let model: BTreeMap<UnitId, Entry> =
            units.into_iter().map(|(id, e)| (UnitId(id), e)).collect();
        let index = UnitIndex::from_entries(YUZHONG, model.clone());
        let travel = travel();
        for a in asks {
            let exclude = |id: UnitId| a.exclude.contains(&id.0);
            let q = Query {
                at: a.at,
                kind: a.kind,
                company: a.company.map(CompanyId),
                k: a.k,
                max_distance_m: a.max_distance_m,
                fresh_since: a.fresh_since.map(t),
                exclude: &exclude,
                travel: &travel,
            };
            let answer = index.nearest(&q);
            if answer.unlisted > 0 {
                continue;
            }
            let named = answer.chosen.iter().map(|c| c.unit)
                .chain(answer.passed_over.iter().map(|p| p.unit));
            let kept = named.map(|u| (u, model[&u].clone()));
            let alone = UnitIndex::from_entries(a.at, kept);
            let mut again = alone.nearest(&q);
            again.unavailable = answer.unavailable;
            prop_assert_eq!(&again, &answer, "{:?}", a);
        }
    }
}
