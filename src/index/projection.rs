//! The local metric plane: a spherical azimuthal-equidistant (AEQD) projection around the
//! region's origin, and the proven lower bound that turns a projected distance back into a
//! great-circle (haversine) distance.
//!
//! # Why azimuthal equidistant
//!
//! On a sphere of radius `R` (the same radius [`LatLon::distance_m`] uses), AEQD maps a point at
//! angular distance `ρ` from the origin `O` to the plane point at distance `R·ρ` from the plane's
//! origin, in the point's true direction. Its differential has singular values `1` (radially)
//! and `ρ / sin ρ ≥ 1` (tangentially). So within a cap of angular radius `m < π/2` around `O`
//! lengths are stretched by at least 1 and at most `s(m) = m / sin m`, and the inverse map
//! never stretches at all.
//!
//! # The bound
//!
//! Let `q` be the query point, `b` a unit, `d` their great-circle distance, `p` the plane
//! distance between their projections and `n = |P(q)| = R·ρ_q`.
//!
//! 1. If both lie in the cap of angular radius `m < π/2`, the minor arc from `q` to `b` stays in
//!    that cap (caps smaller than a hemisphere are geodesically convex) and its image is a
//!    curve of length `≤ s(m)·d` joining `P(q)` and `P(b)`, so `p ≤ s(m)·d`, i.e.
//!    `d ≥ p · sin m / m`. Since `|P(b)| ≤ n + p`, `m ≤ m(p) = (n + p) / R` always works.
//! 2. Always (spherical triangle inequality through `O`): `d ≥ R·|ρ_b − ρ_q| ≥ p − 2n`.
//!
//! While walking the tree in projected order, every unseen unit has `p' ≥ p`. The function
//! `g(p') = p' · sin m(p') / m(p')` is non-decreasing while `m(p') ≤ π/2` (its derivative is at
//! least `cos m(p') ≥ 0`), so unseen units with `m(p') < π/2` have `d ≥ g(p)`, and those beyond
//! have `p' ≥ p½ = R·π/2 − n` and so `d ≥ p½ − 2n`. Hence every unseen unit has
//!
//! ```text
//! d ≥ max(p − 2n, min(g(p), p½ − 2n))      (the second term only while m(p) < π/2)
//! ```
//!
//! Numerically, for the Yuzhong box (every point within ~15 km of `O`, `m ≤ 0.0024`):
//! `p / d ≤ 1 + m²/6 < 1 + 1e-6`, under a millimetre per kilometre; 100 km out it is `4e-5`.
//! [`Projection::lower_bound_m`] finally subtracts a floating-point allowance
//! (1e-9 relative, 1 µm absolute) that dwarfs the rounding of both the projection and the
//! haversine formula (~1e-15 relative), so the bound is safe to compare with `>`.

use crate::domain::LatLon;
use std::f64::consts::FRAC_PI_2;

/// Earth radius of the sphere used by [`LatLon::distance_m`] (geo's `Haversine`, GRS80 mean
/// radius). A test checks the two agree.
pub(crate) const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Relative floating-point allowance on the bound.
const REL_SLACK: f64 = 1e-9;
/// Absolute floating-point allowance on the bound, metres.
const ABS_SLACK_M: f64 = 1e-6;

/// A spherical azimuthal-equidistant projection centred on a fixed origin; plane units are
/// metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Projection {
    origin: LatLon,
    lon0: f64,
    sin_lat0: f64,
    cos_lat0: f64,
}

impl Projection {
    /// A projection centred on `origin`.
    pub(crate) fn new(origin: LatLon) -> Self {
        let lat0 = origin.lat.to_radians();
        Self {
            origin,
            lon0: origin.lon.to_radians(),
            sin_lat0: lat0.sin(),
            cos_lat0: lat0.cos(),
        }
    }

    /// The centre of the projection.
    pub(crate) fn origin(&self) -> LatLon {
        self.origin
    }

    /// Plane coordinates in metres: `x` east, `y` north at the origin. `|P(p)|` is exactly the
    /// great-circle distance from the origin to `p`.
    pub(crate) fn project(&self, p: LatLon) -> [f64; 2] {
        let lat = p.lat.to_radians();
        let (sin_lat, cos_lat) = lat.sin_cos();
        let (sin_dlon, cos_dlon) = (p.lon.to_radians() - self.lon0).sin_cos();
        // (u, v) is the direction from the origin scaled by sin c, where c is the angular
        // distance; atan2 gives c accurately both near 0 and near π.
        let u = cos_lat * sin_dlon;
        let v = self.cos_lat0 * sin_lat - self.sin_lat0 * cos_lat * cos_dlon;
        let cos_c = self.sin_lat0 * sin_lat + self.cos_lat0 * cos_lat * cos_dlon;
        let sin_c = u.hypot(v);
        let c = sin_c.atan2(cos_c);
        if sin_c == 0.0 {
            // The origin itself, or its antipode (any direction is right; pick east).
            return [EARTH_RADIUS_M * c, 0.0];
        }
        let scale = EARTH_RADIUS_M * c / sin_c;
        [scale * u, scale * v]
    }

    /// A lower bound on the great-circle distance (metres) from the query point to every unit
    /// whose projected distance from the query's projection is at least `projected_m`.
    /// `query_norm_m` is `|P(query)|`. See the module docs for the proof.
    pub(crate) fn lower_bound_m(query_norm_m: f64, projected_m: f64) -> f64 {
        let n = query_norm_m;
        let p = projected_m;
        let triangle = p - 2.0 * n;
        let m = (n + p) / EARTH_RADIUS_M;
        let bound = if m < FRAC_PI_2 {
            let g = if m == 0.0 { p } else { p * m.sin() / m };
            let far = EARTH_RADIUS_M * FRAC_PI_2 - 3.0 * n;
            triangle.max(g.min(far))
        } else {
            triangle
        };
        bound * (1.0 - REL_SLACK) - ABS_SLACK_M
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YUZHONG: LatLon = LatLon {
        lat: 29.556,
        lon: 106.568,
    };

    fn dist(a: [f64; 2], b: [f64; 2]) -> f64 {
        (a[0] - b[0]).hypot(a[1] - b[1])
    }

    #[test]
    fn the_projection_uses_the_same_earth_radius_as_haversine() {
        let a = LatLon { lat: 0.0, lon: 0.0 };
        let b = LatLon { lat: 0.0, lon: 1.0 };
        let expected = EARTH_RADIUS_M * 1f64.to_radians();
        assert!((a.distance_m(b) - expected).abs() < 1e-6);
    }

    #[test]
    fn projected_distance_from_the_origin_is_the_great_circle_distance() {
        let proj = Projection::new(YUZHONG);
        assert_eq!(proj.project(YUZHONG), [0.0, 0.0]);
        for (lat, lon) in [(29.6, 106.6), (30.5, 106.568), (-33.9, 151.2), (51.5, -0.1)] {
            let p = LatLon { lat, lon };
            let (plane, sphere) = (
                proj.project(p)[0].hypot(proj.project(p)[1]),
                YUZHONG.distance_m(p),
            );
            assert!(
                (plane - sphere).abs() < 1e-6 * sphere.max(1.0),
                "{p:?}: {plane} vs {sphere}"
            );
        }
    }

    #[test]
    fn north_is_up_and_east_is_right() {
        let proj = Projection::new(YUZHONG);
        let north = proj.project(LatLon {
            lat: 29.566,
            ..YUZHONG
        });
        let east = proj.project(LatLon {
            lon: 106.578,
            ..YUZHONG
        });
        assert!(north[0].abs() < 1e-6 && north[1] > 1000.0);
        assert!(east[1].abs() < 1.0 && east[0] > 900.0);
    }

    #[test]
    fn the_lower_bound_never_exceeds_the_haversine_distance_near_or_far() {
        let proj = Projection::new(YUZHONG);
        let mut rng = fastrand::Rng::with_seed(7);
        for i in 0..20_000 {
            // Half the pairs in a 40 km box, the rest anywhere on Earth.
            let spread = if i % 2 == 0 { 0.2 } else { 180.0 };
            let mut point = || LatLon {
                lat: (YUZHONG.lat + (rng.f64() - 0.5) * spread).clamp(-90.0, 90.0),
                lon: (YUZHONG.lon + (rng.f64() - 0.5) * 2.0 * spread + 180.0).rem_euclid(360.0)
                    - 180.0,
            };
            let (q, b) = (point(), point());
            let (pq, pb) = (proj.project(q), proj.project(b));
            let bound = Projection::lower_bound_m(pq[0].hypot(pq[1]), dist(pq, pb));
            assert!(
                bound <= q.distance_m(b),
                "{q:?} {b:?}: {bound} > {}",
                q.distance_m(b)
            );
        }
    }

    #[test]
    fn the_lower_bound_is_tight_inside_the_region() {
        let proj = Projection::new(YUZHONG);
        let q = proj.project(LatLon {
            lat: 29.6,
            lon: 106.6,
        });
        let n = q[0].hypot(q[1]);
        let bound = Projection::lower_bound_m(n, 10_000.0);
        assert!(bound > 10_000.0 * (1.0 - 1e-5), "{bound}");
    }
}
