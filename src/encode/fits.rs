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
    let cube_cards = cube_cards(rendered);
    match &rendered.cube {
        Some(_) => cards.extend(cube_cards),
        None if rendered.image.channels == 3 => {
            let planes = "colour planes: red, green, blue";
            cards.push(described("CTYPE3", CardValue::Text("RGB"), planes));
        }
        None => {}
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
    // DATE comes from the survey, not the clock, so that a render's bytes never change.
    let date = rendered
        .provenance
        .release_date
        .as_deref()
        .and_then(fits_date);
    cards.extend(provenance_cards(rendered, date.as_deref()));
    write_float_image(path, &rendered.image, &cards).map_err(|reason| Error::Write {
        path: path.to_path_buf(),
        reason,
    })
}

/// The cards of the HiPS cube frames an image holds: the third axis's WCS for a stack of
/// frames (plane p, from 1, is frame `first + p − 1`), the frame and its value for one.
fn cube_cards(rendered: &Rendered) -> Vec<Card<'_>> {
    let Some(cube) = &rendered.cube else {
        return Vec::new();
    };
    let described = |key, value, comment| Card {
        key,
        value,
        comment: Some(comment),
    };
    let axis = &cube.axis;
    let mut cards = Vec::new();
    if rendered.image.channels > 1 {
        let kind = axis.ctype.as_deref().unwrap_or("FRAME");
        cards.extend([
            described(
                "CTYPE3",
                CardValue::Text(kind),
                "the HiPS cube's third axis",
            ),
            described(
                "CRPIX3",
                CardValue::Real(axis.crpix3 - f64::from(cube.first)),
                "reference plane",
            ),
            described("CRVAL3", CardValue::Real(axis.crval3), "value there"),
            described("CDELT3", CardValue::Real(axis.cdelt3), "step per plane"),
        ]);
        if let Some(unit) = &axis.unit {
            cards.push(described(
                "CUNIT3",
                CardValue::Text(unit),
                "unit of the axis",
            ));
        }
    }
    cards.extend([
        described(
            "HIPSFRM1",
            CardValue::Integer(cube.first.into()),
            "HiPS cube frame of the first plane",
        ),
        described(
            "HIPSVAL1",
            CardValue::Real(cube.value(0)),
            "its third-axis value (CRVAL3 + (k + 1 - CRPIX3) CDELT3)",
        ),
    ]);
    cards
}

/// The cards of what the values are and where they come from: unit, date, survey, credits.
fn provenance_cards<'a>(rendered: &'a Rendered, date: Option<&'a str>) -> Vec<Card<'a>> {
    let mut cards = Vec::new();
    let described = |key, value, comment| Card {
        key,
        value,
        comment: Some(comment),
    };
    let meta = &rendered.provenance;
    // A composite's bands may have different units: BUNIT is for one band's values.
    let unit = rendered
        .stats
        .unit
        .as_deref()
        .filter(|_| rendered.image.channels == 1);
    if let Some(unit) = unit {
        cards.push(described(
            "BUNIT",
            CardValue::Text(unit),
            "of the survey's tiles",
        ));
    }
    if let Some(date) = date {
        let what = "the survey's release date (hips_release_date)";
        cards.push(described("DATE", CardValue::Text(date), what));
    }
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
    cards
}

/// A `hips_release_date` (`2014-10-24T14:57Z`, seconds optional) in FITS's form
/// (`2014-10-24T14:57:00`); `None` if it is not such a date.
fn fits_date(date: &str) -> Option<String> {
    let date = date.trim().trim_end_matches('Z');
    let (day, time) = date.split_once('T').unwrap_or((date, "00:00"));
    let numbers = |s: &str, sep: char, n: usize| -> Option<Vec<u32>> {
        let parts: Option<Vec<u32>> = s.split(sep).map(|p| p.parse().ok()).collect();
        parts.filter(|p| p.len() == n || (sep == ':' && p.len() == n - 1))
    };
    let d = numbers(day, '-', 3)?;
    let t = numbers(time, ':', 3)?;
    let (hour, minute, second) = (t[0], t[1], t.get(2).copied().unwrap_or(0));
    let valid = (1..=12).contains(&d[1])
        && (1..=31).contains(&d[2])
        && hour < 24
        && minute < 60
        && second < 61;
    valid.then(|| {
        format!(
            "{:04}-{:02}-{:02}T{hour:02}:{minute:02}:{second:02}",
            d[0], d[1], d[2]
        )
    })
}

#[cfg(test)]
mod tests {
    use super::fits_date;

    #[test]
    fn release_dates_become_fits_dates() {
        assert_eq!(
            fits_date("2014-10-24T14:57Z").as_deref(),
            Some("2014-10-24T14:57:00")
        );
        assert_eq!(
            fits_date("2014-10-24T14:57:09").as_deref(),
            Some("2014-10-24T14:57:09")
        );
        assert_eq!(
            fits_date("2014-10-24").as_deref(),
            Some("2014-10-24T00:00:00")
        );
        for bad in [
            "2014-13-01T00:00Z",
            "yesterday",
            "2014-10-24T25:00Z",
            "2014-10",
        ] {
            assert_eq!(fits_date(bad), None, "{bad}");
        }
    }
}
