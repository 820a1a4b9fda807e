//! hipscut: render sky images from HiPS surveys in any projection, centre, field, size,
//! rotation and frame, correct to the pixel.
//!
//! The pipeline, module by module: [`survey`] (properties, HiPS lists) → [`fetch`] and
//! [`cache`] (local, HTTP with retries and mirrors, disk cache) → [`tile`] (addressing,
//! decoding, orientation) → [`geometry`] (output WCS, frames) → [`plan`] (order, buckets of
//! pixels per tile) → [`pipeline`] (fetch, decode and paint overlapped) → [`store`] and
//! [`paint`] → [`encode`]; [`render`] runs it from request to file. Beneath them, [`fits`]
//! reads header cards and the images of FITS tiles.

pub mod cache;
pub mod encode;
pub mod engine;
pub mod error;
pub mod fetch;
pub(crate) mod files;
pub mod fits;
pub mod geometry;
pub mod healpix;
mod names;
pub mod paint;
pub mod pipeline;
pub mod plan;
pub mod raster;
pub mod render;
pub mod request;
pub mod store;
pub mod survey;
pub mod tile;

pub use encode::OutputFormat;
pub use engine::{Engine, EngineOptions};
pub use error::{Error, ErrorKind, Result};
pub use geometry::{Frame, Projection};
pub use paint::{Interpolation, Painter};
pub use pipeline::{Progress, RenderStats};
pub use raster::Raster;
pub use render::{render, render_to_file, render_with_progress, Provenance, Rendered};
pub use request::{Field, RenderRequest, View, WcsHeader};
pub use survey::Survey;
pub use tile::TileFormat;
