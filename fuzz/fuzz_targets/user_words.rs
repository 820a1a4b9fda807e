//! Fuzz target: angles, cuts, colormaps, colours, composite lists and Sesame answers (see
//! `../entries.rs`).
#![no_main]

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = entries::user_words(data);
});
