//! hipscut: render sky images from HiPS surveys in any projection, centre, field, size,
//! rotation and frame, correct to the pixel.
//!
//! Open a [`Survey`] (a folder, a URL, an ID of the HiPS list, or the embedded one), describe
//! the image in a [`RenderRequest`] (a [`View`] or a [`WcsHeader`]), [`render`] it, and encode
//! the [`Rendered`] image as FITS, PNG or JPEG into a file or any writer:
//!
//! ```
//! use hipscut::{render, OutputFormat, Projection, RenderRequest, Survey, View};
//!
//! let survey = Survey::open(None)?; // the embedded Mellinger sky
//! let view = View::default()
//!     .centre(83.63, 22.01)
//!     .fov(40.0)
//!     .size(64, 48)
//!     .projection(Projection::Sin);
//! let rendered = render(&survey, &RenderRequest::new(view))?;
//! let mut fits = Vec::new();
//! rendered.encode(OutputFormat::Fits, &mut fits)?;
//! assert_eq!((rendered.image.width, rendered.image.height), (64, 48));
//! # Ok::<(), hipscut::Error>(())
//! ```
//!
//! Many renders share one [`Engine`]: its HTTP client and per-host limits, its disk cache and
//! its decoded tiles. [`Engine::render`] is async and cancel-safe.
//!
//! Inside, the modules follow the pipeline: survey (properties, HiPS lists) → fetch and cache
//! (local, HTTP with retries and mirrors, disk cache) → tile (addressing, decoding) → geometry
//! (output WCS, frames) and plan (order, buckets of pixels per tile) → pipeline (fetch, decode
//! and paint overlapped) → store and paint → encode; render runs it from request to file.
//! Beneath them, fits reads header cards and the images of FITS tiles, and healpix holds the
//! cell layout.

// The public API is what this file re-exports; everything else is internal. The `internals`
// feature opens a hidden door for the tests, benchmarks and fuzz targets, which is why the
// documentation lint is checked without it (`cargo clippy --lib` in .ci/run).
#![cfg_attr(not(feature = "internals"), deny(missing_docs))]
// Internals say so: an item the API does not reach is `pub(crate)` (checked with the internals
// open, so that what they reach may stay `pub`).
#![cfg_attr(feature = "internals", warn(unreachable_pub))]

mod batch;
mod cache;
mod composite;
mod coordinates;
mod coverage;
mod display;
mod encode;
mod engine;
mod error;
mod fetch;
mod files;
mod fits;
mod frames;
mod geometry;
mod healpix;
mod names;
mod paint;
mod pipeline;
mod plan;
mod profile;
mod profile_plot;
mod raster;
mod render;
mod report;
mod request;
mod serve;
mod store;
mod survey;
mod target;
mod tile;

pub use batch::{
    merge_reports, run_batch, BatchOptions, BatchProgress, BatchSummary, FieldOutcome,
    NoBatchProgress, COLUMNS as BATCH_COLUMNS, MANIFEST_NAME as BATCH_MANIFEST,
    REPORT_NAME as BATCH_REPORT,
};
pub use composite::Sources;
pub use coordinates::{parse_latitude, parse_longitude};
pub use coverage::Coverage;
pub use display::{Band, Colormap, Cut, Cuts, Depth, Display, Rgb, Stretch};
pub use encode::OutputFormat;
pub use engine::{Engine, EngineOptions};
pub use error::{Error, ErrorKind, Result};
pub use fetch::FetchOptions;
pub use fits::Cards;
pub use frames::CubeFrames;
pub use geometry::{Frame, OutputGeometry, Projection, MAX_PIXELS, MAX_SIDE};
pub use paint::{Interpolation, Painter};
pub use pipeline::{Progress, RenderStats, StageTimes};
pub use profile::{write_profile_csv, Profiler, Sample};
pub use profile_plot::write_profile_plot;
pub use raster::Raster;
pub use render::{
    plan, render, render_to_file, render_with_progress, BandSource, Bands, Plan, Provenance,
    Rendered,
};
pub use report::{process_usage, ImageStats, RunReport, Seconds, Tiles};
pub use request::{CubeFrame, Field, RenderRequest, View, WcsHeader, DEFAULT_FOV, DEFAULT_WIDTH};
pub use serve::{serve_blocking, Hips2fitsQuery, ServeOptions, Server};
pub use survey::{CubeAxis, HipsRecord, OpenOptions, Properties, Survey};
pub use target::{resolve_target, Target, TargetSource, SESAME_URL};
pub use tile::TileFormat;

/// The internals the tests, benchmarks and fuzz targets reach into; not part of the API.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals {
    pub use crate::fetch::block_on;
    pub use crate::geometry::{lonlat_to_xyz, xyz_to_lonlat, FrameRotation, ResolvedView};
    pub use crate::healpix::cell_size_deg;
    pub use crate::store::decode_allsky;
    pub use crate::survey::parse_list;
    pub use crate::tile::{
        allsky_grid_columns, cell_of_pixel, decode_raster, slice_allsky, Shape, TileId,
    };

    /// Decodes a tile on the painters' path (opaque 8-bit pictures kept as bytes).
    pub fn decode_tile(
        bytes: &[u8],
        format: crate::TileFormat,
        channels: usize,
        width: usize,
        what: &str,
    ) -> crate::Result<()> {
        crate::tile::decode_tile(bytes, format, channels, width, what).map(|_| ())
    }

    /// The J2000 position in a Sesame answer.
    pub fn sesame_position(xml: &str) -> Option<(f64, f64)> {
        crate::target::position_in(xml)
    }

    /// The geometry of a view whose every choice is made.
    pub fn geometry_of_view(view: &ResolvedView) -> crate::Result<crate::OutputGeometry> {
        crate::OutputGeometry::from_view(view)
    }
}
