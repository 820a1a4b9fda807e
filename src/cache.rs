//! The on-disk tile cache: a folder of hipscut's own, one sub-folder per survey URL, entries
//! written atomically, evicted least-recently-used beyond a size cap.
//!
//! Layout under the cache folder the user names (`--cache-dir`, default
//! `$XDG_CACHE_HOME/hipscut`):
//!
//! ```text
//! hipscut-v1/                 ours alone; it holds a CACHEDIR.TAG
//!   tmp/PID-XXXX              writes in progress, renamed into place when complete
//!   surveys/HOST_PORT_PATH-HASH/
//!     .survey                 the normalised URL this folder caches
//!     properties
//!     Norder3/Dir0/Npix304.jpg
//!     Norder3/Dir0/Npix305.jpg.missing   the server has no such tile
//! ```
//!
//! The folder of a survey is named by a hash of its normalised URL (RFC 3986: dot segments
//! resolved, no credentials), so two URLs never share one, and a folder whose `.survey` names
//! another URL is not used. Eviction walks `surveys/` only, and only folders with a `.survey`
//! marker, so a cache folder pointed at a folder of the user's never loses a file hipscut did
//! not write. Temporary files of killed processes are swept when a cache opens; they are never
//! read. Reading an entry refreshes its modification time, which is what eviction orders by.

use crate::fetch::url::cache_key;
use crate::files::{read_regular_file, sweep_stale, temp_prefix};
use reqwest::Url;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Default size cap: 2 GB.
pub(crate) const DEFAULT_CACHE_SIZE: u64 = 2_000_000_000;
/// The folder of hipscut's own inside the cache folder.
pub(crate) const LAYOUT_DIR: &str = "hipscut-v1";
const SURVEYS_DIR: &str = "surveys";
const TMP_DIR: &str = "tmp";
const MARKER: &str = ".survey";
const TMP_TAG: &str = "";
const CACHEDIR_TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
# This file is a cache directory tag created by hipscut.\n";

/// What the cache knows of one file of a survey.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Cached {
    Bytes(Vec<u8>),
    /// The server answered that it has no such file.
    Missing,
}

/// The cache folder of one survey.
#[derive(Debug, Clone)]
pub(crate) struct DiskCache {
    root: Arc<CacheRoot>,
    survey_dir: PathBuf,
}

/// hipscut's folder inside a cache folder, shared by the surveys cached there: its size is
/// measured on the first write, then tracked in memory, and kept under `cap` by eviction on a
/// background thread.
#[derive(Debug)]
pub(crate) struct CacheRoot {
    layout: PathBuf,
    cap: u64,
    /// Bytes held, as last measured plus what was written since (a soft figure: writes that
    /// race with a measurement may be counted twice, which only brings eviction forward).
    size: AtomicU64,
    measured: AtomicBool,
    /// A measurement or an eviction is running.
    busy: AtomicBool,
    written: AtomicBool,
}

impl CacheRoot {
    /// Opens (creating it if needed) hipscut's folder inside the cache folder `root`, and sweeps
    /// the temporary files of processes that died.
    pub(crate) fn open(root: &Path, cap: u64) -> std::io::Result<Arc<Self>> {
        let layout = root.join(LAYOUT_DIR);
        std::fs::create_dir_all(layout.join(TMP_DIR))?;
        let tag = layout.join("CACHEDIR.TAG");
        if !tag.exists() {
            write_atomically(&layout, &tag, CACHEDIR_TAG.as_bytes())?;
        }
        sweep_stale(&layout.join(TMP_DIR), TMP_TAG);
        Ok(Arc::new(CacheRoot {
            layout,
            cap,
            size: AtomicU64::new(0),
            measured: AtomicBool::new(false),
            busy: AtomicBool::new(false),
            written: AtomicBool::new(false),
        }))
    }

    /// Counts a write; measures the folder the first time, evicts when over the cap. Both run on
    /// a thread of their own, one at a time.
    fn added(self: &Arc<Self>, bytes: u64) {
        self.written.store(true, Ordering::Relaxed);
        let size = self.size.fetch_add(bytes, Ordering::Relaxed) + bytes;
        let measured = self.measured.load(Ordering::Acquire);
        if (measured && size <= self.cap) || self.busy.swap(true, Ordering::AcqRel) {
            return;
        }
        let root = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("hipscut-cache".into())
            .spawn(move || {
                root.measure_and_evict();
                root.busy.store(false, Ordering::Release);
            });
        if spawned.is_err() {
            self.busy.store(false, Ordering::Release);
        }
    }

    /// Brings the cache under its cap now, if anything was written: for a process about to exit,
    /// which cannot leave the eviction to a background thread.
    pub(crate) fn settle(&self) {
        if self.written.load(Ordering::Relaxed) {
            self.measure_and_evict();
        }
    }

    /// Walks the cache, evicting down to the cap, and records the size left.
    fn measure_and_evict(&self) {
        self.size
            .store(evict(&self.layout, self.cap), Ordering::Relaxed);
        self.measured.store(true, Ordering::Release);
    }
}

/// The default cache folder: `$XDG_CACHE_HOME/hipscut`, else `~/.cache/hipscut`.
pub(crate) fn default_cache_root() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("hipscut"))
}

impl DiskCache {
    /// The cache of the survey at `url` (normalised), in the cache folder `root`. Refuses a
    /// survey folder that records another URL.
    pub(crate) fn open_in(root: &Arc<CacheRoot>, url: &Url) -> std::io::Result<Self> {
        let survey_dir = root.layout.join(SURVEYS_DIR).join(cache_key(url));
        let marker = survey_dir.join(MARKER);
        let owner = crate::fetch::url::base_string(url);
        match std::fs::read(&marker) {
            Ok(found) if found == owner.as_bytes() => {}
            Ok(_) => {
                return Err(std::io::Error::other(format!(
                    "cache folder {} belongs to another URL",
                    survey_dir.display()
                )))
            }
            Err(_) => {
                std::fs::create_dir_all(&survey_dir)?;
                write_atomically(&root.layout, &marker, owner.as_bytes())?;
            }
        }
        Ok(DiskCache {
            root: Arc::clone(root),
            survey_dir,
        })
    }

    /// [`DiskCache::open_in`] a cache folder of its own, with the default cap.
    #[cfg(test)]
    pub(crate) fn open(root: &Path, url: &Url) -> std::io::Result<Self> {
        Self::open_in(&CacheRoot::open(root, DEFAULT_CACHE_SIZE)?, url)
    }

    fn path_of(&self, rel_path: &str) -> Option<PathBuf> {
        let rel = Path::new(rel_path);
        let safe = !rel_path.is_empty()
            && rel.components().all(|c| match c {
                Component::Normal(n) => !n.to_string_lossy().starts_with('.'),
                _ => false,
            });
        safe.then(|| self.survey_dir.join(rel))
    }

    fn marker_of(path: &Path) -> PathBuf {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".missing");
        path.with_file_name(name)
    }

    /// The cached file, if any, not larger than `max_bytes` and not older than `max_age`
    /// (when given).
    pub(crate) fn get(
        &self,
        rel_path: &str,
        max_age: Option<Duration>,
        max_bytes: u64,
    ) -> Option<Cached> {
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
        if let Ok(bytes) = read_regular_file(&path, max_bytes) {
            if !fresh(&path) {
                return None;
            }
            if max_age.is_none() {
                touch(&path);
            }
            return Some(Cached::Bytes(bytes));
        }
        let marker = Self::marker_of(&path);
        if marker.is_file() && fresh(&marker) {
            touch(&marker);
            return Some(Cached::Missing);
        }
        None
    }

    /// Stores a file (atomically).
    pub(crate) fn put(&self, rel_path: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path_of(rel_path).ok_or_else(unsafe_path)?;
        write_atomically(&self.root.layout, &path, bytes)?;
        let _ = std::fs::remove_file(Self::marker_of(&path));
        self.root.added(bytes.len() as u64);
        Ok(())
    }

    /// Remembers that the server has no such file.
    pub(crate) fn put_missing(&self, rel_path: &str) -> std::io::Result<()> {
        let path = self.path_of(rel_path).ok_or_else(unsafe_path)?;
        write_atomically(&self.root.layout, &Self::marker_of(&path), b"")?;
        self.root.added(0);
        Ok(())
    }

    /// The cache folder this survey's folder is in.
    pub(crate) fn root(&self) -> &Arc<CacheRoot> {
        &self.root
    }
}

fn unsafe_path() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, "unsafe cache path")
}

fn touch(path: &Path) {
    if let Ok(f) = std::fs::File::options().append(true).open(path) {
        let _ = f.set_modified(SystemTime::now());
    }
}

/// Writes `bytes` to `layout/tmp/PID-XXXX`, then renames it to `path`, so a reader sees the
/// whole entry or none, and a killed writer leaves only a temporary file that the next open
/// sweeps.
fn write_atomically(layout: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(&temp_prefix(TMP_TAG))
        .tempfile_in(layout.join(TMP_DIR))?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Every entry file of the marked survey folders under `layout`, with its time and size.
fn entries(layout: &Path) -> Vec<(SystemTime, u64, PathBuf)> {
    let mut files = Vec::new();
    let Ok(surveys) = std::fs::read_dir(layout.join(SURVEYS_DIR)) else {
        return files;
    };
    let mut stack: Vec<PathBuf> = surveys
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join(MARKER).is_file())
        .collect();
    while let Some(dir) = stack.pop() {
        let Ok(list) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in list.flatten() {
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            // symlink_metadata: a link is never followed out of the cache.
            let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(entry.path());
            } else if meta.is_file() {
                let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                // A marker weighs little on disk but a block; count it as one.
                files.push((modified, meta.len().max(512), entry.path()));
            }
        }
    }
    files
}

/// Least-recently-used eviction over the entries of the cache layout at `layout`.
pub(crate) fn evict(layout: &Path, cap: u64) -> u64 {
    let mut files = entries(layout);
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

    fn open(root: &Path, url: &str) -> DiskCache {
        DiskCache::open(root, &crate::fetch::url::normalise(url).unwrap()).unwrap()
    }

    #[test]
    fn paths_cannot_escape_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let cache = open(dir.path(), "http://h/s");
        assert!(cache.put("../../etc/x", b"no").is_err());
        assert!(cache.put(".survey", b"no").is_err());
        assert!(cache.get("/etc/passwd", None, 1 << 20).is_none());
    }

    #[test]
    fn put_get_missing_and_lru_eviction() {
        let dir = tempfile::tempdir().unwrap();
        let cache = open(dir.path(), "http://h/s");
        let limit = 1 << 20;
        cache.put("Norder3/Dir0/Npix1.jpg", &[1u8; 4000]).unwrap();
        cache.put_missing("Norder3/Dir0/Npix2.jpg").unwrap();
        assert_eq!(
            cache.get("Norder3/Dir0/Npix1.jpg", None, limit),
            Some(Cached::Bytes(vec![1u8; 4000]))
        );
        assert_eq!(
            cache.get("Norder3/Dir0/Npix1.jpg", None, 100),
            None,
            "over the bound"
        );
        assert_eq!(
            cache.get("Norder3/Dir0/Npix2.jpg", None, limit),
            Some(Cached::Missing)
        );
        assert_eq!(cache.get("Norder3/Dir0/Npix3.jpg", None, limit), None);
        // A later put of the same file clears its marker.
        cache.put("Norder3/Dir0/Npix2.jpg", &[2u8; 10]).unwrap();
        assert_eq!(
            cache.get("Norder3/Dir0/Npix2.jpg", None, limit),
            Some(Cached::Bytes(vec![2u8; 10]))
        );

        let old = cache.survey_dir.join("Norder3/Dir0/Npix1.jpg");
        std::fs::File::options()
            .append(true)
            .open(&old)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(100))
            .unwrap();
        cache.put("Norder3/Dir0/Npix4.jpg", &[4u8; 4000]).unwrap();
        let left = evict(&cache.root.layout, 5000);
        assert!(left <= 5000);
        assert!(!old.exists(), "the least recently used file goes first");
        assert!(cache.get("Norder3/Dir0/Npix4.jpg", None, limit).is_some());
    }

    #[test]
    fn eviction_never_touches_files_it_did_not_write() {
        let dir = tempfile::tempdir().unwrap();
        let precious = dir.path().join("thesis.tex");
        std::fs::write(&precious, vec![b'x'; 100_000]).unwrap();
        let stray = dir
            .path()
            .join(LAYOUT_DIR)
            .join(SURVEYS_DIR)
            .join("unmarked/file");
        std::fs::create_dir_all(stray.parent().unwrap()).unwrap();
        std::fs::write(&stray, vec![b'x'; 100_000]).unwrap();
        let cache = open(dir.path(), "http://h/s");
        cache.put("Norder3/Dir0/Npix1.jpg", &[1u8; 4000]).unwrap();
        assert_eq!(evict(&cache.root.layout, 0), 0);
        assert!(precious.exists() && stray.exists());
        assert!(cache.survey_dir.join(MARKER).exists());
    }

    #[test]
    fn a_folder_of_another_url_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::fetch::url::normalise("http://h/s").unwrap();
        let cache = DiskCache::open(dir.path(), &url).unwrap();
        std::fs::write(cache.survey_dir.join(MARKER), b"http://other/x").unwrap();
        assert!(DiskCache::open(dir.path(), &url).is_err());
    }
}
