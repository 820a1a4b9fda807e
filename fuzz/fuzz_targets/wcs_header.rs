//! Fuzz target: `--wcs` headers in FITS, text and JSON (see `../entries.rs`).
#![no_main]

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = entries::wcs_header(data);
});
