//! Coordinates on the ground.
//!
//! Everything inside liftrescue is WGS-84 (what GPS reports). Chinese web maps publish GCJ-02
//! ("Mars") coordinates, so the edges convert with [`LatLon::from_gcj02`] and
//! [`LatLon::to_gcj02`]; every API field says which system it carries.

use geo::{Distance, Haversine, Point};
use serde::{Deserialize, Serialize};

/// A WGS-84 position in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LatLon {
    /// Latitude, −90 to 90, north positive.
    #[schema(minimum = -90, maximum = 90)]
    pub lat: f64,
    /// Longitude, −180 to 180, east positive.
    #[schema(minimum = -180, maximum = 180)]
    pub lon: f64,
}

/// Why a coordinate pair was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoordError {
    /// Latitude outside −90..=90 or not a number.
    #[error("latitude {0} is outside -90..=90")]
    Latitude(f64),
    /// Longitude outside −180..=180 or not a number.
    #[error("longitude {0} is outside -180..=180")]
    Longitude(f64),
}

impl LatLon {
    /// A checked WGS-84 position: NaN, infinities and out-of-range values are refused.
    pub fn parse(lat: f64, lon: f64) -> Result<Self, CoordError> {
        if !(-90.0..=90.0).contains(&lat) {
            return Err(CoordError::Latitude(lat));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(CoordError::Longitude(lon));
        }
        Ok(Self { lat, lon })
    }

    /// Great-circle distance in metres (haversine, mean Earth radius).
    pub fn distance_m(self, other: LatLon) -> f64 {
        Haversine.distance(
            Point::new(self.lon, self.lat),
            Point::new(other.lon, other.lat),
        )
    }

    /// Converts a GCJ-02 position (as published by Chinese web maps) to WGS-84.
    ///
    /// GCJ-02 has no closed-form inverse; a few fixed-point iterations bring the error under a
    /// millimetre. Outside mainland China GCJ-02 equals WGS-84.
    pub fn from_gcj02(gcj: LatLon) -> LatLon {
        if outside_china(gcj) {
            return gcj;
        }
        let mut wgs = gcj;
        for _ in 0..8 {
            let there = wgs.to_gcj02();
            wgs = LatLon {
                lat: wgs.lat - (there.lat - gcj.lat),
                lon: wgs.lon - (there.lon - gcj.lon),
            };
        }
        wgs
    }

    /// Converts this WGS-84 position to GCJ-02 (the published obfuscation formula).
    pub fn to_gcj02(self) -> LatLon {
        if outside_china(self) {
            return self;
        }
        const A: f64 = 6_378_245.0;
        const EE: f64 = 0.006_693_421_622_965_943;
        let x = self.lon - 105.0;
        let y = self.lat - 35.0;
        let mut dlat = gcj_lat(x, y);
        let mut dlon = gcj_lon(x, y);
        let rad = self.lat.to_radians();
        let magic = 1.0 - EE * rad.sin() * rad.sin();
        let sqrt_magic = magic.sqrt();
        dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrt_magic) * std::f64::consts::PI);
        dlon = (dlon * 180.0) / (A / sqrt_magic * rad.cos() * std::f64::consts::PI);
        LatLon {
            lat: self.lat + dlat,
            lon: self.lon + dlon,
        }
    }
}

fn outside_china(p: LatLon) -> bool {
    !(72.004..=137.8347).contains(&p.lon) || !(0.8293..=55.8271).contains(&p.lat)
}

fn gcj_lat(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn gcj_lon(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    const YUZHONG: LatLon = LatLon {
        lat: 29.556,
        lon: 106.568,
    };

    #[test]
    fn out_of_range_and_nan_coordinates_are_refused() {
        assert_eq!(LatLon::parse(91.0, 0.0), Err(CoordError::Latitude(91.0)));
        assert_eq!(LatLon::parse(0.0, 180.5), Err(CoordError::Longitude(180.5)));
        assert!(LatLon::parse(f64::NAN, 0.0).is_err());
        assert!(LatLon::parse(0.0, f64::INFINITY).is_err());
        assert!(LatLon::parse(29.556, 106.568).is_ok());
    }

    #[test]
    fn gcj02_shifts_chongqing_by_a_few_hundred_metres_and_converts_back() {
        let gcj = YUZHONG.to_gcj02();
        let shift = YUZHONG.distance_m(gcj);
        // The published offset in Chongqing is a few hundred metres.
        assert!((200.0..700.0).contains(&shift), "shift {shift} m");
        let back = LatLon::from_gcj02(gcj);
        assert!(YUZHONG.distance_m(back) < 0.01, "round trip {:?}", back);
    }

    #[test]
    fn gcj02_is_the_identity_outside_china() {
        let london = LatLon::parse(51.5, -0.12).unwrap();
        assert_eq!(london.to_gcj02(), london);
        assert_eq!(LatLon::from_gcj02(london), london);
    }

    #[test]
    fn one_degree_of_latitude_is_about_111_km() {
        let north = LatLon {
            lat: YUZHONG.lat + 1.0,
            lon: YUZHONG.lon,
        };
        let d = YUZHONG.distance_m(north);
        assert!((111_000.0..111_400.0).contains(&d), "{d}");
    }
}
