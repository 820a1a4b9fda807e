//! Projections between the plane of intermediate world coordinates and native spherical
//! coordinates, from Calabretta & Greisen (2002, "Paper II") as wcslib implements them, for the
//! codes mapproj lacks (BON, PCO, TSC, CSC, QSC, XPH) or maps differently from wcslib (AIR, PAR,
//! NCP, SZP, slant SIN, the conics). Plane coordinates and native angles are in radians (R0 = 1); native
//! longitude φ lies in [−π, π].

use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, PI};

/// A projection with its parameters resolved (PVi_j), ready for both directions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Native {
    /// Airy's zenithal: `ln(cos ξb) / tan² ξb`, ξb = (90° − θb)/2 (−½ for θb = 90°).
    Air { lncos_b: f64 },
    /// Slant orthographic (SIN with ξ, η; NCP is η = cot δ0).
    Sin { xi: f64, eta: f64 },
    /// Slant zenithal perspective: the point of projection (xp, yp, zp) from μ, φc, θc, and
    /// the latitude below which it diverges.
    Szp {
        xp: f64,
        yp: f64,
        zp: f64,
        mu: f64,
        theta_limit: f64,
    },
    /// Parabolic.
    Par,
    /// The conics, with their constant C, radius function and Y0 = R(θa).
    Conic(Conic),
    /// Bonne's, with θ1 and Y0 = cot θ1 + θ1 (R(θ) = Y0 − θ).
    Bon { theta1: f64, y0: f64 },
    /// Polyconic.
    Pco,
    /// Tangential spherical cube.
    Tsc,
    /// COBE quadrilateralized spherical cube.
    Csc,
    /// Quadrilateralized spherical cube.
    Qsc,
    /// HEALPix polar ("butterfly").
    Xph,
    /// HEALPix with H facets in longitude and K in latitude (mapproj takes only H = 4, K = 3).
    Hpx { h: f64, k: f64 },
}

/// The kind and constants of a conic projection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Conic {
    pub kind: ConicKind,
    pub theta_a: f64,
    pub eta: f64,
    /// φ on the plane is C·φ.
    pub c: f64,
    pub y0: f64,
    /// COE: γ = sin θ1 + sin θ2, and 1 + sin θ1 sin θ2. COO: ψ.
    pub k1: f64,
    pub k2: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConicKind {
    Cop,
    Coe,
    Cod,
    Coo,
}

impl Conic {
    /// The conic of `kind` with θa = `theta_a` and η = `eta` (radians); `None` if degenerate.
    pub(crate) fn new(kind: ConicKind, theta_a: f64, eta: f64) -> Option<Conic> {
        let (t1, t2) = (theta_a - eta, theta_a + eta);
        let mut conic = Conic {
            kind,
            theta_a,
            eta,
            c: 0.0,
            y0: 0.0,
            k1: 0.0,
            k2: 0.0,
        };
        match kind {
            ConicKind::Cop => {
                conic.c = theta_a.sin();
                conic.y0 = eta.cos() / theta_a.tan();
            }
            ConicKind::Coe => {
                let gamma = t1.sin() + t2.sin();
                conic.c = gamma / 2.0;
                conic.k1 = gamma;
                conic.k2 = 1.0 + t1.sin() * t2.sin();
            }
            ConicKind::Cod => {
                conic.c = if eta == 0.0 {
                    theta_a.sin()
                } else {
                    theta_a.sin() * eta.sin() / eta
                };
                conic.k1 = if eta == 0.0 { 1.0 } else { eta / eta.tan() } / theta_a.tan();
            }
            ConicKind::Coo => {
                let tan_half = |t: f64| ((FRAC_PI_2 - t) / 2.0).tan();
                conic.c = if eta == 0.0 {
                    t1.sin()
                } else {
                    (t2.cos() / t1.cos()).ln() / (tan_half(t2) / tan_half(t1)).ln()
                };
                conic.k1 = t1.cos() / (conic.c * tan_half(t1).powf(conic.c));
            }
        }
        if conic.kind != ConicKind::Cop {
            conic.y0 = conic.radius(theta_a)?;
        }
        (conic.c != 0.0 && conic.c.is_finite() && conic.y0.is_finite()).then_some(conic)
    }

    /// R(θ), or `None` where the projection diverges.
    fn radius(&self, theta: f64) -> Option<f64> {
        let r = match self.kind {
            ConicKind::Cop => {
                let d = theta - self.theta_a;
                if d.abs() >= FRAC_PI_2 {
                    return None;
                }
                self.eta.cos() * (1.0 / self.theta_a.tan() - d.tan())
            }
            ConicKind::Coe => {
                let w = self.k2 - self.k1 * theta.sin();
                if w < 0.0 {
                    return None;
                }
                2.0 / self.k1 * w.sqrt()
            }
            ConicKind::Cod => self.theta_a - theta + self.k1,
            ConicKind::Coo => {
                if theta == -FRAC_PI_2 && self.c > 0.0 {
                    return None;
                }
                self.k1 * ((FRAC_PI_2 - theta) / 2.0).tan().powf(self.c)
            }
        };
        r.is_finite().then_some(r)
    }

    /// θ of radius `r`.
    fn theta(&self, r: f64) -> Option<f64> {
        let t = match self.kind {
            ConicKind::Cop => self.theta_a + (1.0 / self.theta_a.tan() - r / self.eta.cos()).atan(),
            ConicKind::Coe => {
                let s = (self.k2 - (r * self.k1 / 2.0).powi(2)) / self.k1;
                if s.abs() > 1.0 + 1e-12 {
                    return None;
                }
                s.clamp(-1.0, 1.0).asin()
            }
            ConicKind::Cod => self.theta_a + self.k1 - r,
            ConicKind::Coo => {
                if r == 0.0 {
                    if self.c > 0.0 {
                        FRAC_PI_2
                    } else {
                        -FRAC_PI_2
                    }
                } else {
                    FRAC_PI_2 - 2.0 * (r / self.k1).powf(1.0 / self.c).atan()
                }
            }
        };
        (t.is_finite() && t.abs() <= FRAC_PI_2 + 1e-12).then_some(t.clamp(-FRAC_PI_2, FRAC_PI_2))
    }

    fn project(&self, phi: f64, theta: f64) -> Option<(f64, f64)> {
        let r = self.radius(theta)?;
        let a = self.c * phi;
        Some((r * a.sin(), -r * a.cos() + self.y0))
    }

    fn deproject(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let dy = self.y0 - y;
        let r = self.theta_a.signum() * x.hypot(dy);
        let phi = if r == 0.0 {
            0.0
        } else {
            (x / r).atan2(dy / r) / self.c
        };
        if phi.abs() > PI + 1e-12 {
            return None;
        }
        Some((phi, self.theta(r)?))
    }
}

impl Native {
    /// The native coordinates (φ, θ) of the fiducial point (the reference point's).
    pub(crate) fn fiducial(&self) -> (f64, f64) {
        match self {
            Native::Air { .. } | Native::Sin { .. } | Native::Szp { .. } | Native::Xph => {
                (0.0, FRAC_PI_2)
            }
            Native::Conic(c) => (0.0, c.theta_a),
            Native::Par
            | Native::Bon { .. }
            | Native::Pco
            | Native::Tsc
            | Native::Csc
            | Native::Qsc
            | Native::Hpx { .. } => (0.0, 0.0),
        }
    }

    /// Plane (x, y) of native (φ, θ); `None` where the projection does not reach.
    pub(crate) fn project(&self, phi: f64, theta: f64) -> Option<(f64, f64)> {
        match *self {
            Native::Air { lncos_b } => {
                let r = air_radius(theta, lncos_b)?;
                Some((r * phi.sin(), -r * phi.cos()))
            }
            Native::Sin { xi, eta } => {
                let (s, c) = theta.sin_cos();
                // wcslib's bounds: the far hemisphere of the plain projection, and what lies
                // beyond the limb of the slant one (where the inverse takes the other root).
                let limit = if xi == 0.0 && eta == 0.0 {
                    0.0
                } else {
                    -(xi * phi.sin() - eta * phi.cos()).atan()
                };
                if theta < limit {
                    return None;
                }
                Some((
                    c * phi.sin() + xi * (1.0 - s),
                    -c * phi.cos() + eta * (1.0 - s),
                ))
            }
            Native::Szp { .. } => szp_to_plane(self, phi, theta),
            Native::Par => Some((
                phi * (2.0 * (2.0 * theta / 3.0).cos() - 1.0),
                PI * (theta / 3.0).sin(),
            )),
            Native::Conic(c) => c.project(phi, theta),
            Native::Bon { y0, .. } => {
                let r = y0 - theta;
                let a = if r == 0.0 { 0.0 } else { phi * theta.cos() / r };
                Some((r * a.sin(), -r * a.cos() + y0))
            }
            Native::Pco => Some(pco_to_plane(phi, theta)),
            Native::Tsc => cube_to_plane(phi, theta, CubeKind::Tsc),
            Native::Csc => cube_to_plane(phi, theta, CubeKind::Csc),
            Native::Qsc => cube_to_plane(phi, theta, CubeKind::Qsc),
            Native::Xph => Some(xph_project(phi, theta)),
            Native::Hpx { h, k } => Some(hpx_project(phi, theta, h, k)),
        }
    }

    /// Native (φ, θ) of plane (x, y); `None` outside the projection's domain.
    pub(crate) fn deproject(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        match *self {
            Native::Air { lncos_b } => {
                let r = x.hypot(y);
                let phi = if r == 0.0 { 0.0 } else { x.atan2(-y) };
                Some((phi, air_theta(r, lncos_b)?))
            }
            Native::Sin { xi, eta } => sin_to_native(x, y, xi, eta),
            Native::Szp { xp, yp, zp, .. } => szp_to_native(x, y, (xp, yp, zp)),
            Native::Par => {
                let s = y / PI;
                let w = 1.0 - 4.0 * s * s;
                if s.abs() > 1.0 + 1e-12 || w <= 0.0 && x != 0.0 {
                    return None;
                }
                let phi = if w <= 0.0 { 0.0 } else { x / w };
                (phi.abs() <= PI + 1e-12).then(|| (phi, 3.0 * s.clamp(-1.0, 1.0).asin()))
            }
            Native::Conic(c) => c.deproject(x, y),
            Native::Bon { theta1, y0 } => {
                let dy = y0 - y;
                let r = theta1.signum() * x.hypot(dy);
                let theta = y0 - r;
                if theta.abs() > FRAC_PI_2 + 1e-12 {
                    return None;
                }
                let a = if r == 0.0 { 0.0 } else { (x / r).atan2(dy / r) };
                let cos = theta.cos();
                let phi = if cos.abs() < 1e-15 { 0.0 } else { a * r / cos };
                (phi.abs() <= PI + 1e-12).then_some((phi, theta.clamp(-FRAC_PI_2, FRAC_PI_2)))
            }
            Native::Pco => pco_to_native(x, y),
            Native::Tsc => cube_to_native(x, y, CubeKind::Tsc),
            Native::Csc => cube_to_native(x, y, CubeKind::Csc),
            Native::Qsc => cube_to_native(x, y, CubeKind::Qsc),
            Native::Xph => xph_deproject(x, y),
            Native::Hpx { h, k } => hpx_deproject(x, y, h, k),
        }
    }
}

/// AIR's radius at θ: −2 (ln cos ξ / tan ξ + ln cos ξb / tan² ξb · tan ξ), ξ = (π/2 − θ)/2.
fn air_radius(theta: f64, lncos_b: f64) -> Option<f64> {
    let xi = (FRAC_PI_2 - theta) / 2.0;
    if xi >= FRAC_PI_2 - 1e-12 {
        return None;
    }
    if xi < 1e-12 {
        return Some(0.0);
    }
    let t = xi.tan();
    Some(-2.0 * (xi.cos().ln() / t + lncos_b * t))
}

/// The θ of AIR's radius `r`: ξ = (π/2 − θ)/2 is bracketed by a scan (R grows with ξ, up
/// to a maximum for some θb: points beyond it are outside the projection), then bisected.
fn air_theta(r: f64, lncos_b: f64) -> Option<f64> {
    if r == 0.0 {
        return Some(FRAC_PI_2);
    }
    let radius = |xi: f64| air_radius(FRAC_PI_2 - 2.0 * xi, lncos_b).unwrap_or(f64::INFINITY);
    const STEPS: usize = 200;
    let top = FRAC_PI_2 - 1e-9;
    let (mut lo, mut hi) = (0.0f64, None);
    let mut last = 0.0;
    for k in 1..=STEPS {
        let xi = top * k as f64 / STEPS as f64;
        let rk = radius(xi);
        if rk >= r {
            hi = Some(xi);
            break;
        }
        if rk < last {
            return None;
        }
        (lo, last) = (xi, rk);
    }
    let mut hi = hi?;
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        if radius(mid) < r {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(FRAC_PI_2 - (lo + hi))
}

/// SIN with (ξ, η): sin θ from the quadratic (1 + ξ² + η²) s² + 2 (aξ + bη) s + a² + b² − 1 = 0,
/// a = x − ξ, b = y − η; the root nearer the pole.
fn sin_to_native(x: f64, y: f64, xi: f64, eta: f64) -> Option<(f64, f64)> {
    if xi == 0.0 && eta == 0.0 {
        let r2 = x * x + y * y;
        if r2 > 1.0 + 1e-12 {
            return None;
        }
        let phi = if r2 == 0.0 { 0.0 } else { x.atan2(-y) };
        return Some((phi, r2.min(1.0).sqrt().acos()));
    }
    let (a, b) = (x - xi, y - eta);
    let qa = 1.0 + xi * xi + eta * eta;
    let qb = a * xi + b * eta;
    let qc = a * a + b * b - 1.0;
    let disc = qb * qb - qa * qc;
    if disc < 0.0 {
        return None;
    }
    let s1 = (-qb + disc.sqrt()) / qa;
    let s2 = (-qb - disc.sqrt()) / qa;
    let valid = |s: f64| (-1.0 - 1e-12..=1.0 + 1e-12).contains(&s);
    let s = match (valid(s1), valid(s2)) {
        (true, true) => s1.max(s2),
        (true, false) => s1,
        (false, true) => s2,
        _ => return None,
    }
    .clamp(-1.0, 1.0);
    let (px, py) = (x - xi * (1.0 - s), y - eta * (1.0 - s));
    let phi = if px == 0.0 && py == 0.0 {
        0.0
    } else {
        px.atan2(-py)
    };
    Some((phi, s.asin()))
}

impl Native {
    /// SZP from μ = PV2_1, φc = PV2_2, θc = PV2_3 (radians); `None` if degenerate.
    pub(crate) fn szp(mu: f64, phi_c: f64, theta_c: f64) -> Option<Native> {
        let zp = mu * theta_c.sin() + 1.0;
        if zp == 0.0 {
            return None;
        }
        let theta_limit = if (zp - 1.0).abs() < 1.0 {
            (1.0 - zp).asin()
        } else {
            -FRAC_PI_2
        };
        Some(Native::Szp {
            xp: -mu * theta_c.cos() * phi_c.sin(),
            yp: mu * theta_c.cos() * phi_c.cos(),
            zp,
            mu,
            theta_limit,
        })
    }
}

/// SZP's forward map, with wcslib's bounds: not below the divergence latitude, and where the
/// projection overlaps itself (|μ| > 1), not on its far side.
fn szp_to_plane(szp: &Native, phi: f64, theta: f64) -> Option<(f64, f64)> {
    let Native::Szp {
        xp,
        yp,
        zp,
        mu,
        theta_limit,
    } = *szp
    else {
        return None;
    };
    let (sp, cp) = phi.sin_cos();
    let s = 1.0 - theta.sin();
    let t = zp - s;
    if t == 0.0 || theta < theta_limit {
        return None;
    }
    if mu.abs() > 1.0 {
        let q = xp * sp - yp * cp;
        let w = 1.0 / ((zp - 1.0) * zp - 1.0 + q * q).sqrt();
        if w.abs() <= 1.0 {
            let (qa, wa) = (q.atan2(zp - 1.0), w.asin());
            let fold = |v: f64| if v > FRAC_PI_2 { v - 2.0 * PI } else { v };
            if theta < fold(qa - wa).max(fold(qa + wa + PI)) {
                return None;
            }
        }
    }
    let ct = theta.cos();
    Some(((zp * ct * sp - xp * s) / t, -(zp * ct * cp + yp * s) / t))
}

/// SZP's inverse (wcslib's quadratic in sin θ, the root nearer the pole).
fn szp_to_native(x: f64, y: f64, (xp, yp, zp): (f64, f64, f64)) -> Option<(f64, f64)> {
    let r2 = x * x + y * y;
    let (x1, y1) = ((x - xp) / zp, (y - yp) / zp);
    let sxy = x * x1 + y * y1;
    let (theta, z) = if r2 < 1e-10 {
        (FRAC_PI_2 - (r2 / (1.0 + sxy)).sqrt(), r2 / 2.0)
    } else {
        let t = x1 * x1 + y1 * y1;
        let (a, b, c) = (t + 1.0, sxy - t, r2 - 2.0 * sxy + t - 1.0);
        let d = b * b - a * c;
        if d < 0.0 {
            return None;
        }
        let (s1, s2) = ((-b + d.sqrt()) / a, (-b - d.sqrt()) / a);
        let mut s = s1.max(s2);
        if s > 1.0 {
            s = if s - 1.0 < 1e-13 { 1.0 } else { s1.min(s2) };
        }
        if s < -1.0 && s + 1.0 > -1e-13 {
            s = -1.0;
        }
        if !(-1.0..=1.0).contains(&s) {
            return None;
        }
        (s.asin(), 1.0 - s)
    };
    Some(((x - x1 * z).atan2(-(y - y1 * z)), theta))
}

fn pco_to_plane(phi: f64, theta: f64) -> (f64, f64) {
    if theta == 0.0 {
        return (phi, 0.0);
    }
    let a = phi * theta.sin();
    let cot = 1.0 / theta.tan();
    (cot * a.sin(), theta + cot * (1.0 - a.cos()))
}

/// PCO's inverse: θ solves x² tan θ + (y − θ)² tan θ − 2 (y − θ) = 0 between 0 and y (found
/// by bisection, as wcslib iterates), then φ from the cone's angle.
fn pco_to_native(x: f64, y: f64) -> Option<(f64, f64)> {
    if y.abs() > PI + 1e-12 {
        return None;
    }
    if y.abs() < 1e-15 {
        return (x.abs() <= PI + 1e-12).then_some((x, 0.0));
    }
    let f = |t: f64| {
        let d = y - t;
        (x * x + d * d) * t.tan() - 2.0 * d
    };
    // f(0) = −2y and f(θ) takes y's sign as θ → y (tan θ and y share a sign): a root lies
    // between them, at most ±π/2.
    let (mut lo, mut hi) = (0.0f64, y.clamp(-FRAC_PI_2 + 1e-15, FRAC_PI_2 - 1e-15));
    let (flo, fhi) = (f(lo), f(hi));
    if flo.signum() == fhi.signum() {
        return None;
    }
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if f(mid).signum() == flo.signum() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let theta = (lo + hi) / 2.0;
    let t = theta.tan();
    let a = (x * t).atan2(1.0 - (y - theta) * t);
    let phi = a / theta.sin();
    (phi.abs() <= PI + 1e-9 && theta.abs() <= FRAC_PI_2).then_some((phi, theta))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CubeKind {
    Tsc,
    Csc,
    Qsc,
}

/// Which face of the cube a direction falls on (wcslib's numbering: 0 top, 1–4 around from
/// φ = 0, 5 bottom), and its direction cosines (l, m, n).
fn cube_face(phi: f64, theta: f64) -> (usize, [f64; 3]) {
    let (st, ct) = theta.sin_cos();
    let (sp, cp) = phi.sin_cos();
    let l = ct * cp;
    let m = ct * sp;
    let n = st;
    let mut face = 0;
    let mut zeta = n;
    for (f, v) in [(1, l), (2, m), (3, -l), (4, -m), (5, -n)] {
        if v > zeta {
            zeta = v;
            face = f;
        }
    }
    (face, [l, m, n])
}

/// The face's (ξ, η, ζ) from the direction cosines, and its centre (x0, y0) on the plane in
/// units of π/4.
fn face_coordinates(face: usize, [l, m, n]: [f64; 3]) -> (f64, f64, f64, f64, f64) {
    match face {
        0 => (m, -l, n, 0.0, 2.0),
        1 => (m, n, l, 0.0, 0.0),
        2 => (-l, n, m, 2.0, 0.0),
        3 => (-m, n, -l, 4.0, 0.0),
        4 => (l, n, -m, 6.0, 0.0),
        _ => (m, l, -n, 0.0, -2.0),
    }
}

fn cube_to_plane(phi: f64, theta: f64, kind: CubeKind) -> Option<(f64, f64)> {
    let (face, lmn) = cube_face(phi, theta);
    let (xi, eta, zeta, x0, y0) = face_coordinates(face, lmn);
    let (a, b) = match kind {
        CubeKind::Tsc => (xi / zeta, eta / zeta),
        CubeKind::Csc => csc_forward(xi / zeta, eta / zeta),
        CubeKind::Qsc => qsc_forward(xi, eta, zeta)?,
    };
    Some((FRAC_PI_4 * (x0 + a), FRAC_PI_4 * (y0 + b)))
}

/// The face of plane position (xf, yf) (units of π/4) and the position on it, split as wcslib
/// does; `round` rounds each step (CSC works in single precision, and its faces' positions
/// must be rounded where wcslib rounds them to meet astropy to 1e-5°).
fn face_of(xf: f64, yf: f64, round: &dyn Fn(f64) -> f64) -> Option<(usize, f64, f64)> {
    let (mut xf, mut yf) = (round(xf), round(yf));
    let inside = if xf.abs() <= 1.0 {
        yf.abs() <= 3.0
    } else {
        xf.abs() <= 7.0 && yf.abs() <= 1.0
    };
    if !inside {
        return None;
    }
    if xf < -1.0 {
        xf = round(xf + 8.0);
    }
    let face = if xf > 5.0 {
        xf = round(xf - 6.0);
        4
    } else if xf > 3.0 {
        xf = round(xf - 4.0);
        3
    } else if xf > 1.0 {
        xf = round(xf - 2.0);
        2
    } else if yf > 1.0 {
        yf = round(yf - 2.0);
        0
    } else if yf < -1.0 {
        yf = round(yf + 2.0);
        5
    } else {
        1
    };
    Some((face, xf, yf))
}

fn cube_to_native(x: f64, y: f64, kind: CubeKind) -> Option<(f64, f64)> {
    let single = |v: f64| f64::from(v as f32);
    let exact = |v: f64| v;
    let round: &dyn Fn(f64) -> f64 = if kind == CubeKind::Csc {
        &single
    } else {
        &exact
    };
    let (face, a, b) = face_of(x / FRAC_PI_4, y / FRAC_PI_4, round)?;
    let (u, v, w) = match kind {
        CubeKind::Tsc => {
            let z = 1.0 / (1.0 + a * a + b * b).sqrt();
            (a * z, b * z, z)
        }
        CubeKind::Csc => {
            let (p, q) = csc_inverse(a, b);
            let z = 1.0 / (1.0 + p * p + q * q).sqrt();
            (p * z, q * z, z)
        }
        CubeKind::Qsc => qsc_inverse(a.clamp(-1.0, 1.0), b.clamp(-1.0, 1.0)),
    };
    // (u, v, w) are (ξ, η, ζ) of the face: back to (l, m, n).
    let (l, m, n) = match face {
        0 => (-v, u, w),
        1 => (w, u, v),
        2 => (-u, w, v),
        3 => (-w, -u, v),
        4 => (u, -w, v),
        _ => (v, u, -w),
    };
    Some((m.atan2(l), n.clamp(-1.0, 1.0).asin()))
}

/// CSC's polynomial (Chan & O'Neill, as in Paper II): the face position of gnomonic (a, b).
/// Evaluated in single precision with single-precision constants, as wcslib does: CSC is an
/// approximation in any case (to about a second of arc), and astropy's values are wcslib's.
// The constants as published (Paper II, wcslib), which round them to single precision too.
#[allow(clippy::excessive_precision, clippy::unreadable_literal)]
fn csc_forward(a: f64, b: f64) -> (f64, f64) {
    const GSTAR: f32 = 1.37484847732;
    const MM: f32 = 0.004869491981;
    const GAMMA: f32 = -0.13161671474;
    const OMEGA1: f32 = -0.159596235474;
    const D0: f32 = 0.0759196200467;
    const D1: f32 = -0.0217762490699;
    const C00: f32 = 0.141189631152;
    const C10: f32 = 0.0809701286525;
    const C01: f32 = -0.281528535557;
    const C11: f32 = 0.15384112876;
    const C20: f32 = -0.178251207466;
    const C02: f32 = 0.106959469314;
    let f = |p: f32, q: f32| {
        let (p2, q2) = (p * p, q * q);
        let p2co = 1.0 - p2;
        let q2co = 1.0 - q2;
        p * (GSTAR
            + p2 * (1.0 - GSTAR)
            + q2 * p2co
                * (GAMMA
                    + (MM - GAMMA) * p2
                    + q2co
                        * (C00
                            + C10 * p2
                            + C01 * q2
                            + C11 * p2 * q2
                            + C20 * p2 * p2
                            + C02 * q2 * q2))
            + p2 * p2co * (OMEGA1 - p2co * (D0 + D1 * p2)))
    };
    let (a, b) = (a as f32, b as f32);
    (f64::from(f(a, b)), f64::from(f(b, a)))
}

/// CSC's inverse polynomial: the gnomonic (a, b) of face position (x, y), in single precision
/// and in wcslib's order of evaluation (nested in X² within nested in Y²): the approximation
/// is wcslib's to its last bit, so astropy's positions are met to 1e-5°.
#[allow(clippy::excessive_precision, clippy::unreadable_literal)]
#[rustfmt::skip]
fn csc_inverse(x: f64, y: f64) -> (f64, f64) {
    // P[j][i] multiplies X^2i Y^2j.
    const P: [[f32; 7]; 7] = [
        [-0.27292696, -0.07629969, -0.22797056, 0.54852384, -0.62930065, 0.25795794, 0.02584375],
        [-0.02819452, -0.01471565, 0.48051509, -1.74114454, 1.71547508, -0.53022337, 0.0],
        [0.27058160, -0.56800938, 0.30803317, 0.98938102, -0.83180469, 0.0, 0.0],
        [-0.60441560, 1.50880086, -0.93678576, 0.08693841, 0.0, 0.0, 0.0],
        [0.93412077, -1.41601920, 0.33887446, 0.0, 0.0, 0.0, 0.0],
        [-0.63915306, 0.52032238, 0.0, 0.0, 0.0, 0.0, 0.0],
        [0.14381585, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    ];
    let g = |x: f32, y: f32| {
        let (xx, yy) = (x * x, y * y);
        // z_j = Σ_i P[j][i] xx^i (Horner), then Σ_j z_j yy^j (Horner).
        let z: Vec<f32> = P
            .iter()
            .enumerate()
            .map(|(j, row)| {
                row[..7 - j]
                    .iter()
                    .rev()
                    .fold(0.0f32, |acc, &p| acc * xx + p)
            })
            .collect();
        let sum = z.iter().rev().fold(0.0f32, |acc, &zj| acc * yy + zj);
        x + x * (1.0 - xx) * sum
    };
    let (x, y) = (x as f32, y as f32);
    (f64::from(g(x, y)), f64::from(g(y, x)))
}

/// QSC's face position of the direction (ξ, η, ζ) on a face (Paper II, as wcslib): along the
/// larger of |ξ|, |η| the position is √((1 − ζ) / (1 − 1/√(2 + ω²))), ω the smaller over the
/// larger; across, that times (atan ω − asin(ω / √(2 + 2ω²))) / 15°.
fn qsc_forward(xi: f64, eta: f64, zeta: f64) -> Option<(f64, f64)> {
    if xi == 0.0 && eta == 0.0 {
        return Some((0.0, 0.0));
    }
    let along_across = |big: f64, small: f64| {
        let omega = small / big;
        let tau = 1.0 + omega * omega;
        let along = big.signum()
            * ((1.0 - zeta) / (1.0 - 1.0 / (1.0 + tau).sqrt()))
                .max(0.0)
                .sqrt();
        let angle = omega.atan() - (omega / (2.0 * tau).sqrt()).asin();
        (along, along * angle.to_degrees() / 15.0)
    };
    Some(if xi.abs() >= eta.abs() {
        along_across(xi, eta)
    } else {
        let (b, a) = along_across(eta, xi);
        (a, b)
    })
}

/// QSC's direction (ξ, η, ζ) of a face position: the across/along ratio gives
/// Ω = 15° · across / along, then ω = sin Ω / (cos Ω − 1/√2) and ζ from the along position.
fn qsc_inverse(x: f64, y: f64) -> (f64, f64, f64) {
    if x == 0.0 && y == 0.0 {
        return (0.0, 0.0, 1.0);
    }
    let solve = |along: f64, across: f64| {
        let big_omega = (15.0 * across / along).to_radians();
        let omega = big_omega.sin() / (big_omega.cos() - std::f64::consts::FRAC_1_SQRT_2);
        let tau = 1.0 + omega * omega;
        let zeta = (1.0 - along * along * (1.0 - 1.0 / (1.0 + tau).sqrt())).clamp(-1.0, 1.0);
        let big = along.signum() * ((1.0 - zeta * zeta) / tau).max(0.0).sqrt();
        (big, big * omega, zeta)
    };
    if x.abs() >= y.abs() {
        solve(x, y)
    } else {
        let (b, a, zeta) = solve(y, x);
        (a, b, zeta)
    }
}

/// XPH (Calabretta & Lowe 2013), as wcslib's `xphs2x` computes it, in degrees: the HEALPix
/// projection of each quarter of the sphere, its polar triangles joined at the pole, turned 45°
/// so that the four quarters make a butterfly.
fn xph_project(phi: f64, theta: f64) -> (f64, f64) {
    let (phi, theta) = (phi.to_degrees(), theta.to_degrees());
    let mut chi = phi;
    if chi.abs() >= 180.0 {
        chi %= 360.0;
        if chi < -180.0 {
            chi += 360.0;
        } else if chi >= 180.0 {
            chi -= 360.0;
        }
    }
    chi += 180.0;
    let psi = chi % 90.0;
    let quarter = chi - 180.0;
    let sin = theta.to_radians().sin();
    let (mut xi, mut eta) = if sin.abs() <= 2.0 / 3.0 {
        (psi, 67.5 * sin)
    } else {
        let near_pole = 90.0 - 1e-4 * (2.0f64 / 3.0).sqrt().to_degrees();
        let sigma = if theta < near_pole {
            (3.0 * (1.0 - sin.abs())).sqrt()
        } else {
            (90.0 - theta) * 1.5f64.sqrt().to_radians()
        };
        let eta = 45.0 * (2.0 - sigma);
        (
            45.0 + (psi - 45.0) * sigma,
            if theta < 0.0 { -eta } else { eta },
        )
    };
    xi -= 45.0;
    eta -= 90.0;
    let w = std::f64::consts::FRAC_1_SQRT_2;
    let (x, y) = if quarter < -90.0 {
        (w * (-xi + eta), w * (-xi - eta))
    } else if quarter < 0.0 {
        (w * (xi + eta), w * (-xi + eta))
    } else if quarter < 90.0 {
        (w * (xi - eta), w * (xi + eta))
    } else {
        (w * (-xi - eta), w * (xi - eta))
    };
    (x.to_radians(), y.to_radians())
}

/// XPH's inverse, as wcslib's `xphx2s`, with its bounds.
fn xph_deproject(x: f64, y: f64) -> Option<(f64, f64)> {
    const TOL: f64 = 1e-12;
    let w = std::f64::consts::FRAC_1_SQRT_2;
    let (xr, yr) = (x.to_degrees() * w, y.to_degrees() * w);
    let (xi1, eta1, mut phi) = if xr <= 0.0 && 0.0 < yr {
        (-xr - yr, xr - yr, -180.0)
    } else if xr < 0.0 && yr <= 0.0 {
        (xr - yr, xr + yr, -90.0)
    } else if 0.0 <= xr && yr < 0.0 {
        (xr + yr, -xr + yr, 0.0)
    } else {
        (-xr + yr, -xr - yr, 90.0)
    };
    let (xi, eta) = (xi1 + 45.0, eta1 + 90.0);
    if eta.abs() > 90.0 {
        return None;
    }
    let theta = if eta.abs() <= 45.0 {
        if 45.0 + TOL < xi1.abs() {
            return None;
        }
        phi += xi;
        (eta / 67.5).asin().to_degrees()
    } else {
        let sigma = (90.0 - eta.abs()) / 45.0;
        if xr == 0.0 {
            phi = if yr <= 0.0 { 0.0 } else { 180.0 };
        } else if yr == 0.0 {
            phi = if xr < 0.0 { -90.0 } else { 90.0 };
        } else if sigma > 0.0 {
            phi += 45.0 + xi1 / sigma;
        }
        let t = if sigma < 1e-4 {
            90.0 - sigma * (2.0f64 / 3.0).sqrt().to_degrees()
        } else {
            (1.0 - sigma * sigma / 3.0).asin().to_degrees()
        };
        if eta < -45.0 && eta + 90.0 + TOL < xi1.abs() {
            return None;
        }
        if eta < 0.0 {
            -t
        } else {
            t
        }
    };
    if phi.abs() > 180.0 + TOL || theta.abs() > 90.0 + TOL {
        return None;
    }
    Some((
        phi.clamp(-180.0, 180.0).to_radians(),
        theta.clamp(-90.0, 90.0).to_radians(),
    ))
}

/// HEALPix with H and K (Calabretta & Roukema 2007), as wcslib's `hpxs2x` computes it, in
/// degrees: equal-area cylindrical within |sin θ| ≤ (K − 1)/K, the polar facets above.
fn hpx_project(phi: f64, theta: f64, h: f64, k: f64) -> (f64, f64) {
    let (phi, theta) = (phi.to_degrees(), theta.to_degrees());
    let facet = 180.0 / h;
    let sin = theta.to_radians().sin();
    if sin.abs() <= (k - 1.0) / k {
        return (phi.to_radians(), (90.0 * k / h * sin).to_radians());
    }
    let sigma = (k * (1.0 - sin.abs())).sqrt();
    let mut eta = facet * ((k + 1.0) / 2.0 - sigma);
    if theta < 0.0 {
        eta = -eta;
    }
    let mut x = phi + polar_offset(phi, h, k, theta <= 0.0) * (sigma - 1.0);
    if x > 180.0 {
        x = 360.0 - x;
    }
    (x.to_radians(), eta.to_radians())
}

/// How far `lon` (φ, or x on the plane, degrees) lies from the centre of its polar facet; the
/// `south`ern half-facets are offset by one facet for even K.
fn polar_offset(lon: f64, h: f64, k: f64, south: bool) -> f64 {
    let facet = 180.0 / h;
    let centre = -180.0 + (2.0 * ((lon + 180.0) * h / 360.0).floor() + 1.0) * facet;
    let mut offset = lon - centre;
    if !is_odd(k) && south {
        let facet_no = (lon / facet).floor() as i64 + i64::from(is_odd(h));
        offset += if facet_no % 2 != 0 { -facet } else { facet };
    }
    offset
}

/// Whether a facet count (given as a real number) is odd, as wcslib rounds it.
fn is_odd(v: f64) -> bool {
    ((v + 0.5) as i64) % 2 == 1
}

/// HEALPix's inverse, as wcslib's `hpxx2s`, with its bounds.
fn hpx_deproject(x: f64, y: f64, h: f64, k: f64) -> Option<(f64, f64)> {
    let (x, y) = (x.to_degrees(), y.to_degrees());
    let facet = 180.0 / h;
    let (phi, theta) = if y.abs() <= 90.0 * (k - 1.0) / h {
        (x, (y / (90.0 * k / h)).asin().to_degrees())
    } else if y.abs() <= facet * (k + 1.0) / 2.0 {
        let sigma = (k + 1.0) / 2.0 - y.abs() / facet;
        let (scale, t) = if sigma == 0.0 {
            (1e9, 90.0)
        } else {
            let t = 1.0 - sigma * sigma / k;
            if t < -1.0 {
                return None;
            }
            (1.0 / sigma, t.asin().to_degrees())
        };
        let off_centre = polar_offset(x, h, k, y <= 0.0);
        let mut r = scale * off_centre;
        if facet + 1e-12 <= r.abs() {
            return None;
        }
        if r != 0.0 {
            r -= off_centre;
        }
        (x + r, if y < 0.0 { -t } else { t })
    } else {
        return None;
    };
    let tol = 1e-12;
    if phi.abs() > 180.0 + tol || theta.abs() > 90.0 + tol {
        return None;
    }
    Some((
        phi.clamp(-180.0, 180.0).to_radians(),
        theta.clamp(-90.0, 90.0).to_radians(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every projection maps its plane back to the native point it came from, over a grid of
    /// the sphere where it is defined (the painters go both ways).
    #[test]
    fn every_projection_round_trips() {
        let rad = |d: f64| d.to_radians();
        let conic = |kind| Native::Conic(Conic::new(kind, rad(40.0), rad(10.0)).unwrap());
        let projections = [
            ("AIR", Native::Air { lncos_b: -0.5 }),
            (
                "AIR 45",
                Native::Air {
                    lncos_b: rad(22.5).cos().ln() / rad(22.5).tan().powi(2),
                },
            ),
            ("SIN", Native::Sin { xi: 0.2, eta: -0.1 }),
            ("SZP", Native::szp(2.0, rad(180.0), rad(60.0)).unwrap()),
            ("PAR", Native::Par),
            ("COP", conic(ConicKind::Cop)),
            ("COE", conic(ConicKind::Coe)),
            ("COD", conic(ConicKind::Cod)),
            ("COO", conic(ConicKind::Coo)),
            (
                "BON",
                Native::Bon {
                    theta1: rad(30.0),
                    y0: 1.0 / rad(30.0).tan() + rad(30.0),
                },
            ),
            ("PCO", Native::Pco),
            ("TSC", Native::Tsc),
            ("CSC", Native::Csc),
            ("QSC", Native::Qsc),
            ("XPH", Native::Xph),
            ("HPX 6 5", Native::Hpx { h: 6.0, k: 5.0 }),
            ("HPX 4 4", Native::Hpx { h: 4.0, k: 4.0 }),
        ];
        for (name, p) in projections {
            let (mut tested, mut worst) = (0, 0f64);
            for i in -17..=17 {
                for j in -35..=35 {
                    let (phi, theta) = (rad(j as f64 * 5.0 + 0.3), rad(i as f64 * 5.0 + 0.2));
                    let Some((x, y)) = p.project(phi, theta) else {
                        continue;
                    };
                    let (phi2, theta2) = p
                        .deproject(x, y)
                        .unwrap_or_else(|| panic!("{name}: ({phi}, {theta}) does not come back"));
                    let d = ((phi2 - phi) * theta.cos()).hypot(theta2 - theta);
                    worst = worst.max(d);
                    tested += 1;
                }
            }
            // CSC's forward and inverse polynomials (Chan & O'Neill's, wcslib's) are inverse
            // only to about a minute of arc: measured 2.18e-4 rad at worst.
            let bound = if name == "CSC" { 4.4e-4 } else { 1e-9 };
            assert!(tested > 1000, "{name}: {tested} points");
            assert!(worst < bound, "{name}: round trip off by {worst:e} rad");
        }
    }
}
