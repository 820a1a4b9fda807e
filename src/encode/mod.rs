//! Writing rendered images: FITS with WCS, PNG and JPEG, always atomically.

mod atomic;
mod fits;
mod picture;

pub(crate) use atomic::{check_output, write_atomically};

use crate::display::{self, Source};
use crate::error::{Error, Result};
use crate::render::Rendered;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Encodes `rendered` in `format` into `out`: FITS with the values, PNG and JPEG shown with
/// the render's display options.
pub(crate) fn encode(rendered: &Rendered, format: OutputFormat, out: &mut dyn Write) -> Result<()> {
    let jpeg = format == OutputFormat::Jpeg;
    if format != OutputFormat::Fits && rendered.cube.as_ref().is_some_and(|c| c.count > 1) {
        return Err(Error::invalid(
            "a stack of cube frames is written as FITS only (one frame makes a picture)",
        ));
    }
    check_values_for(rendered, format)?;
    match format {
        OutputFormat::Fits => fits::encode_fits(rendered, out),
        OutputFormat::Png | OutputFormat::Jpeg => {
            let source = Source {
                image: &rendered.image,
                levels: rendered.levels.as_ref(),
                bands: rendered.bands,
                pixel_cut: rendered.provenance.pixel_cut,
                jpeg,
            };
            picture::encode_picture(&display::picture(&source, &rendered.display)?, jpeg, out)
        }
    }
}

/// Writes `rendered` to `path` in the format its extension names, atomically.
pub(crate) fn write_file(rendered: &Rendered, path: &Path) -> Result<()> {
    let format = OutputFormat::from_path(path)?;
    check_values_for(rendered, format)?;
    write_atomically(path, |tmp| match format {
        OutputFormat::Fits => fits::write_fits(rendered, tmp),
        OutputFormat::Png | OutputFormat::Jpeg => {
            let fail = |reason: String| Error::Write {
                path: path.to_path_buf(),
                reason,
            };
            let file = std::fs::File::create_new(tmp).map_err(|e| fail(e.to_string()))?;
            let mut out = BufWriter::new(file);
            encode(rendered, format, &mut out).map_err(|e| fail(e.to_string()))?;
            out.flush().map_err(|e| fail(e.to_string()))
        }
    })
}

/// Refuses FITS of a render painted as a picture's levels, which holds no values.
fn check_values_for(rendered: &Rendered, format: OutputFormat) -> Result<()> {
    if format == OutputFormat::Fits && rendered.levels.is_some() {
        return Err(Error::invalid(
            "this render was made for a picture (RenderRequest::for_picture): it holds no values \
             to write as FITS",
        ));
    }
    Ok(())
}

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
