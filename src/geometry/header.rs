//! Reading an output WCS from a file: a FITS primary header, a text header (one card per line,
//! as astropy's `Header.totextfile` writes), or a JSON object of cards (hips2fits's `wcs=`).

use crate::error::{Error, Result};
use crate::fits::{card_value, header_cards, Cards};
use std::path::Path;

/// The most bytes of a header file that are read: a text or JSON header must fit, and of a FITS
/// file only its primary header (which is far smaller) is needed.
pub(crate) const HEADER_MAX_BYTES: u64 = 4 << 20;

/// Reads the cards of a header file, whatever its form. Only regular files are read, and at
/// most [`HEADER_MAX_BYTES`] of them: enough for a FITS image's header, and a text header
/// larger than that is refused.
pub(crate) fn read_header_file(path: &Path) -> Result<Cards> {
    let (bytes, whole) = crate::files::read_regular_file_head(path, HEADER_MAX_BYTES)
        .map_err(|e| Error::io(path, e))?;
    if !whole && !is_fits(&bytes) {
        return Err(Error::InvalidWcs(format!(
            "{} is larger than the {HEADER_MAX_BYTES} bytes a text header may have",
            path.display()
        )));
    }
    parse_header_bytes(&bytes)
}

/// Whether bytes are a FITS file: 80-byte cards from SIMPLE on, without line breaks (FITS
/// headers are printable ASCII only; a text header has one card a line).
fn is_fits(bytes: &[u8]) -> bool {
    let first_block = &bytes[..bytes.len().min(2880)];
    bytes.starts_with(b"SIMPLE  =") && !first_block.contains(&b'\n')
}

/// Parses header bytes in any of the three forms.
pub(crate) fn parse_header_bytes(bytes: &[u8]) -> Result<Cards> {
    if is_fits(bytes) {
        return Ok(header_cards(bytes)
            .map_err(|e| Error::InvalidWcs(e.to_string()))?
            .0);
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| Error::InvalidWcs("the file is neither a FITS file nor text".into()))?;
    if text.trim_start().starts_with('{') {
        parse_json(text)
    } else {
        parse_text(text)
    }
}

fn parse_json(text: &str) -> Result<Cards> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| Error::InvalidWcs(format!("not valid JSON: {e}")))?;
    let object = value
        .as_object()
        .ok_or_else(|| Error::InvalidWcs("the JSON is not an object of cards".into()))?;
    object
        .iter()
        .map(|(k, v)| {
            let raw = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => if *b { "T" } else { "F" }.to_string(),
                other => {
                    return Err(Error::InvalidWcs(format!(
                        "card {k} has an unusable value {other}"
                    )))
                }
            };
            Ok((k.trim().to_ascii_uppercase(), raw))
        })
        .collect()
}

fn parse_text(text: &str) -> Result<Cards> {
    let mut cards = Vec::new();
    for line in text.lines() {
        let line = line.trim_end();
        let key_part = line.get(..8).unwrap_or(line).trim();
        if matches!(key_part, "" | "COMMENT" | "HISTORY") {
            continue;
        }
        if key_part == "END" {
            break;
        }
        let Some((key, rest)) = line.split_once('=') else {
            continue;
        };
        cards.push((
            key.trim().to_ascii_uppercase(),
            card_value(rest).to_string(),
        ));
    }
    if cards.is_empty() {
        return Err(Error::InvalidWcs("no `KEY = value` cards found".into()));
    }
    Ok(cards)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_forms_give_the_same_cards() {
        let text = "SIMPLE  =                    T\nNAXIS1  =                  100 / width\nCTYPE1  = 'RA---TAN'           / proj\nCOMMENT hello\nEND\n";
        let mut fits: Vec<u8> = text
            .lines()
            .flat_map(|l| format!("{l:<80}").into_bytes())
            .collect();
        fits.resize(2880, b' ');
        let json = r#"{"simple": true, "NAXIS1": 100, "CTYPE1": "RA---TAN"}"#;
        let want: Cards = vec![
            ("SIMPLE".into(), "T".into()),
            ("NAXIS1".into(), "100".into()),
            ("CTYPE1".into(), "RA---TAN".into()),
        ];
        assert_eq!(parse_header_bytes(text.as_bytes()).unwrap(), want);
        assert_eq!(parse_header_bytes(&fits).unwrap(), want);
        let mut from_json = parse_header_bytes(json.as_bytes()).unwrap();
        from_json.sort();
        let mut sorted = want.clone();
        sorted.sort();
        assert_eq!(from_json, sorted, "JSON keys come in any order");
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse_header_bytes(b"just words").is_err());
        assert!(parse_header_bytes(b"{ not json").is_err());
        assert!(parse_header_bytes(&[0xff, 0xfe, 0x00]).is_err());
    }
}
