//! Writing rendered images: FITS with WCS, PNG and JPEG, always atomically.

mod atomic;
mod fits;
mod picture;
mod stretch;

pub use atomic::{check_output, write_atomically};
pub use fits::{write_fits, OutputMeta};
pub use picture::write_picture;
pub use stretch::LinearStretch;

use crate::error::{Error, Result};
use std::path::Path;

/// An output image format: `fits`, `png` or `jpeg` (`jpg` too), as hips2fits's `format`
/// names it; a file's extension picks it with [`OutputFormat::from_path`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OutputFormat {
    /// FITS: float32 values with the full WCS, never stretched.
    Fits,
    /// PNG: 8 bits a channel, no data transparent.
    Png,
    /// JPEG: 8 bits a channel, no data black.
    Jpeg,
}

crate::names::named_choices!(OutputFormat, "output format", {
    Fits => "fits" | "fit" | "fts",
    Png => "png",
    Jpeg => "jpeg" | "jpg",
});

impl OutputFormat {
    /// The format a file name asks for, by its extension.
    pub fn from_path(path: &Path) -> Result<Self> {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(|e| e.parse().ok())
            .ok_or_else(|| Error::UnsupportedOutput(path.to_path_buf()))
    }

    /// The media type of this format, for HTTP responses.
    pub fn media_type(self) -> &'static str {
        match self {
            OutputFormat::Fits => "application/fits",
            OutputFormat::Png => "image/png",
            OutputFormat::Jpeg => "image/jpeg",
        }
    }
}
