//! The on-disk tile cache: files laid out like the survey itself under one folder per survey,
//! written atomically, evicted least-recently-used beyond a size cap.
//!
//! Every entry is written to a temporary file in its final folder and renamed into place, so
//! concurrent hipscut processes and a killed process never leave a partial entry. A tile the
//! server does not have is remembered by an empty `NAME.missing` marker, so that re-rendering a
//! field asks the server nothing. Reading an entry refreshes its modification time, which is what
//! eviction orders by.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Default size cap: 2 GB.
pub const DEFAULT_CACHE_SIZE: u64 = 2_000_000_000;

/// What the cache knows of one file of a survey.
#[derive(Debug, PartialEq, Eq)]
pub enum Cached {
    Bytes(Vec<u8>),
    /// The server answered that it has no such file.
    Missing,
}

/// The cache folder of one survey.
#[derive(Debug, Clone)]
pub struct DiskCache {
    root: PathBuf,
    survey_dir: PathBuf,
}

/// The default cache root: `$XDG_CACHE_HOME/hipscut`, else `~/.cache/hipscut`.
pub fn default_cache_root() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("hipscut"))
}

/// A folder name for a survey URL: `https://host:8080/a/b` → `host_8080/a/b`, with anything that
/// could climb out of the cache removed.
fn survey_key(url: &str) -> PathBuf {
    let without_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let mut key = PathBuf::new();
    for part in without_scheme.split('/') {
        let clean: String = part
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if !clean.is_empty() && clean != "." && clean != ".." {
            key.push(clean);
        }
    }
    key
}

impl DiskCache {
    /// The cache of the survey at `url`, under `root`.
    pub fn new(root: &Path, url: &str) -> Self {
        DiskCache {
            root: root.to_path_buf(),
            survey_dir: root.join(survey_key(url)),
        }
    }

    fn path_of(&self, rel_path: &str) -> Option<PathBuf> {
        let rel = Path::new(rel_path);
        let safe = rel
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        safe.then(|| self.survey_dir.join(rel))
    }

    fn marker_of(path: &Path) -> PathBuf {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".missing");
        path.with_file_name(name)
    }

    /// The cached file, if any and not older than `max_age` (when given).
    pub fn get(&self, rel_path: &str, max_age: Option<Duration>) -> Option<Cached> {
        let path = self.path_of(rel_path)?;
        let fresh = |p: &Path| {
            let Some(max_age) = max_age else {
                return true;
            };
            std::fs::metadata(p)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .is_some_and(|age| age <= max_age)
        };
        if let Ok(bytes) = std::fs::read(&path) {
            if !fresh(&path) {
                return None;
            }
            if max_age.is_none() {
                touch(&path);
            }
            return Some(Cached::Bytes(bytes));
        }
        let marker = Self::marker_of(&path);
        if marker.exists() && fresh(&marker) {
            touch(&marker);
            return Some(Cached::Missing);
        }
        None
    }

    /// Stores a file (atomically).
    pub fn put(&self, rel_path: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path_of(rel_path).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "unsafe cache path")
        })?;
        write_atomically(&path, bytes)?;
        let _ = std::fs::remove_file(Self::marker_of(&path));
        Ok(())
    }

    /// Remembers that the server has no such file.
    pub fn put_missing(&self, rel_path: &str) -> std::io::Result<()> {
        let path = self.path_of(rel_path).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "unsafe cache path")
        })?;
        write_atomically(&Self::marker_of(&path), b"")
    }

    /// Deletes the least recently used files of the whole cache (all surveys) until it holds at
    /// most `cap` bytes. Returns the bytes it holds afterwards.
    pub fn evict_to(&self, cap: u64) -> u64 {
        evict(&self.root, cap)
    }
}

fn touch(path: &Path) {
    if let Ok(f) = std::fs::File::options().append(true).open(path) {
        let _ = f.set_modified(SystemTime::now());
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Least-recently-used eviction over every file below `root`; temporary files of writers that
/// died are removed too once they are an hour old.
pub fn evict(root: &Path, cap: u64) -> u64 {
    let mut files: Vec<(SystemTime, u64, PathBuf)> = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            let path = entry.path();
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            let stale_tmp = entry.file_name().to_string_lossy().starts_with(".tmp-")
                && SystemTime::now()
                    .duration_since(modified)
                    .is_ok_and(|age| age > Duration::from_secs(3600));
            if stale_tmp {
                let _ = std::fs::remove_file(&path);
                continue;
            }
            // A marker weighs little on disk but a block; count it as one.
            files.push((modified, meta.len().max(512), path));
        }
    }
    let mut total: u64 = files.iter().map(|f| f.1).sum();
    if total <= cap {
        return total;
    }
    files.sort_by_key(|f| f.0);
    for (_, size, path) in files {
        if total <= cap {
            break;
        }
        if std::fs::remove_file(&path).is_ok() {
            total -= size;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_escape_the_cache() {
        assert_eq!(
            survey_key("https://alasky.cds.unistra.fr:8080/DSS/../x"),
            PathBuf::from("alasky.cds.unistra.fr_8080/DSS/x")
        );
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::new(dir.path(), "http://h/s");
        assert!(cache.put("../../etc/x", b"no").is_err());
        assert!(cache.get("/etc/passwd", None).is_none());
    }

    #[test]
    fn put_get_missing_and_lru_eviction() {
        let dir = tempfile::tempdir().unwrap();
        let cache = DiskCache::new(dir.path(), "http://h/s");
        cache.put("Norder3/Dir0/Npix1.jpg", &[1u8; 4000]).unwrap();
        cache.put_missing("Norder3/Dir0/Npix2.jpg").unwrap();
        assert_eq!(
            cache.get("Norder3/Dir0/Npix1.jpg", None),
            Some(Cached::Bytes(vec![1u8; 4000]))
        );
        assert_eq!(
            cache.get("Norder3/Dir0/Npix2.jpg", None),
            Some(Cached::Missing)
        );
        assert_eq!(cache.get("Norder3/Dir0/Npix3.jpg", None), None);
        // A later put of the same file clears its marker.
        cache.put("Norder3/Dir0/Npix2.jpg", &[2u8; 10]).unwrap();
        assert_eq!(
            cache.get("Norder3/Dir0/Npix2.jpg", None),
            Some(Cached::Bytes(vec![2u8; 10]))
        );

        let old = dir.path().join("h/s/Norder3/Dir0/Npix1.jpg");
        std::fs::File::options()
            .append(true)
            .open(&old)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(100))
            .unwrap();
        cache.put("Norder3/Dir0/Npix4.jpg", &[4u8; 4000]).unwrap();
        let left = cache.evict_to(5000);
        assert!(left <= 5000);
        assert!(!old.exists(), "the least recently used file goes first");
        assert!(cache.get("Norder3/Dir0/Npix4.jpg", None).is_some());
    }
}
