//! FITS output: float32 image (or 3-plane RGB cube) with the full celestial WCS and credits;
//! the fits module writes it.

use crate::error::{Error, Result};
use crate::fits::{parse_fits_number, write_float_image, Card, CardValue};
use crate::geometry::OutputGeometry;
use crate::render::Rendered;
use std::io::Write;
use std::path::Path;

/// Encodes `rendered` as FITS into `out`.
///
/// fitsio writes files only (the crate does not expose cfitsio's memory files), so the image
/// goes through a temporary file. A FITS writer of our own would write in memory, but it would
/// lose cfitsio's exact card formatting, which the CLI's outputs keep bit for bit.
pub(crate) fn encode_fits(rendered: &Rendered, out: &mut dyn Write) -> Result<()> {
    let fail = |reason: String| Error::Encode {
        format: "FITS",
        reason,
    };
    let dir = tempfile::tempdir().map_err(|e| fail(format!("no temporary folder: {e}")))?;
    let path = dir.path().join("image.fits");
    write_fits(rendered, &path)?;
    let mut file = std::fs::File::open(&path).map_err(|e| fail(e.to_string()))?;
    std::io::copy(&mut file, out).map_err(|e| fail(e.to_string()))?;
    Ok(())
}

/// Writes `rendered` to a new FITS file at `path` (which must not exist): the image, its WCS,
/// what the render used, and the survey's credits.
pub(crate) fn write_fits(rendered: &Rendered, path: &Path) -> Result<()> {
    let geometry = &rendered.geometry;
    let mut cards: Vec<Card> = geometry
        .cards
        .iter()
        .filter_map(|(key, value)| {
            let value = if OutputGeometry::card_is_string(key) {
                CardValue::Text(value)
            } else {
                CardValue::Real(parse_fits_number(value)?)
            };
            Some(Card {
                key,
                value,
                comment: None,
            })
        })
        .collect();
    let described = |key, value, comment| Card {
        key,
        value,
        comment: Some(comment),
    };
    if rendered.image.channels == 3 {
        let planes = "colour planes: red, green, blue";
        cards.push(described("CTYPE3", CardValue::Text("RGB"), planes));
    }
    let version = format!("hipscut {}", env!("CARGO_PKG_VERSION"));
    cards.extend([
        described(
            "CREATOR",
            CardValue::Text(&version),
            "software that made this file",
        ),
        described(
            "HIPSORDR",
            CardValue::Integer(rendered.order.into()),
            "HiPS tile order used",
        ),
        described(
            "HIPSFMT",
            CardValue::Text(rendered.tile_format.name()),
            "HiPS tile format used",
        ),
        described(
            "INTERP",
            CardValue::Text(rendered.interpolation.name()),
            "sampling between tile pixels",
        ),
    ]);
    let meta = &rendered.provenance;
    let credit_keys = ["COPYRGHT", "COPYRGH2", "COPYRGH3"];
    let long_texts = [("HIPS_ID", &meta.survey_id), ("HIPSTITL", &meta.title)]
        .into_iter()
        .filter_map(|(key, text)| Some((key, text.as_deref()?)))
        .chain(
            credit_keys
                .into_iter()
                .zip(meta.copyright.iter().map(String::as_str)),
        );
    cards.extend(long_texts.map(|(key, text)| Card {
        key,
        value: CardValue::LongText(text),
        comment: None,
    }));
    write_float_image(path, &rendered.image, &cards).map_err(|reason| Error::Write {
        path: path.to_path_buf(),
        reason,
    })
}
