//! Celestial frames (ICRS, galactic, ecliptic) and the rotations between them.

/// A celestial reference frame.
///
/// It parses the names of `--frame`, of hips2fits's `coordsys` and of `hips_frame` (with their
/// legacy letters), case-insensitively, and prints as the first of them:
///
/// ```
/// use hipscut::Frame;
/// assert_eq!("equatorial".parse::<Frame>()?, Frame::Icrs);
/// assert_eq!("G".parse::<Frame>()?, Frame::Galactic);
/// assert_eq!(Frame::Galactic.to_string(), "galactic");
/// # Ok::<(), hipscut::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Frame {
    /// The International Celestial Reference System (equatorial, J2000): the default.
    #[default]
    Icrs,
    /// Galactic coordinates (Hipparcos definition).
    Galactic,
    /// Ecliptic coordinates, mean equinox and ecliptic of J2000.
    Ecliptic,
}

crate::names::named_choices!(Frame, "frame", {
    Icrs => "icrs" | "equatorial" | "c" | "q" | "fk5" | "j2000",
    Galactic => "galactic" | "g",
    Ecliptic => "ecliptic" | "e",
});

/// Galactic → ICRS rotation (rows), as in the CDS libraries (Hipparcos definition).
const GAL_TO_ICRS: [[f64; 3]; 3] = [
    [
        -0.0548755604024359,
        0.4941094279435681,
        -0.867_666_148_981_161,
    ],
    [
        -0.8734370902479237,
        -0.4448296299195045,
        -0.1980763734646737,
    ],
    [-0.4838350155267381, 0.7469822444763707, 0.4559837762325372],
];

/// Mean obliquity of the ecliptic at J2000 (IAU 2006), in degrees.
const OBLIQUITY_J2000_DEG: f64 = 23.439_279_444_444_445;

impl Frame {
    /// The (longitude, latitude) prefixes of CTYPE1/CTYPE2 for this frame.
    pub fn ctype_prefixes(self) -> (&'static str, &'static str) {
        match self {
            Frame::Icrs => ("RA", "DEC"),
            Frame::Galactic => ("GLON", "GLAT"),
            Frame::Ecliptic => ("ELON", "ELAT"),
        }
    }

    /// The rotation taking vectors of this frame to ICRS.
    fn to_icrs(self) -> [[f64; 3]; 3] {
        match self {
            Frame::Icrs => [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            Frame::Galactic => GAL_TO_ICRS,
            Frame::Ecliptic => {
                let (s, c) = OBLIQUITY_J2000_DEG.to_radians().sin_cos();
                [[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]]
            }
        }
    }
}

/// A rotation of unit vectors from one frame to another.
#[derive(Debug, Clone, Copy)]
pub struct FrameRotation {
    m: [[f64; 3]; 3],
    identity: bool,
}

impl FrameRotation {
    pub fn new(from: Frame, to: Frame) -> Self {
        let a = from.to_icrs();
        let b = to.to_icrs();
        // to ← ICRS is the transpose of to → ICRS.
        let mut m = [[0.0; 3]; 3];
        for (r, row) in m.iter_mut().enumerate() {
            for (c, v) in row.iter_mut().enumerate() {
                *v = (0..3).map(|k| b[k][r] * a[k][c]).sum();
            }
        }
        FrameRotation {
            m,
            identity: from == to,
        }
    }

    #[inline]
    pub fn apply(&self, v: [f64; 3]) -> [f64; 3] {
        if self.identity {
            return v;
        }
        let m = &self.m;
        [
            m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2],
            m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
            m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2],
        ]
    }

    /// Converts (lon, lat) in degrees.
    pub fn apply_deg(&self, lon: f64, lat: f64) -> (f64, f64) {
        let (lon, lat) =
            xyz_to_lonlat(self.apply(lonlat_to_xyz(lon.to_radians(), lat.to_radians())));
        (lon.to_degrees(), lat.to_degrees())
    }
}

/// Unit vector of (lon, lat) in radians.
#[inline]
pub fn lonlat_to_xyz(lon: f64, lat: f64) -> [f64; 3] {
    let (sl, cl) = lon.sin_cos();
    let (sb, cb) = lat.sin_cos();
    [cb * cl, cb * sl, sb]
}

/// (lon in [0, 2π), lat) in radians of a (not necessarily unit) vector.
#[inline]
pub fn xyz_to_lonlat(v: [f64; 3]) -> (f64, f64) {
    let lon = v[1].atan2(v[0]);
    let lon = if lon < 0.0 {
        lon + std::f64::consts::TAU
    } else {
        lon
    };
    let lat = v[2].atan2((v[0] * v[0] + v[1] * v[1]).sqrt());
    (lon, lat)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: (f64, f64), b: (f64, f64), tol: f64) -> bool {
        let dlon = ((a.0 - b.0 + 540.0) % 360.0 - 180.0).abs();
        dlon < tol && (a.1 - b.1).abs() < tol
    }

    #[test]
    fn galactic_centre_and_pole() {
        let to_gal = FrameRotation::new(Frame::Icrs, Frame::Galactic);
        // Galactic centre and north galactic pole (ICRS values from the IAU definition).
        let gc = to_gal.apply_deg(266.404_996_2, -28.936_172_6);
        assert!(
            close(gc, (0.0, 0.0), 1e-4) || close(gc, (360.0, 0.0), 1e-4),
            "{gc:?}"
        );
        let ngp = to_gal.apply_deg(192.859_481_2, 27.128_251_0);
        assert!((ngp.1 - 90.0).abs() < 1e-4, "{ngp:?}");
        let back = FrameRotation::new(Frame::Galactic, Frame::Icrs).apply_deg(gc.0, gc.1);
        assert!(close(back, (266.404_996_2, -28.936_172_6), 1e-9));
    }

    #[test]
    fn ecliptic_pole() {
        // The north ecliptic pole is at RA 270°, Dec 90° − ε.
        let nep = FrameRotation::new(Frame::Ecliptic, Frame::Icrs).apply_deg(0.0, 90.0);
        assert!(
            close(nep, (270.0, 90.0 - OBLIQUITY_J2000_DEG), 1e-9),
            "{nep:?}"
        );
        let through = FrameRotation::new(Frame::Ecliptic, Frame::Galactic).apply_deg(10.0, 20.0);
        let direct = FrameRotation::new(Frame::Icrs, Frame::Galactic).apply_deg(
            FrameRotation::new(Frame::Ecliptic, Frame::Icrs)
                .apply_deg(10.0, 20.0)
                .0,
            FrameRotation::new(Frame::Ecliptic, Frame::Icrs)
                .apply_deg(10.0, 20.0)
                .1,
        );
        assert!(close(through, direct, 1e-9));
    }
}
