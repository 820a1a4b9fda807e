//! A render from request to file: resolve the view and the order, run the pipeline, encode.

use crate::composite::Sources;
use crate::display::{shows_levels, Display};
use crate::encode::{encode, write_file, OutputFormat};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::fetch::block_on;
use crate::frames::{render_frames_on, CubeFrames};
use crate::geometry::FrameRotation;
use crate::geometry::OutputGeometry;
use crate::healpix::{cell_size_deg, choose_order};
use crate::paint::{Interpolation, Painted, Painter};
use crate::pipeline::workers::Workers;
use crate::pipeline::{render_pipelined, PaintSpec, Progress, RenderStats, Silent};
use crate::plan::buckets;
use crate::raster::{LevelRaster, Raster};
use crate::request::{CubeFrame, RenderRequest};
use crate::survey::{OpenOptions, Survey};
use crate::tile::TileFormat;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// A rendered image with what is needed to encode and report it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Rendered {
    /// The pixels: survey values, NaN where no data.
    pub image: Raster,
    /// The pixel grid and its WCS.
    pub geometry: OutputGeometry,
    /// The HiPS order the tiles were read at.
    pub order: u8,
    /// The tile format read.
    pub tile_format: TileFormat,
    /// The sampling between tile pixels.
    pub interpolation: Interpolation,
    /// The painter.
    pub painter: Painter,
    /// What the render did: tiles fetched, read, missing, failed; pixels painted.
    pub stats: RenderStats,
    /// The survey the image comes from, with its credits.
    pub provenance: Provenance,
    /// How PNG and JPEG encodings show the values (the request's; change it to encode the same
    /// render differently).
    pub display: Display,
    /// What the image's channels hold.
    pub bands: Bands,
    /// What the user should know of this image (pixels finer than the data, …).
    pub warnings: Vec<String>,
    /// The frames of a HiPS cube the image holds, one per channel (`None`: not a cube).
    pub cube: Option<CubeFrames>,
    /// The 8-bit levels painted instead of values, for a picture
    /// ([`RenderRequest::for_picture`]); `image` is then empty.
    pub(crate) levels: Option<LevelRaster>,
}

/// What the channels of a rendered image hold.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Bands {
    /// One band of survey values (from FITS tiles).
    Values,
    /// One band of 8-bit levels (from grey picture tiles).
    Levels,
    /// Red, green and blue 8-bit levels (from colour picture tiles).
    Colour,
    /// Red, green and blue bands of three surveys.
    Composite([BandSource; 3]),
}

/// One band of a composite: what it holds, and its survey's display range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandSource {
    /// Survey values (from FITS tiles) rather than 8-bit levels.
    pub values: bool,
    /// The survey's `hips_pixel_cut`.
    pub pixel_cut: Option<(f64, f64)>,
}

/// Where an image comes from: written into FITS headers, and owed to the survey's authors.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Provenance {
    /// The survey's `creator_did` or `obs_id`.
    pub survey_id: Option<String>,
    /// The survey's title.
    pub title: Option<String>,
    /// The survey's copyright lines.
    pub copyright: Vec<String>,
    /// The survey's `hips_pixel_cut`: its display range of values.
    pub pixel_cut: Option<(f64, f64)>,
    /// The survey's `hips_release_date`.
    pub release_date: Option<String>,
}

impl Rendered {
    /// Encodes the image in `format` into `out`: a file, a socket, or a `Vec<u8>` in memory.
    /// FITS keeps the values and the whole WCS; PNG and JPEG are 8-bit pictures.
    ///
    /// ```
    /// use hipscut::{render, OutputFormat, RenderRequest, Survey, View};
    /// let survey = Survey::open(None)?;
    /// let rendered = render(&survey, &RenderRequest::new(View::default().fov(40.0).size(32, 32)))?;
    /// let mut png = Vec::new();
    /// rendered.encode(OutputFormat::Png, &mut png)?;
    /// assert!(png.starts_with(b"\x89PNG"));
    /// # Ok::<(), hipscut::Error>(())
    /// ```
    pub fn encode(&self, format: OutputFormat, out: &mut impl Write) -> Result<()> {
        encode(self, format, out)
    }

    /// Writes the image to `path`, in the format its extension names (`.fits`, `.png`,
    /// `.jpg`), atomically: on any error nothing is left behind and an existing file is
    /// untouched.
    pub fn write_file(&self, path: &Path) -> Result<()> {
        write_file(self, path)
    }
}

/// Renders the requested field of `survey` into a float raster, blocking (from any thread).
/// It uses a process-wide pool of painters and keeps no decoded tile; an [`Engine`] shares
/// them between renders.
pub fn render(survey: &Survey, req: &RenderRequest) -> Result<Rendered> {
    render_with_progress(survey, req, &Silent)
}

/// [`render`], reporting progress.
pub fn render_with_progress(
    survey: &Survey,
    req: &RenderRequest,
    progress: &dyn Progress,
) -> Result<Rendered> {
    render_blocking_on(one_shot_workers()?, survey, req, progress)
}

/// Renders `req` from `survey` on `workers`, blocking, under the request's deadline.
pub(crate) fn render_blocking_on(
    workers: &Arc<Workers>,
    survey: &Survey,
    req: &RenderRequest,
    progress: &dyn Progress,
) -> Result<Rendered> {
    let until = req.deadline.map(|d| Instant::now() + d);
    block_on(render_on(workers, survey, req, progress, until))
}

/// The workers of the blocking functions: one pool, no decoded tile kept.
fn one_shot_workers() -> Result<&'static Arc<Workers>> {
    static WORKERS: OnceLock<Arc<Workers>> = OnceLock::new();
    if let Some(w) = WORKERS.get() {
        return Ok(w);
    }
    let workers = Arc::new(Workers::new(0, 0, None)?);
    Ok(WORKERS.get_or_init(|| workers))
}

/// Renders `req` from `survey` on `workers`, giving up at `until`: one image, or the frames of
/// a HiPS cube stacked.
pub(crate) async fn render_on(
    workers: &Arc<Workers>,
    survey: &Survey,
    req: &RenderRequest,
    progress: &dyn Progress,
    until: Option<Instant>,
) -> Result<Rendered> {
    match req.frames {
        Some(frames) => render_frames_on(workers, survey, req, frames, progress, until).await,
        None => render_one_on(workers, survey, req, progress, until).await,
    }
}

/// Renders one image of `req` from `survey` on `workers`, giving up at `until`.
pub(crate) async fn render_one_on(
    workers: &Arc<Workers>,
    survey: &Survey,
    req: &RenderRequest,
    progress: &dyn Progress,
    until: Option<Instant>,
) -> Result<Rendered> {
    let p = &survey.properties;
    let format = tile_format_of(survey, req)?;
    let geometry = Arc::new(req.field.geometry(survey)?);
    let (order, allsky_first) = order_of(survey, req, &geometry)?;
    let colour = p.colour && format != TileFormat::Fits;
    let bands = match (colour, format) {
        (true, _) => Bands::Colour,
        (_, TileFormat::Fits) => Bands::Values,
        _ => Bands::Levels,
    };
    let spec = PaintSpec {
        order,
        allsky_first,
        frame: cube_frame_of(survey, req)?,
        format,
        channels: if colour { 3 } else { 1 },
        interpolation: req.interpolation,
        painter: req.painter,
        levels: req.for_picture && shows_levels(bands, &req.display),
    };
    let warnings = geometry
        .pixel_scale_deg()
        .and_then(|output| resolution_warning(output, cell_size_deg(p.order_max + p.tile_depth())))
        .into_iter()
        .collect();
    let pipelined = render_pipelined(
        workers,
        survey,
        Arc::clone(&geometry),
        spec,
        progress,
        until,
    );
    let (painted, stats) = pipelined.await?;
    check_outcome(survey, req, &geometry, &painted, &stats)?;
    let (image, levels) = match painted {
        Painted::Values(image) => (image, None),
        Painted::Levels(levels) => (
            Raster {
                width: levels.width,
                height: levels.height,
                channels: levels.channels,
                data: Vec::new(),
            },
            Some(levels),
        ),
    };
    Ok(Rendered {
        image,
        levels,
        geometry: Arc::try_unwrap(geometry)
            .map_err(|_| Error::Internal("the output geometry is still shared".into()))?,
        order: spec.order,
        tile_format: format,
        interpolation: req.interpolation,
        painter: req.painter,
        stats,
        provenance: Provenance {
            survey_id: p.id.clone(),
            title: p.title.clone(),
            copyright: p.copyright.clone(),
            pixel_cut: p.pixel_cut,
            release_date: p.release_date.clone(),
        },
        display: req.display.clone(),
        bands,
        warnings,
        cube: p.cube.as_ref().map(|axis| CubeFrames {
            first: spec.frame,
            count: 1,
            axis: axis.clone(),
        }),
    })
}

/// What a render would do, worked out without fetching a tile: the `--dry-run` report.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Plan {
    /// The HiPS order the tiles would be read at.
    pub order: u8,
    /// The tile format.
    pub tile_format: TileFormat,
    /// Tiles to read: those whose cells hold output pixel centres, and their neighbours that
    /// border pixels interpolate across, less those outside the survey's coverage (none when
    /// the Allsky is read instead).
    pub tiles: usize,
    /// Tiles of the field outside the survey's coverage (`Moc.fits`), not to be asked for.
    pub outside_coverage: usize,
    /// Whether the order-`order` Allsky is read instead of tiles (the field wants an order
    /// below the survey's `hips_order_min`).
    pub allsky_first: bool,
    /// Their bytes, estimated from the format and tile width (FITS: the pixels; PNG: half of
    /// them; JPEG: a tenth).
    pub estimated_bytes: u64,
    /// The output pixel size, degrees.
    pub output_pixel_deg: f64,
    /// The survey's finest pixel (a cell at its deepest order), degrees.
    pub data_pixel_deg: f64,
}

impl Plan {
    /// How many times finer the output pixels are than the survey's finest (below 1: coarser).
    pub fn oversampling(&self) -> f64 {
        self.data_pixel_deg / self.output_pixel_deg
    }

    /// The warning a render of this plan deserves, if its pixels are more than twice finer
    /// than the data.
    pub fn resolution_warning(&self) -> Option<String> {
        resolution_warning(self.output_pixel_deg, self.data_pixel_deg)
    }
}

/// A warning if output pixels of `output_deg` are more than twice finer than data pixels of
/// `data_deg`.
fn resolution_warning(output_deg: f64, data_deg: f64) -> Option<String> {
    let finer = data_deg / output_deg;
    (finer > 2.0).then(|| {
        format!(
            "the output pixels ({:.3}″) are {finer:.1}× finer than the survey's finest \
             ({:.3}″): the image is interpolated, with no more detail",
            output_deg * 3600.0,
            data_deg * 3600.0
        )
    })
}

/// Works out what rendering `req` from `survey` would do: order, tiles and bytes, and how
/// fine the output is against the data; nothing is fetched.
pub fn plan(survey: &Survey, req: &RenderRequest) -> Result<Plan> {
    let p = &survey.properties;
    let format = tile_format_of(survey, req)?;
    let geometry = req.field.geometry(survey)?;
    let (order, allsky_first) = order_of(survey, req, &geometry)?;
    let to_survey = FrameRotation::new(geometry.frame, p.frame);
    let planned = buckets(&geometry, &to_survey, order, p.tile_depth());
    let field_tiles = planned
        .iter()
        .flat_map(|(tile, bucket)| std::iter::once(tile).chain(&bucket.neighbours))
        .collect::<std::collections::BTreeSet<_>>();
    let covered = field_tiles
        .iter()
        .filter(|t| survey.coverage.as_ref().is_none_or(|c| c.touches(***t)))
        .count();
    let tiles = if allsky_first { 0 } else { covered };
    let pixels = u64::from(p.tile_width) * u64::from(p.tile_width);
    let channels = if p.colour { 3 } else { 1 };
    let tile_bytes = match format {
        TileFormat::Fits => pixels * u64::from(p.bitpix.unwrap_or(32).unsigned_abs() / 8) + 2880,
        TileFormat::Png => pixels * channels / 2,
        _ => pixels * channels / 10,
    };
    Ok(Plan {
        order,
        tile_format: format,
        tiles,
        outside_coverage: field_tiles.len() - covered,
        allsky_first,
        estimated_bytes: tile_bytes * tiles as u64,
        output_pixel_deg: geometry
            .pixel_scale_deg()
            .ok_or_else(|| Error::InvalidWcs("the pixel scale cannot be measured".into()))?,
        data_pixel_deg: cell_size_deg(p.order_max + p.tile_depth()),
    })
}

/// The tile format to read: the request's, if the survey offers it, else the survey's first.
fn tile_format_of(survey: &Survey, req: &RenderRequest) -> Result<TileFormat> {
    let offered = &survey.properties.formats;
    match req.tile_format {
        None => Ok(offered.first().copied().unwrap_or(TileFormat::Jpeg)),
        Some(f) if offered.contains(&f) => Ok(f),
        Some(f) => Err(Error::TileFormatNotOffered {
            wanted: f.name().into(),
            offered: offered
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(" "),
        }),
    }
}

/// The order to read: the request's, within the survey's orders, or the one the output's pixel
/// scale asks for; and whether that order's Allsky is read first. It is when the field wants an
/// order below the survey's `hips_order_min` (stated, and at most 3, where HiPS keep their
/// Allsky): the Allsky is then read instead of the many tiles of `hips_order_min` the field
/// covers, and those tiles only if there is no Allsky. A survey that states no
/// `hips_order_min` starts at order 0: its shallow tiles are asked for, and a missing one falls
/// back level by level to the Allsky.
fn order_of(survey: &Survey, req: &RenderRequest, geometry: &OutputGeometry) -> Result<(u8, bool)> {
    let p = &survey.properties;
    match req.order {
        None => {
            let pixel_deg = geometry
                .pixel_scale_deg()
                .ok_or_else(|| Error::InvalidWcs("the pixel scale cannot be measured".into()))?;
            let wanted = choose_order(pixel_deg, p.tile_depth(), 0..=p.order_max);
            let allsky_first = p.order_min <= 3 && wanted < p.order_min;
            Ok((wanted.max(p.order_min), allsky_first))
        }
        Some(k) if (p.order_min..=p.order_max).contains(&k) => Ok((k, false)),
        Some(k) => Err(Error::invalid(format!(
            "order {k} is outside the survey's orders {}..{}",
            p.order_min, p.order_max
        ))),
    }
}

/// The frame of a HiPS cube to read: the request's (by index or by value), or the cube's
/// first; 0 for image surveys, which refuse a frame.
pub(crate) fn cube_frame_of(survey: &Survey, req: &RenderRequest) -> Result<u32> {
    match (&survey.properties.cube, req.cube_frame) {
        (None, None) => Ok(0),
        (None, Some(_)) => Err(Error::invalid(format!(
            "{} is not a HiPS cube: it has no frames to pick",
            survey.location
        ))),
        (Some(cube), None) => Ok(cube.first_frame),
        (Some(cube), Some(CubeFrame::Index(k))) => cube.check_frame(k).map(|_| k),
        (Some(cube), Some(CubeFrame::Value(v))) => cube.frame_of(v),
    }
}

/// Refuses a strict render with failed tiles, and an image without data unless allowed.
fn check_outcome(
    survey: &Survey,
    req: &RenderRequest,
    geometry: &OutputGeometry,
    image: &Painted,
    stats: &RenderStats,
) -> Result<()> {
    if req.strict && stats.failed > 0 {
        return Err(Error::StrictFailure {
            count: stats.failed,
            first: stats.failures.first().cloned().unwrap_or_default(),
        });
    }
    let empty = match image {
        Painted::Values(values) => values.data.iter().all(|v| v.is_nan()),
        Painted::Levels(levels) => !levels.has_data.contains(&true),
    };
    if !req.allow_empty && empty {
        return Err(Error::EmptyRender {
            survey: survey.location.clone(),
            field: geometry.describe(),
            tiles: match stats.failures.first() {
                None => format!(
                    "{} tile(s) missing, {} outside the survey's coverage (Moc.fits)",
                    stats.missing, stats.outside_coverage
                ),
                Some(first) => format!(
                    "{} tile(s) missing, {} failed; the first failure: {first}",
                    stats.missing, stats.failed
                ),
            },
        });
    }
    Ok(())
}

/// Opens the survey, renders the request and writes `output`: the whole `render` command, on
/// a one-shot [`Engine`].
///
/// The output is checked first (its type, and that it can be written), so a bad name costs
/// nothing. The deadline covers opening the survey as well as the render.
pub fn render_to_file(
    sources: &Sources,
    open: &OpenOptions,
    req: &RenderRequest,
    output: &Path,
    progress: &dyn Progress,
) -> Result<Rendered> {
    let engine = Engine::one_shot(open)?;
    let rendered = engine.render_file_blocking(sources, req, output, progress);
    engine.settle_cache();
    rendered
}
