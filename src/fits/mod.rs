//! FITS, at the bottom of the crate: header cards (from a file's 80-byte records), the lenient
//! reader of the images real HiPS tiles are, and the writer of output images.

mod cards;
mod image;
mod writer;

pub use cards::Cards;
pub(crate) use cards::{card_value, header_cards};
pub(crate) use cards::{find_card, parse_fits_number};
pub(crate) use image::check_fits_complete;
pub(crate) use image::read_fits_image;
pub(crate) use writer::{write_float_image, Card, CardValue};
