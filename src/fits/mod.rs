//! FITS, at the bottom of the crate: header cards (from a file's 80-byte records) and the
//! lenient reader of the images real HiPS tiles are.

mod cards;
mod image;

pub(crate) use cards::{card_value, header_cards};
pub use cards::{find_card, parse_fits_number, Cards};
pub(crate) use image::check_fits_complete;
pub use image::read_fits_image;
