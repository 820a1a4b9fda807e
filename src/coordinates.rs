//! Coordinates as people write them: decimal degrees, or sexagesimal (`17:45:40.04`,
//! `17h45m40s`, `-29d00m28s`, `-29°00′28″`, `17 45 40`).

use crate::error::{Error, Result};
use crate::geometry::Frame;

/// A longitude in degrees, in [0, 360).
///
/// Decimal numbers are degrees. Sexagesimal forms are hours when written with `h`, or with
/// colons or spaces in the ICRS frame (as right ascension is written); degrees when written
/// with `d` or `°`, or with colons or spaces in the galactic and ecliptic frames.
///
/// ```
/// use hipscut::{parse_longitude, Frame};
/// assert!((parse_longitude("17:45:40.04", Frame::Icrs)? - 266.41683).abs() < 1e-5);
/// assert!((parse_longitude("17h45m40.04s", Frame::Galactic)? - 266.41683).abs() < 1e-5);
/// assert_eq!(parse_longitude("359:30:00", Frame::Galactic)?, 359.5);
/// # Ok::<(), hipscut::Error>(())
/// ```
pub fn parse_longitude(text: &str, frame: Frame) -> Result<f64> {
    let parsed = parse(text, "longitude")?;
    let hours = match parsed.unit {
        Unit::Hours => true,
        Unit::Degrees => false,
        Unit::Unstated => parsed.sexagesimal && frame == Frame::Icrs,
    };
    let limit = if hours { 24.0 } else { 360.0 };
    if parsed.negative || parsed.value > limit {
        return Err(Error::invalid(format!(
            "longitude `{text}` is outside 0–{limit} {}",
            if hours { "hours" } else { "degrees" }
        )));
    }
    let degrees = if hours {
        parsed.value * 15.0
    } else {
        parsed.value
    };
    Ok(degrees.rem_euclid(360.0))
}

/// A latitude in degrees, in [−90, 90]: decimal degrees, or sexagesimal degrees
/// (`-00:30:00` is negative: the sign holds for the whole angle).
///
/// ```
/// use hipscut::parse_latitude;
/// assert_eq!(parse_latitude("-00:30:00")?, -0.5);
/// assert!((parse_latitude("-29d00m28.1s")? + 29.00781).abs() < 1e-5);
/// assert!(parse_latitude("91").is_err());
/// # Ok::<(), hipscut::Error>(())
/// ```
pub fn parse_latitude(text: &str) -> Result<f64> {
    let parsed = parse(text, "latitude")?;
    if parsed.unit == Unit::Hours {
        return Err(Error::invalid(format!(
            "latitude `{text}` is in hours: write degrees (d, °, or colons)"
        )));
    }
    let degrees = if parsed.negative {
        -parsed.value
    } else {
        parsed.value
    };
    if degrees.abs() > 90.0 {
        return Err(Error::invalid(format!("latitude `{text}` is outside ±90°")));
    }
    Ok(degrees)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Hours,
    Degrees,
    Unstated,
}

/// An angle's magnitude in its own unit, its sign, and how it was written.
struct Parsed {
    value: f64,
    negative: bool,
    unit: Unit,
    sexagesimal: bool,
}

/// Parses a decimal or sexagesimal angle of at most three fields.
fn parse(text: &str, what: &str) -> Result<Parsed> {
    let bad = |why: &str| Error::invalid(format!("{what} `{text}` {why}"));
    let t = text.trim();
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let lower = body.to_ascii_lowercase();
    let unit = if lower.contains('h') {
        Unit::Hours
    } else if lower.contains('d') || body.contains('°') {
        Unit::Degrees
    } else {
        Unit::Unstated
    };
    let separators = |c: char| {
        matches!(
            c,
            ':' | ' ' | 'h' | 'd' | 'm' | 's' | '°' | '\'' | '"' | '′' | '″'
        )
    };
    let fields: Vec<&str> = lower.split(separators).filter(|f| !f.is_empty()).collect();
    let sexagesimal = fields.len() > 1 || unit != Unit::Unstated;
    if fields.is_empty() || fields.len() > 3 {
        return Err(bad("is not a number of degrees nor a sexagesimal angle"));
    }
    let mut value = 0.0;
    for (k, field) in fields.iter().enumerate() {
        let x: f64 = field
            .parse()
            .ok()
            .filter(|x: &f64| x.is_finite() && *x >= 0.0)
            .ok_or_else(|| bad("is not a number of degrees nor a sexagesimal angle"))?;
        let last = k + 1 == fields.len();
        if k > 0 && x >= 60.0 {
            return Err(bad("has minutes or seconds of 60 or more"));
        }
        if !last && x.fract() != 0.0 {
            return Err(bad("has a fraction before its last field"));
        }
        value += x / 60f64.powi(k as i32);
    }
    Ok(Parsed {
        value,
        negative,
        unit,
        sexagesimal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_people_write() {
        let gc = 266.0 + 25.0 / 60.0 + 0.6 / 3600.0; // 17h45m40.04s
        for text in ["17:45:40.04", "17 45 40.04", "17h45m40.04s"] {
            let lon = parse_longitude(text, Frame::Icrs).unwrap();
            assert!((lon - gc).abs() < 1e-9, "{text}: {lon}");
        }
        assert_eq!(parse_longitude("266.25", Frame::Icrs).unwrap(), 266.25);
        assert_eq!(parse_longitude("10d30m", Frame::Icrs).unwrap(), 10.5);
        assert_eq!(parse_longitude("10:30", Frame::Galactic).unwrap(), 10.5);
        assert_eq!(parse_longitude("360", Frame::Galactic).unwrap(), 0.0);
        let lat = -(29.0 + 28.1 / 3600.0);
        for text in [
            "-29:00:28.1",
            "-29d00m28.1s",
            "-29°00'28.1\"",
            "-29 00 28.1",
        ] {
            assert!((parse_latitude(text).unwrap() - lat).abs() < 1e-9, "{text}");
        }
        assert_eq!(parse_latitude("-00:30:00").unwrap(), -0.5);
        assert_eq!(parse_latitude("+45").unwrap(), 45.0);
    }

    #[test]
    fn impossible_angles_are_errors() {
        for bad in [
            "", "abc", "12:60:00", "12:30:60", "1:2:3:4", "25h", "-10", "12.5:30", "nan",
        ] {
            assert!(parse_longitude(bad, Frame::Icrs).is_err(), "{bad}");
        }
        for bad in ["90:00:01", "-91", "10h", "--5", "5:-3"] {
            assert!(parse_latitude(bad).is_err(), "{bad}");
        }
    }
}
