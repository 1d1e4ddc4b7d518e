//! The solve against a brute force over every assignment of small cases, the tier guarantee,
//! determinism, and the cases told by hand.

use super::*;
use proptest::prelude::*;

fn offer(unit: i64, secs: u32) -> Offer {
    Offer {
        unit: UnitId(unit),
        secs,
    }
}

fn want(tier: u8, weight: u32, offers: &[(i64, u32)]) -> Want {
    Want {
        tier,
        weight,
        candidates: offers.iter().map(|&(u, s)| offer(u, s)).collect(),
    }
}

/// (want, unit id) of each assignment.
fn pairs(out: &[Assignment]) -> Vec<(usize, i64)> {
    out.iter().map(|a| (a.want, a.unit.0)).collect()
}

/// Per tier, ascending: (tier, −served, waiting), where waiting is Σ weight × secs over the
/// served plus weight × horizon over the rest. Smaller is better, lexicographically.
type Key = Vec<(u8, i128, i128)>;

fn key(wants: &[Want], horizon: u32, secs: &[Option<u32>]) -> Key {
    let mut by_tier: BTreeMap<u8, (i128, i128)> = BTreeMap::new();
    for (w, s) in wants.iter().zip(secs) {
        let (served, waiting) = by_tier.entry(w.tier).or_default();
        *served -= i128::from(s.is_some());
        *waiting += i128::from(w.weight) * i128::from(s.unwrap_or(horizon));
    }
    by_tier.into_iter().map(|(t, (s, w))| (t, s, w)).collect()
}

fn key_of(wants: &[Want], horizon: u32, out: &[Assignment]) -> Key {
    let mut secs = vec![None; wants.len()];
    for a in out {
        secs[a.want] = Some(a.secs);
    }
    key(wants, horizon, &secs)
}

/// The best key over every way of giving each want none or one of its candidates.
fn brute_force(wants: &[Want], horizon: u32) -> Key {
    fn go(
        wants: &[Want],
        horizon: u32,
        used: &mut Vec<UnitId>,
        secs: &mut Vec<Option<u32>>,
        best: &mut Option<Key>,
    ) {
        let i = secs.len();
        if i == wants.len() {
            let k = key(wants, horizon, secs);
            if best.as_ref().is_none_or(|b| k < *b) {
                *best = Some(k);
            }
            return;
        }
        secs.push(None);
        go(wants, horizon, used, secs, best);
        secs.pop();
        for o in &wants[i].candidates {
            if !used.contains(&o.unit) {
                used.push(o.unit);
                secs.push(Some(o.secs));
                go(wants, horizon, used, secs, best);
                secs.pop();
                used.pop();
            }
        }
    }
    let mut best = None;
    go(wants, horizon, &mut Vec::new(), &mut Vec::new(), &mut best);
    best.unwrap_or_default()
}

/// Sorted by want, each want and unit once, only offered pairs at their shortest time, and
/// the cost is weight × secs.
fn assert_valid(wants: &[Want], out: &[Assignment]) {
    assert!(out.windows(2).all(|p| p[0].want < p[1].want), "{out:?}");
    let mut units: Vec<UnitId> = out.iter().map(|a| a.unit).collect();
    units.sort_unstable();
    units.dedup();
    assert_eq!(units.len(), out.len(), "a unit twice: {out:?}");
    for a in out {
        let w = &wants[a.want];
        let shortest = w
            .candidates
            .iter()
            .filter(|o| o.unit == a.unit)
            .map(|o| o.secs)
            .min();
        assert_eq!(shortest, Some(a.secs), "not offered: {a:?}");
        assert_eq!(a.cost, cost(w.weight, a.secs));
    }
}

/// A want left without a unit has every candidate taken, and by a want of its tier or an
/// earlier one: a special case never waits while an ordinary want holds its unit.
fn assert_tiers_hold(wants: &[Want], out: &[Assignment]) {
    let holder: HashMap<UnitId, usize> = out.iter().map(|a| (a.unit, a.want)).collect();
    for (i, w) in wants.iter().enumerate() {
        if out.iter().any(|a| a.want == i) {
            continue;
        }
        for o in &w.candidates {
            let j = holder.get(&o.unit);
            assert!(j.is_some(), "want #{i} waits while {} is free", o.unit);
            let t = j.map(|&j| wants[j].tier);
            assert!(
                t <= Some(w.tier),
                "want #{i} waits behind tier {t:?} for {}",
                o.unit
            );
        }
    }
}

/// Wants over units 1..=5 with these ranges of tier, weight and seconds.
fn wants(tiers: u8, weights: u32, secs: u32) -> impl Strategy<Value = Vec<Want>> {
    let offer = (1..=5i64, 0..=secs).prop_map(|(u, s)| offer(u, s));
    let want = (0..=tiers, 1..=weights, prop::collection::vec(offer, 0..=4));
    let want = want.prop_map(|(tier, weight, candidates)| Want {
        tier,
        weight,
        candidates,
    });
    prop::collection::vec(want, 0..=7)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Small numbers: many ties, entries in i64.
    #[test]
    fn the_solve_is_as_good_as_the_best_of_all_assignments(
        wants in wants(2, 5, 12),
        horizon in 0..=10u32,
    ) {
        let out = solve(&wants, horizon);
        assert_valid(&wants, &out);
        assert_tiers_hold(&wants, &out);
        prop_assert_eq!(key_of(&wants, horizon, &out), brute_force(&wants, horizon));
    }

    /// Large numbers: two tiers need i128 entries.
    #[test]
    fn large_weights_and_times_are_solved_exactly_in_i128(
        wants in wants(1, 100_000, 100_000),
        horizon in 0..=100_000u32,
    ) {
        let out = solve(&wants, horizon);
        assert_valid(&wants, &out);
        assert_tiers_hold(&wants, &out);
        prop_assert_eq!(key_of(&wants, horizon, &out), brute_force(&wants, horizon));
    }

    /// Extreme numbers: the tiers overflow even i128 and are solved one after the other,
    /// which keeps the first tier exact and the guarantees whole.
    #[test]
    fn extreme_weights_and_times_keep_the_tiers(
        wants in wants(3, u32::MAX, u32::MAX),
        horizon in prop_oneof![Just(0), Just(u32::MAX), any::<u32>()],
    ) {
        let out = solve(&wants, horizon);
        assert_valid(&wants, &out);
        assert_tiers_hold(&wants, &out);
        let (got, best) = (key_of(&wants, horizon, &out), brute_force(&wants, horizon));
        prop_assert_eq!(got.first(), best.first());
    }

    /// The same wants give the same assignments, whatever the order of their candidates.
    #[test]
    fn the_solve_is_deterministic(wants in wants(2, 5, 12), horizon in 0..=10u32) {
        let out = solve(&wants, horizon);
        prop_assert_eq!(&out, &solve(&wants, horizon));
        let mut reversed = wants.clone();
        for w in &mut reversed {
            w.candidates.reverse();
        }
        prop_assert_eq!(&out, &solve(&reversed, horizon));
    }
}

#[test]
fn one_unit_for_two_wants_goes_to_the_heavier() {
    // Serving the light one would cost 1 × 10 + 10 × 600 of waiting, the heavy one
    // 10 × 100 + 1 × 600.
    let wants = [want(1, 1, &[(7, 10)]), want(1, 10, &[(7, 100)])];
    let out = solve(&wants, 600);
    assert_eq!(pairs(&out), [(1, 7)]);
    assert_eq!(out[0].cost, 1000);
}

#[test]
fn a_special_case_gets_the_unit_before_a_nearer_heavier_ordinary_want() {
    let wants = [want(1, 100, &[(7, 10)]), want(0, 1, &[(7, 500)])];
    assert_eq!(pairs(&solve(&wants, 600)), [(1, 7)]);
}

#[test]
fn serving_one_more_want_beats_a_shorter_trip() {
    let wants = [want(1, 10, &[(1, 10), (2, 1000)]), want(1, 1, &[(1, 20)])];
    assert_eq!(pairs(&solve(&wants, 600)), [(0, 2), (1, 1)]);
}

#[test]
fn an_offer_beyond_the_horizon_is_taken_when_nothing_better_serves() {
    assert_eq!(pairs(&solve(&[want(1, 5, &[(3, 5000)])], 600)), [(0, 3)]);
    let wants = [want(1, 5, &[(3, 900), (4, 700)])];
    assert_eq!(pairs(&solve(&wants, 600)), [(0, 4)]);
}

#[test]
fn a_tie_in_tier_0_is_broken_in_favour_of_tier_1() {
    // Solving tier 0 alone could give it either unit; only one leaves tier 1 served.
    for only in [1, 2] {
        let wants = [want(0, 3, &[(1, 60), (2, 60)]), want(1, 3, &[(only, 60)])];
        let out = solve(&wants, 600);
        assert_eq!(pairs(&out), [(0, 3 - only), (1, only)]);
    }
}

#[test]
fn a_unit_listed_twice_counts_at_its_shortest_time() {
    let out = solve(&[want(0, 2, &[(4, 90), (4, 30), (4, 60)])], 600);
    assert_eq!((out[0].secs, out[0].cost), (30, 60));
}

#[test]
fn nothing_waiting_or_nothing_offered_assigns_nothing() {
    assert!(solve(&[], 600).is_empty());
    let wants = [want(0, 5, &[]), want(1, 5, &[(2, 10)])];
    assert_eq!(pairs(&solve(&wants, 600)), [(1, 2)]);
}

#[test]
fn the_cost_saturates() {
    let out = solve(&[want(0, u32::MAX, &[(1, u32::MAX)])], 600);
    assert_eq!(out[0].cost, i64::MAX);
}

#[test]
fn more_wants_than_units_leaves_the_rest_waiting_and_pairs_only_offers() {
    // Five wants on two units: the matrix has units as rows, most cells are not offers.
    let wants: Vec<Want> = (0..5u32)
        .map(|k| want(1, 1 + k, &[(1 + i64::from(k % 2), 100 + k)]))
        .collect();
    let out = solve(&wants, 600);
    assert_valid(&wants, &out);
    assert_eq!(pairs(&out), [(3, 2), (4, 1)]);
}

#[test]
fn extreme_weights_over_many_tiers_are_solved_tier_by_tier() {
    let m = u32::MAX;
    let wants = [
        want(2, m, &[(1, 0), (2, 0), (3, 0)]),
        want(1, m, &[(1, m), (2, 0)]),
        want(0, m, &[(1, m)]),
    ];
    let out = solve(&wants, m);
    assert_eq!(pairs(&out), [(0, 3), (1, 2), (2, 1)]);
}

/// A city-ish random case: `n` wants in two tiers over `units` units, 4 candidates each.
fn random_case(rng: &mut fastrand::Rng, n: usize, units: i64) -> Vec<Want> {
    (0..n)
        .map(|_| {
            let candidates = (0..4)
                .map(|_| offer(rng.i64(1..=units), rng.u32(0..900)))
                .collect();
            Want {
                tier: u8::from(rng.u8(0..10) == 0),
                weight: rng.u32(1..60),
                candidates,
            }
        })
        .collect()
}

#[test]
fn split_into_components_the_solve_equals_one_matrix_over_everything() {
    let mut rng = fastrand::Rng::with_seed(20);
    for round in 0..40 {
        let units = 4 + round;
        let wants = random_case(&mut rng, 3 * round as usize + 2, units);
        let out = solve(&wants, 600);
        assert_valid(&wants, &out);
        assert_tiers_hold(&wants, &out);
        let offers: Vec<Vec<Offer>> = wants
            .iter()
            .map(|w| nearest_per_unit(&w.candidates))
            .collect();
        let p = Problem {
            wants: &wants,
            offers: &offers,
            horizon: 600,
        };
        let mut whole = Component {
            wants: (0..wants.len()).collect(),
            units: offers.iter().flatten().map(|o| o.unit).collect(),
        };
        whole.units.sort_unstable();
        whole.units.dedup();
        let mut chosen = vec![None; wants.len()];
        assert!(p.assign(&whole, &mut chosen));
        let secs: Vec<Option<u32>> = chosen.iter().map(|c| c.map(|o| o.secs)).collect();
        assert_eq!(
            key_of(&wants, 600, &out),
            key(&wants, 600, &secs),
            "round {round}"
        );
    }
}

#[test]
fn the_reason_names_the_unit_its_cost_and_why_not_the_others() {
    let wants = [
        want(1, 2, &[(1, 60), (2, 120), (3, 300), (4, 400), (5, 500)]),
        want(0, 9, &[(1, 30)]),
        want(1, 1, &[(1, 10), (2, 10)]),
        want(1, 1, &[]),
    ];
    let out = solve(&wants, 600);
    assert_eq!(pairs(&out), [(0, 3), (1, 1), (2, 2)]);
    assert_eq!(
        explain(&wants, &out, 0),
        "unit 3 in 300 s, cost 600 (weight 2 × 300 s); not unit 1 (60 s, cost 120): taken by \
         want #1 of tier 0; not unit 2 (120 s, cost 240): taken by want #2 of tier 1; not \
         unit 4 (400 s, cost 800): farther; 1 more offered"
    );
    assert_eq!(
        explain(&wants, &out, 1),
        "unit 1 in 30 s, cost 270 (weight 9 × 30 s)"
    );
    assert_eq!(explain(&wants, &out, 3), "no unit: none was offered");
    assert_eq!(explain(&wants, &out, 9), "want #9 does not exist");
    let one = [want(1, 1, &[(1, 10)]), want(0, 1, &[(1, 50)])];
    assert_eq!(
        explain(&one, &solve(&one, 600), 0),
        "no unit; not unit 1 (10 s, cost 10): taken by want #1 of tier 0"
    );
}
