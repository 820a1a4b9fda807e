//! Fuzz target: Allsky files, decoded and sliced (see `../entries.rs`).
#![no_main]

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = entries::allsky(data);
});
