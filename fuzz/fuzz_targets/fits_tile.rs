//! Fuzz target: FITS tiles, plain and gzipped (see `../entries.rs`).
#![no_main]

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = entries::fits_tile(data);
});
