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

/// An output file type, chosen by the file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Fits,
    Png,
    Jpeg,
}

impl OutputFormat {
    pub fn from_path(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("fits" | "fit" | "fts") => Ok(OutputFormat::Fits),
            Some("png") => Ok(OutputFormat::Png),
            Some("jpg" | "jpeg") => Ok(OutputFormat::Jpeg),
            _ => Err(Error::UnsupportedOutput(path.to_path_buf())),
        }
    }
}
