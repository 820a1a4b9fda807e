//! FITS header cards: split from the 80-byte records of a file, their values parsed, looked up
//! by keyword. Shared by the tile reader, the `--wcs` header reader and the output writer.

use crate::error::{Error, Result};

/// The length of a header card.
pub(crate) const CARD: usize = 80;
/// The length of a FITS block: headers and data are padded to whole blocks.
pub(crate) const BLOCK: usize = 2880;

/// Header cards as (KEYWORD, raw value) pairs, in file order, quotes stripped from strings.
pub type Cards = Vec<(String, String)>;

/// Parses the value part of a header card (after `= `): a number, a logical or a quoted string.
pub(crate) fn card_value(raw: &str) -> &str {
    let raw = raw.trim_start();
    if let Some(rest) = raw.strip_prefix('\'') {
        // A string ends at a quote not followed by another quote.
        let bytes = rest.as_bytes();
        let mut k = 0;
        while k < bytes.len() {
            if bytes[k] == b'\'' {
                if bytes.get(k + 1) == Some(&b'\'') {
                    k += 2;
                    continue;
                }
                return &rest[..k];
            }
            k += 1;
        }
        rest
    } else {
        raw.split('/').next().unwrap_or("").trim()
    }
}

/// The value of the last card named `key` (FITS readers take the last of repeated keys).
pub(crate) fn find_card<'c>(cards: &'c [(String, String)], key: &str) -> Option<&'c str> {
    cards
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Parses a FITS number, accepting the Fortran `D` exponent.
pub(crate) fn parse_fits_number(v: &str) -> Option<f64> {
    v.trim().replace(['D', 'd'], "E").parse::<f64>().ok()
}

/// The number card `key` holds (`None` when there is none); an error naming `what` when its
/// value is not a number.
pub(crate) fn card_number(cards: &Cards, key: &str, what: &str) -> Result<Option<f64>> {
    match find_card(cards, key) {
        None => Ok(None),
        Some(v) => parse_fits_number(v)
            .map(Some)
            .ok_or_else(|| Error::decode(what, format!("{key} = `{v}` is not a number"))),
    }
}

/// Splits a FITS header into (keyword, raw value) pairs up to END; returns them and the header
/// length rounded up to whole blocks. Cards are checked to be printable ASCII before they are
/// read as text, as the standard requires, so no byte can split a character.
pub(crate) fn header_cards(bytes: &[u8]) -> Result<(Cards, usize)> {
    let mut cards = Vec::new();
    let mut at = 0;
    loop {
        let Some(card) = bytes.get(at..at + CARD) else {
            return Err(Error::decode(
                "FITS header",
                "no END card before the end of the file",
            ));
        };
        at += CARD;
        if let Some(bad) = card.iter().position(|b| !(0x20..=0x7e).contains(b)) {
            return Err(Error::decode(
                "FITS header",
                format!(
                    "card {} holds byte 0x{:02x}, which is not printable ASCII",
                    at / CARD,
                    card[bad]
                ),
            ));
        }
        // Printable ASCII is valid UTF-8, one byte a character.
        let card = String::from_utf8_lossy(card);
        let key = card[..8].trim_end().to_string();
        if key == "END" {
            break;
        }
        if &card[8..10] == "= " {
            cards.push((key, card_value(&card[10..]).to_string()));
        }
    }
    Ok((cards, at.div_ceil(BLOCK) * BLOCK))
}
