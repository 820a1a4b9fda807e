//! Fuzz target: `Moc.fits` coverage maps through the coverage reader (see `../entries.rs`).
#![no_main]

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = entries::moc(data);
});
