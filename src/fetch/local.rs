//! Where a local survey's files come from: a directory or the embedded assets (the fetchers
//! that need no network).

use crate::error::{Error, Result};
use crate::files::read_regular_file;
use std::path::PathBuf;

/// Reads a survey's files by their path relative to the survey root (`properties`,
/// `Norder3/Dir0/Npix304.jpg`, …). Implementations must be shareable across painter threads.
pub(crate) trait TileSource: Send + Sync {
    /// The file's bytes, or `Ok(None)` when the survey does not have it (HiPS is progressive:
    /// a missing tile is not an error). A file that is not a regular file or holds more than
    /// `max_bytes` is an error.
    fn read(&self, rel_path: &str, max_bytes: u64) -> Result<Option<Vec<u8>>>;
}

/// A survey laid out in a local directory.
pub(crate) struct DirSource {
    pub root: PathBuf,
}

impl TileSource for DirSource {
    fn read(&self, rel_path: &str, max_bytes: u64) -> Result<Option<Vec<u8>>> {
        let path = self.root.join(rel_path);
        match read_regular_file(&path, max_bytes) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path, e)),
        }
    }
}

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_assets.rs"));
}

/// The name of the survey used when none is given.
pub(crate) const DEFAULT_EMBEDDED: &str = "Mellinger";

/// A survey compiled into the binary from `assets/NAME/`.
pub(crate) struct EmbeddedSource {
    prefix: String,
}

impl EmbeddedSource {
    /// The embedded survey called `name`, if there is one.
    pub(crate) fn new(name: &str) -> Option<Self> {
        let prefix = format!("{name}/");
        embedded::FILES
            .iter()
            .any(|(p, _)| p.starts_with(&prefix))
            .then_some(EmbeddedSource { prefix })
    }

    /// The names of all embedded surveys: the folders of assets with a `properties` file
    /// (the fonts are embedded too).
    pub(crate) fn names() -> Vec<&'static str> {
        embedded::FILES
            .iter()
            .filter_map(|(p, _)| p.strip_suffix("/properties"))
            .filter(|name| !name.contains('/'))
            .collect()
    }
}

impl TileSource for EmbeddedSource {
    fn read(&self, rel_path: &str, max_bytes: u64) -> Result<Option<Vec<u8>>> {
        let wanted = format!("{}{rel_path}", self.prefix);
        Ok(embedded::FILES
            .iter()
            .find(|(p, _)| *p == wanted)
            .map(|(_, bytes)| bytes.to_vec())
            .filter(|bytes| bytes.len() as u64 <= max_bytes))
    }
}
