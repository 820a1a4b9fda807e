//! Atomic file output: write into a temporary file beside the target, then rename it.

use crate::error::{Error, Result};
use std::path::Path;

/// Calls `write` with a temporary path in the target's directory and renames the result onto
/// `path`. On any error nothing is left behind and an existing `path` is untouched.
pub fn write_atomically(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let fail = |reason: String| Error::Write {
        path: path.to_path_buf(),
        reason,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| fail("the path has no file name".into()))?;
    let tmp = tempfile::Builder::new()
        .prefix(".hipscut-")
        .tempdir_in(dir)
        .map_err(|e| {
            fail(format!(
                "cannot create a temporary file in {}: {e}",
                dir.display()
            ))
        })?;
    let tmp_path = tmp.path().join(name);
    write(&tmp_path)?;
    std::fs::rename(&tmp_path, path).map_err(|e| fail(e.to_string()))
}
