//! hipscut: render sky images from HiPS surveys in any projection, centre, field, size,
//! rotation and frame, correct to the pixel.
//!
//! The pipeline, module by module: [`survey`] (properties, sources) → [`tile`] (addressing,
//! decoding, orientation) → [`geometry`] (output WCS, frames) → [`plan`] (order, tile set) →
//! [`store`] (loaded tiles) → [`paint`] → [`encode`]; [`render`] runs it end to end.

pub mod encode;
pub mod error;
pub mod geometry;
pub mod paint;
pub mod plan;
pub mod raster;
pub mod render;
pub mod store;
pub mod survey;
pub mod tile;

pub use error::{Error, Result};
pub use raster::Raster;
pub use render::{
    render, render_to_file, render_with_store, tile_store, write_rendered, RenderRequest, Rendered,
};
pub use survey::Survey;
