//! Fuzz target: JPEG, PNG and WebP tiles through the tile decoder (see `../entries.rs`).
#![no_main]

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = entries::picture_tile(data);
});
