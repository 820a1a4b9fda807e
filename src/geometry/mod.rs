//! The output image's pixel grid and its mapping to the sky (a FITS celestial WCS).
//!
//! Every output geometry is a list of FITS cards, built from a view (centre, field, size,
//! projection, rotation, frame) or read from a header file. The same cards drive the projection
//! (through the CDS `wcs` crate and mapproj) and are written into FITS outputs, so the file's
//! header describes exactly the mapping the painter used.

mod celestial;
mod frame;
mod header;
mod native;
mod projection;

pub(crate) use crate::fits::Cards;
pub use frame::{lonlat_to_xyz, xyz_to_lonlat, Frame, FrameRotation};
pub(crate) use header::{parse_header_bytes, read_header_file};
pub use projection::Projection;

use crate::error::{Error, Result};
use crate::fits::{find_card, parse_fits_number};
use celestial::{maps_here, CelestialWcs};
use wcs::{ImgXY, WCSParams, WCS};

/// The largest accepted output side, pixels.
pub const MAX_SIDE: usize = 30_000;
/// The largest accepted output, pixels.
pub const MAX_PIXELS: usize = 150_000_000;

/// A view with every choice made: what a request's [`crate::View`] becomes once the survey's
/// defaults fill its gaps.
#[derive(Debug, Clone)]
pub struct ResolvedView {
    /// Centre longitude, degrees in `frame`.
    pub lon: f64,
    /// Centre latitude, degrees in `frame`.
    pub lat: f64,
    /// Field of view across the larger side, degrees.
    pub fov: f64,
    /// Image width, pixels.
    pub width: usize,
    /// Image height, pixels.
    pub height: usize,
    /// Map projection.
    pub projection: Projection,
    /// Position angle of the image's up direction, degrees East of North.
    pub rotation: f64,
    /// Frame of the centre and of the output WCS.
    pub frame: Frame,
}

/// The output pixel grid and its WCS.
pub struct OutputGeometry {
    /// Width, pixels.
    pub width: usize,
    /// Height, pixels.
    pub height: usize,
    /// The frame of the WCS's celestial axes.
    pub frame: Frame,
    /// The map projection.
    pub projection: Projection,
    /// The celestial WCS cards, as they are written into FITS outputs.
    pub cards: Cards,
    mapping: Mapping,
}

/// What maps pixels to the sky: the `wcs` crate (mapproj), or our own pipeline for the
/// projections it lacks or maps differently from wcslib.
// Not boxed: the painters call the mapping for every pixel, and the indirection cost the
// precise painter 10 % more instructions.
#[allow(clippy::large_enum_variant)]
enum Mapping {
    Cds(WCS),
    Own(CelestialWcs),
}

impl std::fmt::Debug for OutputGeometry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputGeometry")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("frame", &self.frame)
            .field("projection", &self.projection)
            .field("cards", &self.cards)
            .finish()
    }
}

/// Cards whose values are strings; all other WCS cards are numbers.
fn is_string_card(key: &str) -> bool {
    key.starts_with("CTYPE") || key.starts_with("CUNIT") || key == "RADESYS" || key == "RADECSYS"
}

/// Whether a card belongs to the celestial WCS (and is kept from a header file).
fn is_wcs_card(key: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "CTYPE", "CUNIT", "CRPIX", "CRVAL", "CDELT", "CD1_", "CD2_", "PC1_", "PC2_", "CROTA",
        "PV1_", "PV2_",
    ];
    PREFIXES.iter().any(|p| key.starts_with(p))
        || matches!(
            key,
            "LONPOLE" | "LATPOLE" | "RADESYS" | "RADECSYS" | "EQUINOX"
        )
}

/// Checks the projection parameters (PV2_m) a projection asserts on, with wcslib's ranges, so
/// that a header is refused with a message instead of reaching mapproj's assertions.
fn check_projection_parameters(projection: Projection, cards: &Cards) -> Result<()> {
    let pv = |m: u8, default: f64| {
        find_card(cards, &format!("PV2_{m}"))
            .and_then(parse_fits_number)
            .unwrap_or(default)
    };
    let refuse = |why: String| Err(Error::InvalidWcs(format!("{projection}: {why}")));
    match projection {
        Projection::Azp => {
            let (mu, gamma) = (pv(1, 0.0), pv(2, 0.0));
            if mu == -1.0 {
                return refuse("PV2_1 (mu) = -1 is a degenerate projection".into());
            }
            if gamma.abs() >= 90.0 {
                return refuse(format!("PV2_2 (gamma) = {gamma}° must lie within ±90°"));
            }
        }
        Projection::Cyp => {
            let (mu, lambda) = (pv(1, 1.0), pv(2, 1.0));
            if lambda == 0.0 || mu == 0.0 || mu + lambda == 0.0 {
                return refuse(format!(
                    "PV2_1 (mu) = {mu} and PV2_2 (lambda) = {lambda} make a degenerate \
                     projection (neither may be 0, nor may they cancel)"
                ));
            }
        }
        Projection::Cea => {
            let lambda = pv(1, 1.0);
            if !(lambda > 0.0 && lambda <= 1.0) {
                return refuse(format!("PV2_1 (lambda) = {lambda} must be in (0, 1]"));
            }
        }
        _ => {}
    }
    Ok(())
}

/// Splits `RA---TAN` / `GLAT-AIT` into (axis prefix, projection code).
///
/// SIP distortion (`RA---TAN-SIP`) is refused: mapproj 0.4 evaluates the SIP polynomials with
/// the wrong monomials (u, u², u⁴… and only part of the coefficients), so the image would be
/// silently wrong.
fn split_ctype(ctype: &str) -> Result<(&str, Projection)> {
    let bad = || Error::InvalidWcs(format!("CTYPE `{ctype}` is not of the form `RA---TAN`"));
    if ctype.len() < 8 || !ctype.is_ascii() || ctype.as_bytes()[4] != b'-' {
        return Err(bad());
    }
    let prefix = ctype[..4].trim_end_matches('-');
    let code = &ctype[5..8];
    match &ctype[8..] {
        "" => {}
        "-SIP" => {
            return Err(Error::InvalidWcs(format!(
                "CTYPE `{ctype}`: SIP distortion is not supported yet (the projection library \
                 evaluates it wrongly); remove `-SIP` and the A_/B_ cards to render without it"
            )))
        }
        _ => return Err(bad()),
    }
    Ok((prefix, code.parse()?))
}

impl OutputGeometry {
    /// The geometry of a view: CRPIX = (N+1)/2 (the true image centre), CD from scale and
    /// rotation, East to the left.
    pub(crate) fn from_view(view: &ResolvedView) -> Result<Self> {
        let code = view.projection.code();
        check_size(view.width, view.height)?;
        if !(view.fov > 0.0 && view.fov <= 360.0) {
            return Err(Error::invalid(format!(
                "field of view {}° must be above 0 and at most 360",
                view.fov
            )));
        }
        if !(-90.0..=90.0).contains(&view.lat) {
            return Err(Error::invalid(format!(
                "latitude {}° is outside ±90°",
                view.lat
            )));
        }
        if !view.lon.is_finite() || !view.rotation.is_finite() {
            return Err(Error::invalid(
                "longitude and rotation must be finite numbers",
            ));
        }
        let (lon_prefix, lat_prefix) = view.frame.ctype_prefixes();
        let c = view.fov / view.width.max(view.height) as f64;
        let (s, co) = view.rotation.to_radians().sin_cos();
        let num = |v: f64| format!("{v:.15E}");
        let mut cards: Cards = vec![
            ("CTYPE1".into(), format!("{lon_prefix:-<5}{code}")),
            ("CTYPE2".into(), format!("{lat_prefix:-<5}{code}")),
            ("CRPIX1".into(), num((view.width as f64 + 1.0) / 2.0)),
            ("CRPIX2".into(), num((view.height as f64 + 1.0) / 2.0)),
            ("CRVAL1".into(), num(view.lon.rem_euclid(360.0))),
            ("CRVAL2".into(), num(view.lat)),
            ("CD1_1".into(), num(-c * co)),
            ("CD1_2".into(), num(-c * s)),
            ("CD2_1".into(), num(-c * s)),
            ("CD2_2".into(), num(c * co)),
            ("CUNIT1".into(), "deg".into()),
            ("CUNIT2".into(), "deg".into()),
        ];
        match view.projection {
            // ZPN with one unit coefficient is the equidistant zenithal projection.
            Projection::Zpn => cards.push(("PV2_1".into(), num(1.0))),
            // The conics and Bonne's need a standard parallel: 45° on the view's side.
            Projection::Cop
            | Projection::Coe
            | Projection::Cod
            | Projection::Coo
            | Projection::Bon => {
                let side = if view.lat < 0.0 { -45.0 } else { 45.0 };
                cards.push(("PV2_1".into(), num(side)));
            }
            _ => {}
        }
        if view.frame == Frame::Icrs {
            cards.push(("RADESYS".into(), "ICRS".into()));
        }
        Self::from_cards(view.width, view.height, cards)
    }

    /// The geometry described by a header's cards. The size is `width`/`height` when given,
    /// else the header's NAXIS1/NAXIS2 (astropy's `WCS.to_header()` writes none).
    pub(crate) fn from_header(
        header: &Cards,
        width: Option<usize>,
        height: Option<usize>,
    ) -> Result<Self> {
        let axis = |key: &'static str, given: Option<usize>| -> Result<usize> {
            if let Some(n) = given {
                return Ok(n);
            }
            let v = find_card(header, key).ok_or(Error::HeaderWithoutSize { key })?;
            parse_fits_number(v)
                .filter(|n| n.fract() == 0.0 && *n >= 0.0 && *n <= MAX_SIDE as f64)
                .map(|n| n as usize)
                .ok_or_else(|| Error::InvalidWcs(format!("{key} = `{v}` is not a pixel count")))
        };
        let (w, h) = (axis("NAXIS1", width)?, axis("NAXIS2", height)?);
        let cards = header
            .iter()
            .filter(|(k, _)| is_wcs_card(k))
            .cloned()
            .collect();
        Self::from_cards(w, h, cards)
    }

    fn from_cards(width: usize, height: usize, cards: Cards) -> Result<Self> {
        check_size(width, height)?;
        let get = |k: &str| find_card(&cards, k);
        let ctype1 = get("CTYPE1").ok_or_else(|| Error::InvalidWcs("CTYPE1 is missing".into()))?;
        let ctype2 = get("CTYPE2").ok_or_else(|| Error::InvalidWcs("CTYPE2 is missing".into()))?;
        let (p1, code1) = split_ctype(ctype1)?;
        let (p2, code2) = split_ctype(ctype2)?;
        let frame = match (p1, p2) {
            ("RA", "DEC") => Frame::Icrs,
            ("GLON", "GLAT") => Frame::Galactic,
            ("ELON", "ELAT") => Frame::Ecliptic,
            _ => {
                return Err(Error::InvalidWcs(format!(
                    "axes `{ctype1}`/`{ctype2}`: expected RA/DEC, GLON/GLAT or ELON/ELAT"
                )))
            }
        };
        if code1 != code2 {
            return Err(Error::InvalidWcs(format!(
                "CTYPE1 and CTYPE2 name different projections ({code1}, {code2})"
            )));
        }
        if get("RADESYS")
            .or(get("RADECSYS"))
            .is_some_and(|r| r.trim().starts_with("FK4"))
        {
            return Err(Error::InvalidWcs(
                "FK4 (B1950) frames are not supported".into(),
            ));
        }
        check_projection_parameters(code1, &cards)?;
        let numbers = numeric_cards(&cards)?;
        if maps_here(code1, &cards) {
            let mapping = Mapping::Own(CelestialWcs::new(code1, &cards)?);
            return Self::checked(width, height, frame, code1, cards, mapping);
        }
        // The projection runs in the output frame's own coordinates; frame changes are ours.
        let mut json = serde_json::Map::new();
        json.insert("NAXIS".into(), 2.into());
        json.insert("NAXIS1".into(), width.into());
        json.insert("NAXIS2".into(), height.into());
        json.insert("CTYPE1".into(), format!("RA---{code1}").into());
        json.insert("CTYPE2".into(), format!("DEC--{code1}").into());
        for (key, n) in numbers {
            json.insert(key, serde_json::Value::from(n));
        }
        let params: WCSParams = serde_json::from_value(serde_json::Value::Object(json))
            .map_err(|e| Error::InvalidWcs(e.to_string()))?;
        let wcs = WCS::new(&params).map_err(|e| Error::InvalidWcs(format!("{e:?}")))?;
        Self::checked(width, height, frame, code1, cards, Mapping::Cds(wcs))
    }

    /// The geometry, refused if degenerate.
    fn checked(
        width: usize,
        height: usize,
        frame: Frame,
        projection: Projection,
        cards: Cards,
        mapping: Mapping,
    ) -> Result<Self> {
        let geometry = OutputGeometry {
            width,
            height,
            frame,
            projection,
            cards,
            mapping,
        };
        geometry.check_not_degenerate()?;
        Ok(geometry)
    }

    /// Refuses a WCS whose pixel grid does not span the sky: a singular or nearly singular
    /// matrix (zero CDELT, zero or rank-one CD), or pixels wider than the sphere. The two
    /// pixel steps at the reference point must map to sky steps that are neither zero nor
    /// nearly parallel.
    fn check_not_degenerate(&self) -> Result<()> {
        let bad = |why: &str| Err(Error::InvalidWcs(why.to_string()));
        let Some((c, r)) = self.reference_pixel() else {
            return bad("no pixel near the image centre or CRPIX maps to the sky");
        };
        let (Some(p), Some(px), Some(py)) = (
            self.pixel_to_sky(c, r),
            self.pixel_to_sky(c + 1.0, r),
            self.pixel_to_sky(c, r + 1.0),
        ) else {
            return bad("the pixels next to the reference pixel do not map to the sky");
        };
        // The steps, projected on the plane tangent to the sky at `p` (so that the curvature
        // of the sphere does not make parallel steps look apart).
        let tangent = |a: [f64; 3]| {
            let d = [a[0] - p[0], a[1] - p[1], a[2] - p[2]];
            let along = d[0] * p[0] + d[1] * p[1] + d[2] * p[2];
            [
                d[0] - along * p[0],
                d[1] - along * p[1],
                d[2] - along * p[2],
            ]
        };
        let (u, v) = (tangent(px), tangent(py));
        let norm = |a: [f64; 3]| (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt();
        let cross = [
            u[1] * v[2] - u[2] * v[1],
            u[2] * v[0] - u[0] * v[2],
            u[0] * v[1] - u[1] * v[0],
        ];
        let (lu, lv) = (norm(u), norm(v));
        // 1e-12 rad is 2e-7 arcsec: no survey has pixels that small.
        if !(lu > 1e-12 && lv > 1e-12) {
            return bad("the pixel scale is zero (CDELT or the CD matrix is zero)");
        }
        if norm(cross) < 1e-6 * lu * lv {
            return bad("the pixel axes are parallel (the CD or PC matrix is singular)");
        }
        if lu.max(lv) > 1.0 {
            return bad("a pixel spans more than a radian of sky");
        }
        Ok(())
    }

    /// The image centre, or CRPIX when the centre is off the projection: the first of them
    /// whose pixel maps to the sky.
    fn reference_pixel(&self) -> Option<(f64, f64)> {
        let centre = (
            (self.width as f64 - 1.0) / 2.0,
            (self.height as f64 - 1.0) / 2.0,
        );
        let crpix = self.card_number("CRPIX1").zip(self.card_number("CRPIX2"));
        let crpix = crpix.map(|(x, y)| (x - 1.0, self.height as f64 - y));
        std::iter::once(centre)
            .chain(crpix)
            .find(|&(c, r)| self.pixel_to_sky(c, r).is_some())
    }

    /// A short description of the field, for messages: centre, size, projection, frame.
    pub fn describe(&self) -> String {
        let centre = self
            .reference_pixel()
            .and_then(|(c, r)| self.pixel_to_sky(c, r))
            .map(|v| {
                let (lon, lat) = xyz_to_lonlat(v);
                format!(
                    "centred on ({:.4}°, {:.4}°)",
                    lon.to_degrees(),
                    lat.to_degrees()
                )
            })
            .unwrap_or_else(|| "with no centre on the sky".into());
        let across = self
            .pixel_scale_deg()
            .map(|s| format!("{:.4}° across", s * self.width.max(self.height) as f64))
            .unwrap_or_default();
        format!(
            "{centre} {}, {across}, {}, {}×{} px",
            self.frame, self.projection, self.width, self.height
        )
    }

    /// The sky direction (unit vector in `self.frame`) of the centre of pixel (`col`, `row`),
    /// row 0 being the top row as displayed; `None` outside the projection's valid domain.
    #[inline]
    pub fn pixel_to_sky(&self, col: f64, row: f64) -> Option<[f64; 3]> {
        let fits_x = col + 1.0;
        let fits_y = self.height as f64 - row;
        let v = match &self.mapping {
            Mapping::Cds(wcs) => {
                let xyz = wcs.unproj_xyz(&ImgXY::new(fits_x, fits_y))?;
                [xyz.x(), xyz.y(), xyz.z()]
            }
            Mapping::Own(wcs) => wcs.pixel_to_sky(fits_x, fits_y)?,
        };
        v.iter().all(|c| c.is_finite()).then_some(v)
    }

    /// The (col, row) of a sky direction in `self.frame`, rows from the top; `None` where the
    /// projection cannot place it.
    pub fn sky_to_pixel(&self, v: [f64; 3]) -> Option<(f64, f64)> {
        let (x, y) = match &self.mapping {
            Mapping::Cds(wcs) => {
                let img = wcs.proj_xyz(&(v[0], v[1], v[2]))?;
                (img.x(), img.y())
            }
            Mapping::Own(wcs) => wcs.sky_to_pixel(v)?,
        };
        Some((x - 1.0, self.height as f64 - y))
    }

    /// The mean pixel side (degrees) at the image centre, or at CRPIX when the centre is off the
    /// projection.
    pub fn pixel_scale_deg(&self) -> Option<f64> {
        let centre = (
            (self.width as f64 - 1.0) / 2.0,
            (self.height as f64 - 1.0) / 2.0,
        );
        let crpix = self.card_number("CRPIX1").zip(self.card_number("CRPIX2"));
        let crpix = crpix.map(|(x, y)| (x - 1.0, self.height as f64 - y));
        std::iter::once(centre).chain(crpix).find_map(|(c, r)| {
            let p = self.pixel_to_sky(c, r)?;
            let px = self.pixel_to_sky(c + 1.0, r)?;
            let py = self.pixel_to_sky(c, r + 1.0)?;
            let d = |a: [f64; 3], b: [f64; 3]| {
                let dot: f64 = (0..3).map(|k| a[k] * b[k]).sum();
                dot.clamp(-1.0, 1.0).acos().to_degrees()
            };
            let scale = (d(p, px) * d(p, py)).sqrt();
            (scale > 0.0 && scale.is_finite()).then_some(scale)
        })
    }

    fn card_number(&self, key: &str) -> Option<f64> {
        find_card(&self.cards, key).and_then(parse_fits_number)
    }

    /// Whether a card is a string (quoted in FITS) rather than a number.
    pub(crate) fn card_is_string(key: &str) -> bool {
        is_string_card(key)
    }
}

/// The numeric cards' values: each must be a finite number, whichever pipeline maps the
/// projection.
fn numeric_cards(cards: &Cards) -> Result<Vec<(String, f64)>> {
    let mut numbers = Vec::new();
    for (key, raw) in cards {
        if is_string_card(key) || matches!(key.as_str(), "EQUINOX") {
            continue;
        }
        let n = parse_fits_number(raw)
            .filter(|n| n.is_finite())
            .ok_or_else(|| Error::InvalidWcs(format!("{key} = `{raw}` is not a number")))?;
        numbers.push((key.clone(), n));
    }
    Ok(numbers)
}

fn check_size(width: usize, height: usize) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::invalid(format!(
            "image size {width}×{height} has a zero side"
        )));
    }
    if width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS {
        return Err(Error::invalid(format!(
            "image size {width}×{height} is above the limit ({MAX_SIDE} px a side, {} Mpx)",
            MAX_PIXELS / 1_000_000
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(projection: Projection) -> ResolvedView {
        ResolvedView {
            lon: 83.63,
            lat: 22.01,
            fov: 1.0,
            width: 101,
            height: 51,
            projection,
            rotation: 0.0,
            frame: Frame::Icrs,
        }
    }

    #[test]
    fn centre_pixel_is_the_requested_centre_and_north_is_up() {
        let g = OutputGeometry::from_view(&view(Projection::Tan)).unwrap();
        let (lon, lat) = xyz_to_lonlat(g.pixel_to_sky(50.0, 25.0).unwrap());
        assert!((lon.to_degrees() - 83.63).abs() < 1e-9 && (lat.to_degrees() - 22.01).abs() < 1e-9);
        let (_, lat_up) = xyz_to_lonlat(g.pixel_to_sky(50.0, 0.0).unwrap());
        assert!(lat_up > lat, "row 0 must be north of the centre");
        let (lon_left, _) = xyz_to_lonlat(g.pixel_to_sky(0.0, 25.0).unwrap());
        assert!(lon_left > lon, "East (larger RA) must be on the left");
        assert!((g.pixel_scale_deg().unwrap() - 1.0 / 101.0).abs() < 1e-6);
        let back = g.sky_to_pixel(g.pixel_to_sky(12.0, 7.0).unwrap()).unwrap();
        assert!((back.0 - 12.0).abs() < 1e-6 && (back.1 - 7.0).abs() < 1e-6);
    }

    #[test]
    fn every_projection_builds() {
        for projection in Projection::ALL {
            let g = OutputGeometry::from_view(&view(projection));
            assert!(g.is_ok(), "{projection}: {:?}", g.err());
        }
    }

    #[test]
    fn bad_views_are_refused() {
        let mut v = view(Projection::Tan);
        v.fov = 0.0;
        assert!(OutputGeometry::from_view(&v).is_err());
        let mut v = view(Projection::Tan);
        v.lat = 91.0;
        assert!(OutputGeometry::from_view(&v).is_err());
        let mut v = view(Projection::Tan);
        v.width = 0;
        assert!(OutputGeometry::from_view(&v).is_err());
    }

    #[test]
    fn sip_is_refused_rather_than_rendered_wrong() {
        let cards: Cards = vec![
            ("NAXIS1".into(), "10".into()),
            ("NAXIS2".into(), "10".into()),
            ("CTYPE1".into(), "RA---TAN-SIP".into()),
            ("CTYPE2".into(), "DEC--TAN-SIP".into()),
            ("CDELT1".into(), "-0.1".into()),
            ("CDELT2".into(), "0.1".into()),
            ("A_ORDER".into(), "2".into()),
        ];
        let err = OutputGeometry::from_header(&cards, None, None).unwrap_err();
        assert!(
            err.to_string().contains("SIP distortion is not supported"),
            "{err}"
        );
    }

    #[test]
    fn header_without_projection_is_refused() {
        let cards: Cards = vec![
            ("NAXIS1".into(), "10".into()),
            ("NAXIS2".into(), "10".into()),
            ("CTYPE1".into(), "RA".into()),
            ("CTYPE2".into(), "DEC".into()),
        ];
        assert!(OutputGeometry::from_header(&cards, None, None).is_err());
    }

    #[test]
    fn projections_computed_here_refuse_bad_numbers_and_parameters() {
        let header = |code: &str, extra: &[(&str, &str)]| {
            let mut cards: Cards = vec![
                ("NAXIS1".into(), "10".into()),
                ("NAXIS2".into(), "10".into()),
                ("CTYPE1".into(), format!("RA---{code}")),
                ("CTYPE2".into(), format!("DEC--{code}")),
                ("CDELT1".into(), "-1".into()),
                ("CDELT2".into(), "1".into()),
                ("CRVAL2".into(), "30".into()),
            ];
            cards.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            OutputGeometry::from_header(&cards, None, None)
        };
        assert!(header("COD", &[("PV2_1", "40")]).is_ok());
        for (code, extra, why) in [
            ("COD", &[("PV2_1", "nan")][..], "not a number"),
            ("COD", &[][..], "PV2_1 (theta_a) is required"),
            ("COE", &[("PV2_1", "95")][..], "within ±90°"),
            ("BON", &[("PV2_1", "0")][..], "non-zero"),
            ("HPX", &[("PV2_1", "0"), ("PV2_2", "3")][..], "at least 1"),
            ("AIR", &[("PV2_1", "-90")][..], "theta_b"),
            ("XPH", &[("CRPIX1", "inf")][..], "not a number"),
        ] {
            let err = header(code, extra).unwrap_err().to_string();
            assert!(err.contains(why), "{code} {extra:?}: {err}");
        }
    }
}
