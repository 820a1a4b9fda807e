//! HiPS cubes: a survey of `hips_cube_depth` frames along a third (spectral) axis, each frame a
//! HiPS of its own whose tiles are `NpixN_K.ext` (frame 0: `NpixN.ext`), described by the
//! `data_cube_crpix3`, `crval3`, `cdelt3`, `bunit3` properties (`hips_cube_*` spellings too).

use super::properties::RawProperties;
use crate::error::{Error, Result};

/// The most frames a cube may declare.
const MAX_FRAMES: u32 = 1 << 20;

/// A cube's third axis: value of frame `k` (0-based) = `crval3 + (k + 1 − crpix3) · cdelt3`, as
/// FITS counts pixels from 1.
///
/// ```
/// use hipscut::Properties;
/// let p = Properties::parse(
///     "hips_order = 3\ndataproduct_type = cube\nhips_cube_depth = 10\n\
///      data_cube_crpix3 = 1\ndata_cube_crval3 = 1420.0\ndata_cube_cdelt3 = -0.5\n\
///      data_cube_bunit3 = MHz",
/// )?;
/// let cube = p.cube.unwrap();
/// assert_eq!(cube.value(2), 1419.0);
/// assert_eq!(cube.frame_of(1419.1)?, 2);
/// assert!(cube.frame_of(2000.0).is_err());
/// # Ok::<(), hipscut::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CubeAxis {
    /// `hips_cube_depth`: the number of frames.
    pub depth: u32,
    /// `hips_cube_firstframe`: the frame shown by default.
    pub first_frame: u32,
    /// `data_cube_crpix3`: the reference frame, counted from 1 (1 when absent).
    pub crpix3: f64,
    /// `data_cube_crval3`: the value at the reference frame (0 when absent).
    pub crval3: f64,
    /// `data_cube_cdelt3`: the step from one frame to the next (1 when absent).
    pub cdelt3: f64,
    /// `data_cube_bunit3`: the unit of the axis's values.
    pub unit: Option<String>,
    /// `data_cube_ctype3`: the axis's type (FREQ, WAVE, VRAD…), when given.
    pub ctype: Option<String>,
}

impl CubeAxis {
    /// The axis of a `dataproduct_type = cube` survey; `None` for an image survey.
    pub(crate) fn from_raw(raw: &RawProperties) -> Result<Option<CubeAxis>> {
        if raw.get("dataproduct_type").map(str::trim) != Some("cube") {
            return Ok(None);
        }
        let number = |key: &str| -> Result<Option<f64>> {
            let data = format!("data_cube_{key}");
            let hips = format!("hips_cube_{key}");
            let v = match raw.parse_num::<f64>(&data)? {
                Some(v) => Some(v),
                None => raw.parse_num::<f64>(&hips)?,
            };
            match v {
                Some(v) if !v.is_finite() => Err(bad(format!("`{data}` = {v} is not finite"))),
                v => Ok(v),
            }
        };
        let depth: u32 = raw
            .parse_num("hips_cube_depth")?
            .ok_or_else(|| bad("a cube without `hips_cube_depth`".into()))?;
        if !(1..=MAX_FRAMES).contains(&depth) {
            return Err(bad(format!(
                "`hips_cube_depth` = {depth} is not between 1 and {MAX_FRAMES}"
            )));
        }
        let first_frame: u32 = raw.parse_num("hips_cube_firstframe")?.unwrap_or(0);
        if first_frame >= depth {
            return Err(bad(format!(
                "`hips_cube_firstframe` = {first_frame} is beyond the cube's {depth} frames"
            )));
        }
        let cdelt3 = number("cdelt3")?.unwrap_or(1.0);
        if cdelt3 == 0.0 {
            return Err(bad("`data_cube_cdelt3` = 0: the frames have no step".into()));
        }
        let text = |key: &str| {
            raw.get(&format!("data_cube_{key}"))
                .or_else(|| raw.get(&format!("hips_cube_{key}")))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty() && v.len() <= 68)
        };
        Ok(Some(CubeAxis {
            depth,
            first_frame,
            crpix3: number("crpix3")?.unwrap_or(1.0),
            crval3: number("crval3")?.unwrap_or(0.0),
            cdelt3,
            unit: text("bunit3").or_else(|| text("cunit3")),
            ctype: text("ctype3"),
        }))
    }

    /// The axis's value at frame `k`.
    pub fn value(&self, k: u32) -> f64 {
        self.crval3 + (f64::from(k) + 1.0 - self.crpix3) * self.cdelt3
    }

    /// The frame whose value is nearest `value`; an error if it lies beyond the cube (more than
    /// half a step before its first frame or after its last).
    pub fn frame_of(&self, value: f64) -> Result<u32> {
        let k = ((value - self.crval3) / self.cdelt3 + self.crpix3 - 1.0).round();
        if !(0.0..f64::from(self.depth)).contains(&k) {
            let unit = self.unit.as_deref().unwrap_or("");
            return Err(Error::invalid(format!(
                "{value} {unit} lies outside the cube, which spans {} to {} {unit}",
                self.value(0),
                self.value(self.depth - 1)
            )));
        }
        Ok(k as u32)
    }

    /// Checks that frame `k` exists.
    pub fn check_frame(&self, k: u32) -> Result<()> {
        if k >= self.depth {
            return Err(Error::invalid(format!(
                "frame {k} is beyond the cube's {} frames (0 to {})",
                self.depth,
                self.depth - 1
            )));
        }
        Ok(())
    }

    /// A line for `hipscut survey`.
    pub(crate) fn describe(&self) -> String {
        let unit = self.unit.as_deref().unwrap_or("");
        let kind = self.ctype.as_deref().unwrap_or("third axis");
        format!(
            "{} frames of {kind}, {} to {} {unit} (step {}), frame {} shown first",
            self.depth,
            self.value(0),
            self.value(self.depth - 1),
            self.cdelt3,
            self.first_frame
        )
    }
}

fn bad(reason: String) -> Error {
    Error::Properties(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(text: &str) -> Result<Option<CubeAxis>> {
        CubeAxis::from_raw(&RawProperties::parse(text))
    }

    #[test]
    fn cube_properties_parse_and_are_checked() {
        assert_eq!(axis("hips_order = 3").unwrap(), None);
        let c = axis(
            "dataproduct_type = cube\nhips_cube_depth = 4\nhips_cube_firstframe = 2\n\
             hips_cube_crpix3 = 2\nhips_cube_crval3 = 10\nhips_cube_cdelt3 = 5",
        )
        .unwrap()
        .unwrap();
        assert_eq!((c.depth, c.first_frame), (4, 2));
        assert_eq!((c.value(0), c.value(1), c.value(3)), (5.0, 10.0, 20.0));
        assert_eq!(c.frame_of(12.4).unwrap(), 1);
        assert_eq!(c.frame_of(2.6).unwrap(), 0);
        assert!(c.frame_of(2.4).is_err() && c.frame_of(22.6).is_err());
        assert!(c.check_frame(3).is_ok() && c.check_frame(4).is_err());
        for bad in [
            "dataproduct_type = cube",
            "dataproduct_type = cube\nhips_cube_depth = 0",
            "dataproduct_type = cube\nhips_cube_depth = 3\nhips_cube_firstframe = 3",
            "dataproduct_type = cube\nhips_cube_depth = 3\ndata_cube_cdelt3 = 0",
            "dataproduct_type = cube\nhips_cube_depth = 3\ndata_cube_crval3 = inf",
            "dataproduct_type = cube\nhips_cube_depth = x",
        ] {
            assert!(axis(bad).is_err(), "{bad}");
        }
    }
}
