//! Files hipscut reads and writes safely: regular files read with a size bound, and temporary
//! names that carry their writer's process ID, so that a later run can sweep what a killed one
//! left behind.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Temporary files and folders of processes that are gone are swept; those of a live process
/// too once they are this old (its ID may have been reused).
const STALE_AGE: Duration = Duration::from_secs(24 * 3600);

/// Reads a regular file of at most `max_bytes` bytes.
///
/// A FIFO, a device such as `/dev/zero`, or a folder is refused before anything is read, and a
/// file larger than the bound is refused without reading it whole. The file is opened without
/// blocking, so a FIFO put in its place after the check cannot hang the read either.
pub(crate) fn read_regular_file(path: &Path, max_bytes: u64) -> std::io::Result<Vec<u8>> {
    let (bytes, whole) = read_regular_file_head(path, max_bytes)?;
    if !whole {
        let len = std::fs::metadata(path).map_or(max_bytes + 1, |m| m.len());
        return Err(too_large(len, max_bytes));
    }
    Ok(bytes)
}

/// The first `max_bytes` bytes of a regular file, and whether that is the whole file (the
/// same checks as [`read_regular_file`]; used where only a file's header matters).
pub(crate) fn read_regular_file_head(
    path: &Path,
    max_bytes: u64,
) -> std::io::Result<(Vec<u8>, bool)> {
    use std::io::{Error, ErrorKind};
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "not a regular file (a folder, FIFO or device cannot be read as one)",
        ));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(Error::new(ErrorKind::InvalidInput, "not a regular file"));
    }
    let mut bytes = Vec::with_capacity(meta.len().min(max_bytes) as usize);
    file.take(max_bytes + 1).read_to_end(&mut bytes)?;
    let whole = bytes.len() as u64 <= max_bytes;
    bytes.truncate(max_bytes as usize);
    Ok((bytes, whole))
}

fn too_large(len: u64, max: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("{len} bytes is more than the {max} bytes allowed"),
    )
}

/// The prefix of this process's temporary names: `{tag}{pid}-`.
pub(crate) fn temp_prefix(tag: &str) -> String {
    format!("{tag}{}-", std::process::id())
}

/// Removes the entries of `dir` named `{tag}{pid}-…` whose process is gone (or that are older
/// than a day). Entries of other names are never touched.
pub(crate) fn sweep_stale(dir: &Path, tag: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(tag)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > STALE_AGE);
        if pid == std::process::id() && !old {
            continue;
        }
        if old || !process_alive(pid) {
            remove_entry(&entry.path());
        }
    }
}

fn remove_entry(path: &PathBuf) {
    let is_dir = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir());
    let _ = if is_dir {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
}

/// Whether a process with this ID runs (on systems without `/proc`, assumed so: its files then
/// wait for [`STALE_AGE`]).
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_within_the_bound_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"12345").unwrap();
        assert_eq!(read_regular_file(&f, 5).unwrap(), b"12345");
        let err = read_regular_file(&f, 4).unwrap_err().to_string();
        assert!(err.contains("more than the 4 bytes"), "{err}");
        let err = read_regular_file(dir.path(), 100).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
        assert!(read_regular_file(Path::new("/dev/zero"), 100).is_err());
    }

    #[test]
    fn stale_temporaries_of_dead_processes_are_swept_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        // PID 2^31 - 2 is far above any pid_max, so that process cannot exist.
        let dead = dir.path().join(".t-2147483646-abc");
        let live = dir.path().join(format!("{}x", temp_prefix(".t-")));
        let other = dir.path().join("user-file");
        std::fs::create_dir(&dead).unwrap();
        std::fs::write(dead.join("inner"), b"").unwrap();
        std::fs::write(&live, b"").unwrap();
        std::fs::write(&other, b"").unwrap();
        sweep_stale(dir.path(), ".t-");
        assert!(!dead.exists());
        assert!(live.exists() && other.exists());
    }
}
