//! The storm solve at blackout scale: `wants` waiting jobs, `units` free crews, each want
//! offered its K = 8 nearest units, deterministic.
//!
//! The layout is city-like, on a plane in metres: the crews work from depots spread over the
//! city (40 depots per 400 units, each crew within 1.5 km of its depot, 30 % still busy for
//! up to 30 min); the trapped cars stand in buildings clustered around blackout hot spots
//! (one per ~16 wants, cars within 600 m of it), over the whole city or, for a district
//! blackout, its middle half (fewer units are then among anyone's 8 nearest). Seconds to
//! arrival are the straight distance × 1.3 at 25 km/h plus the busy crew's queue. One want in
//! 20 is a special case (tier 0); weights are the storm rules' points: 30 between floors,
//! 1 per minute trapped (up to 40), 15–20 for a school, care home or hospital. Horizon 30 min.
//! The city's side grows with √wants, so density stays the same at every size.
//!
//! - `storm/solve/{100x40,1000x400,2000x800}`: [`solve`] on wants × units, city-wide. Goal
//!   for 1000x400: ≤ 100 ms.
//! - `storm/solve/1000x400-district`: the same, the wants in the middle half of the city.
//!
//! Before measuring, each size prints its offer graph's components and what the solve served.
//! Run with `cargo bench --bench storm`.

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use liftrescue::dispatch::storm::solve::{Offer, Want, solve};
use liftrescue::domain::UnitId;
use std::hint::black_box;
use std::time::Duration;

const K: usize = 8;
const HORIZON_SECS: u32 = 1800;
/// The city's side for 1,000 wants, metres.
const SIDE_M: f64 = 16_000.0;

/// A point within `r` metres of `(x, y)` (uniform in the square).
fn near(rng: &mut fastrand::Rng, (x, y): (f64, f64), r: f64) -> (f64, f64) {
    (
        x + (rng.f64() * 2.0 - 1.0) * r,
        y + (rng.f64() * 2.0 - 1.0) * r,
    )
}

/// The units' positions and queues (seconds of work before they can leave).
fn crews(rng: &mut fastrand::Rng, units: usize, side: f64) -> Vec<((f64, f64), u32)> {
    let depots: Vec<(f64, f64)> = (0..units.div_ceil(10))
        .map(|_| (rng.f64() * side, rng.f64() * side))
        .collect();
    (0..units)
        .map(|i| {
            let at = near(rng, depots[i % depots.len()], 1500.0);
            let queue = if rng.u8(0..10) < 3 {
                rng.u32(0..1800)
            } else {
                0
            };
            (at, queue)
        })
        .collect()
}

/// A storm's waiting wants with their K nearest units.
/// `spread`: the share of the city's side the hot spots cover, around its centre.
fn storm(wants: usize, units: usize, spread: f64, seed: u64) -> Vec<Want> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let side = SIDE_M * (wants as f64 / 1000.0).sqrt();
    let crews = crews(&mut rng, units, side);
    let spots: Vec<(f64, f64)> = (0..wants.div_ceil(16))
        .map(|_| {
            let edge = (1.0 - spread) / 2.0;
            (
                side * (edge + rng.f64() * spread),
                side * (edge + rng.f64() * spread),
            )
        })
        .collect();
    (0..wants)
        .map(|i| {
            let at = near(&mut rng, spots[i % spots.len()], 600.0);
            let mut candidates: Vec<Offer> = crews
                .iter()
                .enumerate()
                .map(|(u, &((x, y), queue))| {
                    let metres = (x - at.0).hypot(y - at.1) * 1.3;
                    Offer {
                        unit: UnitId(u as i64 + 1),
                        secs: (metres / (25.0 / 3.6)) as u32 + queue,
                    }
                })
                .collect();
            candidates.sort_by_key(|o| (o.secs, o.unit));
            candidates.truncate(K);
            let between_floors = if rng.u8(0..10) < 7 { 30 } else { 0 };
            let place = if rng.u8(0..10) == 0 {
                rng.u32(15..=20)
            } else {
                0
            };
            Want {
                tier: u8::from(rng.u8(0..20) != 0),
                weight: 1 + between_floors + rng.u32(0..=40) + place,
                candidates,
            }
        })
        .collect()
}

/// The sizes of the offer graph's connected components (wants, units), largest first.
fn components(wants: &[Want]) -> Vec<(usize, usize)> {
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let units = wants
        .iter()
        .flat_map(|w| w.candidates.iter().map(|o| o.unit.0 as usize))
        .max()
        .unwrap_or(0);
    let n = wants.len();
    let mut p: Vec<usize> = (0..=n + units).collect();
    for (i, w) in wants.iter().enumerate() {
        for o in &w.candidates {
            let (a, b) = (find(&mut p, i), find(&mut p, n + o.unit.0 as usize));
            p[a] = b;
        }
    }
    let mut size = vec![(0, 0); n + units + 1];
    for x in 0..=n + units {
        let r = find(&mut p, x);
        if x < n {
            size[r].0 += 1;
        } else if x > n {
            size[r].1 += 1;
        }
    }
    let mut v: Vec<(usize, usize)> = size.into_iter().filter(|s| s.0 > 0).collect();
    v.sort_unstable_by(|a, b| b.cmp(a));
    v
}

fn report(name: &str, wants: &[Want]) {
    let comps = components(wants);
    let out = solve(wants, HORIZON_SECS);
    let special = wants.iter().filter(|w| w.tier == 0).count();
    let special_served = out.iter().filter(|a| wants[a.want].tier == 0).count();
    let mean = out.iter().map(|a| f64::from(a.secs)).sum::<f64>() / out.len().max(1) as f64;
    println!(
        "storm {name}: {} components, largest {:?}; served {} of {} ({} of {} special), \
         mean {:.0} s to arrival",
        comps.len(),
        comps.first().copied().unwrap_or_default(),
        out.len(),
        wants.len(),
        special_served,
        special,
        mean,
    );
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("storm/solve");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    let sizes = [
        (100, 40, 1.0),
        (1000, 400, 1.0),
        (2000, 800, 1.0),
        (1000, 400, 0.5),
    ];
    for (wants, units, spread) in sizes {
        let district = if spread < 1.0 { "-district" } else { "" };
        let name = format!("{wants}x{units}{district}");
        let case = storm(wants, units, spread, 20);
        report(&name, &case);
        g.bench_with_input(BenchmarkId::from_parameter(&name), &case, |b, case| {
            b.iter(|| black_box(solve(black_box(case), HORIZON_SECS)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
