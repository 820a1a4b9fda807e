//! FITS, at the bottom of the crate: header cards (from a file's 80-byte records), the lenient
//! reader of the images real HiPS tiles are, and the writer of output images.

mod cards;
mod compressed;
mod image;
mod writer;

pub use cards::Cards;
pub(crate) use cards::{card_value, header_cards};
pub(crate) use cards::{find_card, parse_fits_number};
pub(crate) use image::check_fits_complete;
pub(crate) use image::read_fits_image;
pub(crate) use writer::{write_float_image, Card, CardValue};

/// The `BUNIT` of a FITS file's primary header (gzip-compressed or not), read from its first
/// 64 KiB at most; `None` if it has none or the header does not parse.
pub(crate) fn unit_of(bytes: &[u8]) -> Option<String> {
    use std::io::Read;
    const HEAD: u64 = 64 << 10;
    let mut head = Vec::new();
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        flate2::read::GzDecoder::new(bytes)
            .take(HEAD)
            .read_to_end(&mut head)
            .ok()?;
        &head[..]
    } else {
        bytes
    };
    let (cards, _) = header_cards(bytes).ok()?;
    find_card(&cards, "BUNIT")
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty() && u.len() <= 68)
}
