//! Atomic file output: check the target first, write into a temporary folder beside it, then
//! rename the result into place.

use crate::error::{Error, Result};
use crate::files::{sweep_stale, temp_prefix};
use std::path::Path;

/// Temporary folders beside outputs are named `.hipscut-tmp-PID-XXXX`, so a later run sweeps
/// the ones a killed process left.
const TMP_TAG: &str = ".hipscut-tmp-";

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Checks, before any work, that `path` can be written: a supported extension, an existing
/// writable folder, and no folder or read-only file in the way. Sweeps the temporary folders
/// killed runs left there.
pub(crate) fn check_output(path: &Path) -> Result<()> {
    super::OutputFormat::from_path(path)?;
    let fail = |reason: String| Error::Write {
        path: path.to_path_buf(),
        reason,
    };
    let dir = parent_dir(path);
    if !dir.is_dir() {
        return Err(fail(format!("the folder {} does not exist", dir.display())));
    }
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.is_dir() {
            return Err(fail("it is a folder".into()));
        }
        if meta.permissions().readonly() {
            return Err(fail("the file exists and is read-only".into()));
        }
    }
    sweep_stale(dir, TMP_TAG);
    tempfile::Builder::new()
        .prefix(&temp_prefix(TMP_TAG))
        .tempdir_in(dir)
        .map(drop)
        .map_err(|e| fail(format!("the folder {} is not writable: {e}", dir.display())))
}

/// Calls `write` with a temporary path in the target's directory and renames the result onto
/// `path`. On any error nothing is left behind and an existing `path` is untouched.
pub(crate) fn write_atomically(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let fail = |reason: String| Error::Write {
        path: path.to_path_buf(),
        reason,
    };
    let dir = parent_dir(path);
    let name = path
        .file_name()
        .ok_or_else(|| fail("the path has no file name".into()))?;
    let tmp = tempfile::Builder::new()
        .prefix(&temp_prefix(TMP_TAG))
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
