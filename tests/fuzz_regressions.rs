//! Every input that ever crashed hipscut (`fuzz/regressions/TARGET/`) runs again here
//! without a panic, and every seed of the fuzz corpora (`fuzz/seeds/TARGET/`) is accepted all the way
//! through, so the seeds keep reaching the deep paths they were made for.

#[path = "../fuzz/entries.rs"]
mod entries;

use std::path::Path;

type Entry = fn(&[u8]) -> bool;

const TARGETS: &[(&str, Entry)] = &[
    ("properties", entries::properties),
    ("fits_tile", entries::fits_tile),
    ("picture_tile", entries::picture_tile),
    ("allsky", entries::allsky),
    ("wcs_header", entries::wcs_header),
    ("user_words", entries::user_words),
    ("moc", entries::moc),
];

fn inputs(kind: &str, target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind)
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn every_seed_is_accepted() {
    for (target, entry) in TARGETS {
        let seeds = inputs("seeds", target);
        assert!(!seeds.is_empty(), "no seeds for {target}");
        for (name, bytes) in seeds {
            assert!(entry(&bytes), "{target}: seed {name} was refused");
        }
    }
}

#[test]
fn every_saved_crash_is_handled() {
    let mut count = 0;
    for (target, entry) in TARGETS {
        for (name, bytes) in inputs("regressions", target) {
            let run = std::panic::catch_unwind(|| entry(&bytes));
            assert!(run.is_ok(), "{target}: {name} panics again");
            count += 1;
        }
    }
    assert!(count >= 6, "the saved crash inputs are missing: {count}");
}
