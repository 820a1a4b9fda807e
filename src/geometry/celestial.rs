//! A FITS celestial WCS computed here, for the projections mapproj lacks or maps differently
//! from wcslib (`native.rs`): the linear part (CD, or PC with CDELT, or CROTA2), the projection,
//! and the rotation from native to celestial coordinates with wcslib's LONPOLE/LATPOLE rules
//! (Calabretta & Greisen 2002, §2). The `wcs` crate does this for the other projections; it
//! cannot take a projection of ours, hence the pipeline here.

use super::native::{Conic, ConicKind, Native};
use super::Projection;
use crate::error::{Error, Result};
use crate::fits::{find_card, parse_fits_number, Cards};
use std::f64::consts::{FRAC_PI_2, PI};

/// The whole mapping between FITS pixel coordinates (1-based) and celestial directions.
#[derive(Debug, Clone)]
pub(crate) struct CelestialWcs {
    crpix: [f64; 2],
    /// Degrees of intermediate world coordinates per pixel.
    cd: [[f64; 2]; 2],
    inverse: [[f64; 2]; 2],
    native: Native,
    /// Celestial longitude and latitude of the native pole, and native longitude of the
    /// celestial pole (radians).
    alpha_p: f64,
    delta_p: f64,
    phi_p: f64,
}

/// Whether `projection` (with the parameters in `cards`) is mapped here rather than by the
/// `wcs` crate: mapproj's SZP, its slant SIN (non-zero PV2_1 or PV2_2) and its HPX with other
/// than H = 4, K = 3 disagree with wcslib by degrees; its plain SIN and HPX do not.
pub(crate) fn maps_here(projection: Projection, cards: &Cards) -> bool {
    let pv = |m: u8| find_card(cards, &format!("PV2_{m}")).and_then(parse_fits_number);
    match projection {
        Projection::Sin => pv(1).unwrap_or(0.0) != 0.0 || pv(2).unwrap_or(0.0) != 0.0,
        Projection::Hpx => pv(1).unwrap_or(4.0) != 4.0 || pv(2).unwrap_or(3.0) != 3.0,
        Projection::Air
        | Projection::Szp
        | Projection::Ncp
        | Projection::Par
        | Projection::Cop
        | Projection::Coe
        | Projection::Cod
        | Projection::Coo
        | Projection::Bon
        | Projection::Pco
        | Projection::Tsc
        | Projection::Csc
        | Projection::Qsc
        | Projection::Xph => true,
        _ => false,
    }
}

impl CelestialWcs {
    /// The mapping of `cards` in `projection` (one of [`maps_here`]'s).
    pub(crate) fn new(projection: Projection, cards: &Cards) -> Result<CelestialWcs> {
        let bad = |why: String| Error::InvalidWcs(format!("{projection}: {why}"));
        let number = |key: &str| find_card(cards, key).and_then(parse_fits_number);
        let crval = [
            number("CRVAL1").unwrap_or(0.0),
            number("CRVAL2").unwrap_or(0.0),
        ];
        let pv = |m: u8| number(&format!("PV2_{m}"));
        let native = native_of(projection, &pv, crval[1]).map_err(bad)?;
        let cd = linear_part(cards)?;
        let det = cd[0][0] * cd[1][1] - cd[0][1] * cd[1][0];
        if !(det.is_finite() && det != 0.0) {
            return Err(Error::InvalidWcs(
                "the CD (or PC and CDELT) matrix is singular".into(),
            ));
        }
        let inverse = [
            [cd[1][1] / det, -cd[0][1] / det],
            [-cd[1][0] / det, cd[0][0] / det],
        ];
        let crpix = [
            number("CRPIX1").unwrap_or(0.0),
            number("CRPIX2").unwrap_or(0.0),
        ];
        let (alpha_p, delta_p, phi_p) =
            celestial_pole(&native, crval, number("LONPOLE"), number("LATPOLE")).map_err(bad)?;
        Ok(CelestialWcs {
            crpix,
            cd,
            inverse,
            native,
            alpha_p,
            delta_p,
            phi_p,
        })
    }

    /// The unit vector of FITS pixel (x, y), or `None` off the projection.
    pub(crate) fn pixel_to_sky(&self, x: f64, y: f64) -> Option<[f64; 3]> {
        let (dx, dy) = (x - self.crpix[0], y - self.crpix[1]);
        let u = (self.cd[0][0] * dx + self.cd[0][1] * dy).to_radians();
        let v = (self.cd[1][0] * dx + self.cd[1][1] * dy).to_radians();
        let (phi, theta) = self.native.deproject(u, v)?;
        let (alpha, delta) = rotate(phi, theta, self.phi_p, self.delta_p, self.alpha_p);
        let (sd, cd) = delta.sin_cos();
        let (sa, ca) = alpha.sin_cos();
        let out = [cd * ca, cd * sa, sd];
        out.iter().all(|c| c.is_finite()).then_some(out)
    }

    /// The FITS pixel (x, y) of unit vector `v`, or `None` where the projection does not reach.
    pub(crate) fn sky_to_pixel(&self, v: [f64; 3]) -> Option<(f64, f64)> {
        let alpha = v[1].atan2(v[0]);
        let delta = v[2].clamp(-1.0, 1.0).asin();
        let (phi, theta) = rotate(alpha, delta, self.alpha_p, self.delta_p, self.phi_p);
        let phi = (phi + PI).rem_euclid(2.0 * PI) - PI;
        let (u, w) = self.native.project(phi, theta)?;
        let (u, w) = (u.to_degrees(), w.to_degrees());
        let x = self.inverse[0][0] * u + self.inverse[0][1] * w + self.crpix[0];
        let y = self.inverse[1][0] * u + self.inverse[1][1] * w + self.crpix[1];
        (x.is_finite() && y.is_finite()).then_some((x, y))
    }
}

/// The spherical rotation between native and celestial coordinates, either way (Paper II eqs. 2
/// and 5 are one formula): the longitude `lon_to` + atan2(…) and latitude of (`lon`, `lat`), in
/// the frame whose pole lies at latitude `pole_lat` and longitude `lon_from` of the other.
fn rotate(lon: f64, lat: f64, lon_from: f64, pole_lat: f64, lon_to: f64) -> (f64, f64) {
    let (sl, cl) = lat.sin_cos();
    let (sp, cp) = pole_lat.sin_cos();
    let (sd, cd) = (lon - lon_from).sin_cos();
    let out_lon = lon_to + (-cl * sd).atan2(sl * cp - cl * sp * cd);
    let out_lat = (sl * sp + cl * cp * cd).clamp(-1.0, 1.0).asin();
    (out_lon, out_lat)
}

/// The projection (one of [`maps_here`]'s) with its parameters (PV2_m, degrees), checked as
/// wcslib does.
fn native_of(
    projection: Projection,
    pv: &dyn Fn(u8) -> Option<f64>,
    delta0: f64,
) -> std::result::Result<Native, String> {
    let rad = |d: f64| d.to_radians();
    Ok(match projection {
        Projection::Air => {
            let theta_b = pv(1).unwrap_or(90.0);
            if !(-90.0..=90.0).contains(&theta_b) || theta_b == -90.0 {
                return Err(format!(
                    "PV2_1 (theta_b) = {theta_b}° must lie in (−90°, 90°]"
                ));
            }
            let xi_b = rad(90.0 - theta_b) / 2.0;
            let lncos_b = if xi_b == 0.0 {
                -0.5
            } else {
                xi_b.cos().ln() / xi_b.tan().powi(2)
            };
            Native::Air { lncos_b }
        }
        Projection::Sin => Native::Sin {
            xi: pv(1).unwrap_or(0.0),
            eta: pv(2).unwrap_or(0.0),
        },
        Projection::Szp => {
            let theta_c = pv(3).unwrap_or(90.0);
            if theta_c.abs() > 90.0 {
                return Err(format!("PV2_3 (theta_c) = {theta_c}° must lie within ±90°"));
            }
            let (mu, phi_c) = (pv(1).unwrap_or(0.0), pv(2).unwrap_or(0.0));
            Native::szp(mu, rad(phi_c), rad(theta_c))
                .ok_or("PV2_1 and PV2_3 make a degenerate projection")?
        }
        Projection::Ncp => {
            if delta0 == 0.0 {
                return Err("NCP is undefined at the equator (CRVAL2 = 0)".into());
            }
            Native::Sin {
                xi: 0.0,
                eta: 1.0 / rad(delta0).tan(),
            }
        }
        Projection::Par => Native::Par,
        Projection::Cop => conic_of(ConicKind::Cop, pv)?,
        Projection::Coe => conic_of(ConicKind::Coe, pv)?,
        Projection::Cod => conic_of(ConicKind::Cod, pv)?,
        Projection::Coo => conic_of(ConicKind::Coo, pv)?,
        Projection::Bon => {
            let theta1 = pv(1).ok_or("PV2_1 (theta_1) is required")?;
            if theta1 == 0.0 || theta1.abs() > 90.0 {
                return Err(format!(
                    "PV2_1 (theta_1) = {theta1}° must be non-zero within ±90°"
                ));
            }
            let t1 = rad(theta1);
            Native::Bon {
                theta1: t1,
                y0: 1.0 / t1.tan() + t1,
            }
        }
        Projection::Pco => Native::Pco,
        Projection::Tsc => Native::Tsc,
        Projection::Csc => Native::Csc,
        Projection::Qsc => Native::Qsc,
        Projection::Xph => Native::Xph,
        Projection::Hpx => {
            let (h, k) = (pv(1).unwrap_or(4.0), pv(2).unwrap_or(3.0));
            if !(h >= 1.0 && k >= 1.0 && h <= 1e4 && k <= 1e4) {
                return Err(format!(
                    "PV2_1 (H) = {h} and PV2_2 (K) = {k} must be at least 1"
                ));
            }
            Native::Hpx { h, k }
        }
        p => return Err(format!("{p} is mapped by the wcs crate, not here")),
    })
}

/// A conic projection with θa = PV2_1 (required) and η = PV2_2 (degrees).
fn conic_of(
    kind: ConicKind,
    pv: &dyn Fn(u8) -> Option<f64>,
) -> std::result::Result<Native, String> {
    let theta_a = pv(1).ok_or("PV2_1 (theta_a) is required")?;
    let eta = pv(2).unwrap_or(0.0);
    if theta_a == 0.0 || theta_a.abs() >= 90.0 || eta.abs() >= 90.0 {
        return Err(format!(
            "PV2_1 (theta_a) = {theta_a}° must be non-zero within ±90°, and |PV2_2| < 90°"
        ));
    }
    Conic::new(kind, theta_a.to_radians(), eta.to_radians())
        .map(Native::Conic)
        .ok_or_else(|| "PV2_1 and PV2_2 make a degenerate conic".into())
}

/// The linear part: CDi_j, or PCi_j × CDELTi, or CDELTi with CROTA2 (degrees per pixel).
fn linear_part(cards: &Cards) -> Result<[[f64; 2]; 2]> {
    let number = |key: &str| find_card(cards, key).and_then(parse_fits_number);
    let cd_keys = ["CD1_1", "CD1_2", "CD2_1", "CD2_2"];
    if cd_keys.iter().any(|k| number(k).is_some()) {
        let c = cd_keys.map(|k| number(k).unwrap_or(0.0));
        return Ok([[c[0], c[1]], [c[2], c[3]]]);
    }
    let cdelt = [
        number("CDELT1").unwrap_or(1.0),
        number("CDELT2").unwrap_or(1.0),
    ];
    let pc_keys = ["PC1_1", "PC1_2", "PC2_1", "PC2_2"];
    let pc = if pc_keys.iter().any(|k| number(k).is_some()) {
        let p = [
            number("PC1_1").unwrap_or(1.0),
            number("PC1_2").unwrap_or(0.0),
            number("PC2_1").unwrap_or(0.0),
            number("PC2_2").unwrap_or(1.0),
        ];
        [[p[0], p[1]], [p[2], p[3]]]
    } else {
        let rho = number("CROTA2").unwrap_or(0.0).to_radians();
        let (s, c) = rho.sin_cos();
        if cdelt[0] == 0.0 || cdelt[1] == 0.0 {
            return Err(Error::InvalidWcs("CDELT is zero".into()));
        }
        [[c, -s * cdelt[1] / cdelt[0]], [s * cdelt[0] / cdelt[1], c]]
    };
    Ok([
        [cdelt[0] * pc[0][0], cdelt[0] * pc[0][1]],
        [cdelt[1] * pc[1][0], cdelt[1] * pc[1][1]],
    ])
}

/// (α_p, δ_p, φ_p) of the celestial pole from the fiducial point, CRVAL, LONPOLE and LATPOLE,
/// as wcslib's `celset` does it (Paper II §2.4).
fn celestial_pole(
    native: &Native,
    crval: [f64; 2],
    lonpole: Option<f64>,
    latpole: Option<f64>,
) -> std::result::Result<(f64, f64, f64), String> {
    let (phi0, theta0) = native.fiducial();
    let (alpha0, delta0) = (crval[0].to_radians(), crval[1].to_radians());
    let phi_p = match lonpole {
        Some(l) => l.to_radians(),
        None => phi0 + if delta0 < theta0 { PI } else { 0.0 },
    };
    if theta0 == FRAC_PI_2 {
        return Ok((alpha0, delta0, phi_p));
    }
    let latpole = latpole.unwrap_or(90.0).to_radians();
    let (st0, ct0) = theta0.sin_cos();
    let (sdp, cdp) = (phi_p - phi0).sin_cos();
    let x = ct0 * cdp;
    let z = x.hypot(st0);
    let delta_p = if z == 0.0 {
        if delta0.sin() != 0.0 {
            return Err("the fiducial point and LONPOLE are inconsistent".into());
        }
        latpole
    } else {
        let ratio = delta0.sin() / z;
        if ratio.abs() > 1.0 + 1e-12 {
            return Err("no celestial pole satisfies CRVAL and LONPOLE".into());
        }
        let u = st0.atan2(x);
        let v = ratio.clamp(-1.0, 1.0).acos();
        let fold = |a: f64| (a + PI).rem_euclid(2.0 * PI) - PI;
        let (p1, p2) = (fold(u + v), fold(u - v));
        let ok = |p: f64| p.abs() <= FRAC_PI_2 + 1e-12;
        match (ok(p1), ok(p2)) {
            (true, true) => {
                if (p1 - latpole).abs() <= (p2 - latpole).abs() {
                    p1
                } else {
                    p2
                }
            }
            (true, false) => p1,
            (false, true) => p2,
            _ => return Err("no celestial pole within ±90°".into()),
        }
    };
    let delta_p = delta_p.clamp(-FRAC_PI_2, FRAC_PI_2);
    let zc = delta_p.cos() * delta0.cos();
    let alpha_p = if zc.abs() < 1e-10 {
        if delta0.cos().abs() < 1e-10 {
            alpha0
        } else if delta_p > 0.0 {
            alpha0 + phi_p - phi0 - PI
        } else {
            alpha0 - phi_p + phi0
        }
    } else {
        let xx = (st0 - delta_p.sin() * delta0.sin()) / zc;
        let yy = sdp * ct0 / delta0.cos();
        alpha0 - yy.atan2(xx)
    };
    Ok((alpha_p, delta_p, phi_p))
}
