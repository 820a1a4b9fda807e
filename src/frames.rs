//! Frames of HiPS cubes: which frames a render holds, and several frames rendered on one pixel
//! grid and stacked into a FITS cube whose third axis carries the cube's WCS.

use crate::error::{Error, Result};
use crate::geometry::MAX_PIXELS;
use crate::pipeline::workers::Workers;
use crate::pipeline::Progress;
use crate::raster::Raster;
use crate::render::{render_one_on, Rendered};
use crate::request::{CubeFrame, RenderRequest};
use crate::survey::{CubeAxis, Survey};
use std::sync::Arc;
use std::time::Instant;

/// The frames of a HiPS cube an image holds, one per channel ([`crate::Rendered::cube`]).
///
/// ```
/// use hipscut::{CubeFrames, Properties};
/// let p = Properties::parse(
///     "hips_order = 1\ndataproduct_type = cube\nhips_cube_depth = 8\ndata_cube_crval3 = 5\n\
///      data_cube_cdelt3 = 0.5",
/// )?;
/// // A true invariant: the properties above say `dataproduct_type = cube`.
/// let frames = CubeFrames { first: 2, count: 3, axis: p.cube.unwrap() };
/// assert_eq!(frames.value(1), 6.5); // frame 3: 5 + (3 + 1 - 1) × 0.5
/// # Ok::<(), hipscut::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CubeFrames {
    /// The first frame (channel 0).
    pub first: u32,
    /// How many frames, one after the other.
    pub count: u32,
    /// The cube's third axis.
    pub axis: CubeAxis,
}

impl CubeFrames {
    /// The third axis's value at channel `c`.
    pub fn value(&self, c: u32) -> f64 {
        self.axis.value(self.first + c)
    }
}

/// Renders frames `first..=last` of the cube `survey` on the request's pixel grid, stacked as
/// the channels of one image (a FITS cube).
pub(crate) async fn render_frames_on(
    workers: &Arc<Workers>,
    survey: &Survey,
    req: &RenderRequest,
    (first, last): (u32, u32),
    progress: &dyn Progress,
    until: Option<Instant>,
) -> Result<Rendered> {
    let axis = survey.properties.cube.as_ref().ok_or_else(|| {
        Error::invalid(format!(
            "{} is not a HiPS cube: it has no frames to stack",
            survey.location
        ))
    })?;
    if first > last {
        return Err(Error::invalid(format!(
            "frames {first}:{last}: the first is after the last"
        )));
    }
    axis.check_frame(last)?;
    let count = last - first + 1;
    let geometry = req.field.geometry(survey)?;
    if (geometry.width * geometry.height).saturating_mul(count as usize) > MAX_PIXELS {
        return Err(Error::invalid(format!(
            "{count} frames of {}×{} px exceed the {} million samples an image may hold",
            geometry.width,
            geometry.height,
            MAX_PIXELS / 1_000_000
        )));
    }
    let mut frames: Vec<Rendered> = Vec::with_capacity(count as usize);
    for k in first..=last {
        let mut one = req
            .clone()
            .cube_frame(CubeFrame::Index(k))
            .allow_empty(true);
        one.frames = None;
        // The frames are stacked as values.
        one.for_picture = false;
        frames.push(render_one_on(workers, survey, &one, progress, until).await?);
    }
    stack(frames, survey, req, (first, count), axis)
}

/// The frames' images as the channels of one.
fn stack(
    frames: Vec<Rendered>,
    survey: &Survey,
    req: &RenderRequest,
    (first, count): (u32, u32),
    axis: &CubeAxis,
) -> Result<Rendered> {
    if frames.iter().any(|f| f.image.channels != 1) {
        return Err(Error::invalid(
            "frames of a colour cube cannot be stacked: render them one by one",
        ));
    }
    let mut frames = frames.into_iter();
    let base = frames
        .next()
        .ok_or_else(|| Error::Internal("no frame rendered".into()))?;
    let rest: Vec<Rendered> = frames.collect();
    let n = count as usize;
    let mut data = vec![f32::NAN; base.image.data.len() * n];
    for (c, frame) in std::iter::once(&base).chain(&rest).enumerate() {
        for (sample, &v) in data.iter_mut().skip(c).step_by(n).zip(&frame.image.data) {
            *sample = v;
        }
    }
    if !req.allow_empty && data.iter().all(|v| v.is_nan()) {
        return Err(Error::EmptyRender {
            survey: survey.location.clone(),
            field: base.geometry.describe(),
            tiles: format!(
                "no frame from {first} to {} has data there",
                first + count - 1
            ),
        });
    }
    let mut stats = base.stats.clone();
    for frame in &rest {
        stats.add(&frame.stats);
    }
    Ok(Rendered {
        image: Raster {
            width: base.image.width,
            height: base.image.height,
            channels: n,
            data,
        },
        stats,
        cube: Some(CubeFrames {
            first,
            count,
            axis: axis.clone(),
        }),
        ..base
    })
}
