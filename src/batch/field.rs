//! A row of a field list made into a render: its columns, or the command line's defaults for
//! the columns it lacks.

use super::rows::Row;
use crate::composite::Sources;
use crate::coordinates::{parse_latitude, parse_longitude};
use crate::display::{Colormap, Cuts, Display, Stretch};
use crate::encode::OutputFormat;
use crate::geometry::{Frame, Projection};
use crate::paint::Painter;
use crate::request::{RenderRequest, View};
use sha2::{Digest, Sha256};
use std::str::FromStr;

/// The columns a field list may have, each with the names it is recognised by (TOPCAT's and
/// astropy's for positions). Other columns are ignored.
pub const COLUMNS: &[(&str, &[&str])] = &[
    ("name", &["name", "id", "main_id", "object"]),
    (
        "lon",
        &[
            "lon", "ra", "ra_deg", "raj2000", "_raj2000", "ra_icrs", "glon",
        ],
    ),
    (
        "lat",
        &[
            "lat", "dec", "dec_deg", "dej2000", "_dej2000", "de_icrs", "glat",
        ],
    ),
    ("target", &["target"]),
    ("frame", &["frame", "coordsys"]),
    ("fov", &["fov"]),
    ("width", &["width"]),
    ("height", &["height"]),
    ("projection", &["projection"]),
    ("rotation", &["rotation", "rotation_angle"]),
    ("survey", &["survey", "hips"]),
    ("rgb", &["rgb"]),
    ("format", &["format"]),
    ("stretch", &["stretch"]),
    ("min_cut", &["min_cut"]),
    ("max_cut", &["max_cut"]),
    ("cmap", &["cmap"]),
    ("order", &["order"]),
    ("painter", &["painter"]),
];

/// One field to render.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    /// The row's line in the list.
    pub line: u64,
    /// The output's name, sanitised.
    pub name: String,
    pub sources: Sources,
    pub request: RenderRequest,
    /// A name to find, when the row gives no position.
    pub target: Option<String>,
    pub format: OutputFormat,
    /// The centre, for ordering fields by sky position.
    pub centre: Option<(f64, f64)>,
    /// A digest of the field's parameters: a changed row is rendered again.
    pub key: String,
}

/// The merged value of column `column`: the row's, else the defaults'.
fn value<'a>(row: &'a Row, defaults: &'a Row, column: &str) -> Option<&'a str> {
    let names = COLUMNS
        .iter()
        .find(|(c, _)| *c == column)
        .map_or(&[][..], |(_, names)| *names);
    row.get(names).or_else(|| defaults.get(names))
}

fn parsed<T: FromStr>(row: &Row, defaults: &Row, column: &str) -> Result<Option<T>, String>
where
    T::Err: std::fmt::Display,
{
    value(row, defaults, column)
        .map(|v| v.parse::<T>().map_err(|e| format!("{column} `{v}`: {e}")))
        .transpose()
}

/// The field of `row`, numbered `index` among the rows.
pub(crate) fn field_of(row: &Row, defaults: &Row, index: u64) -> Result<Field, String> {
    let name = name_of(row, defaults, index);
    let frame: Frame = parsed(row, defaults, "frame")?.unwrap_or_default();
    let centre = match (value(row, defaults, "lon"), value(row, defaults, "lat")) {
        (Some(lon), Some(lat)) => Some((
            parse_longitude(lon, frame).map_err(|e| e.to_string())?,
            parse_latitude(lat).map_err(|e| e.to_string())?,
        )),
        (None, None) => None,
        _ => return Err("give both the longitude and the latitude, or neither".into()),
    };
    let target = value(row, defaults, "target").map(str::to_string);
    let mut view = View::default().frame(frame);
    view.centre = centre;
    view.fov = parsed(row, defaults, "fov")?;
    view.width = parsed(row, defaults, "width")?;
    view.height = parsed(row, defaults, "height")?;
    view.projection = parsed::<Projection>(row, defaults, "projection")?;
    view.rotation = parsed(row, defaults, "rotation")?.unwrap_or(0.0);
    let display = Display {
        stretch: parsed::<Stretch>(row, defaults, "stretch")?.unwrap_or_default(),
        min_cut: parsed::<Cuts>(row, defaults, "min_cut")?.unwrap_or_default(),
        max_cut: parsed::<Cuts>(row, defaults, "max_cut")?.unwrap_or_default(),
        colormap: parsed::<Colormap>(row, defaults, "cmap")?,
        ..Display::default()
    };
    let mut request = RenderRequest::new(view).display(display);
    request.order = parsed(row, defaults, "order")?;
    request.painter = parsed::<Painter>(row, defaults, "painter")?.unwrap_or_default();
    let format = parsed::<OutputFormat>(row, defaults, "format")?.unwrap_or(OutputFormat::Png);
    request
        .display
        .check_for(format)
        .map_err(|e| e.to_string())?;
    request.for_picture = format != OutputFormat::Fits;
    let sources = match value(row, defaults, "rgb") {
        Some(list) => Sources::rgb(list).map_err(|e| e.to_string())?,
        None => Sources::One(value(row, defaults, "survey").map(str::to_string)),
    };
    Ok(Field {
        line: row.line,
        name,
        sources,
        request,
        target,
        format,
        centre,
        key: key_of(row, defaults),
    })
}

/// The output name of row `index`: its `name`, sanitised, else `field-INDEX`.
pub(crate) fn name_of(row: &Row, defaults: &Row, index: u64) -> String {
    sanitise(value(row, defaults, "name").unwrap_or("")).unwrap_or_else(|| format!("field-{index}"))
}

/// A digest of every recognised column's merged value.
fn key_of(row: &Row, defaults: &Row) -> String {
    let mut hasher = Sha256::new();
    for (column, _) in COLUMNS {
        hasher.update(column.as_bytes());
        hasher.update([0]);
        hasher.update(value(row, defaults, column).unwrap_or("").as_bytes());
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A name fit for a file: letters, digits, `.`, `_`, `+` and `-` kept, the rest `_`, no
/// leading dot, at most 100 characters; `None` when nothing is left.
pub(crate) fn sanitise(name: &str) -> Option<String> {
    let clean: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let clean = clean.trim_start_matches('.').to_string();
    (!clean.is_empty() && clean.chars().any(|c| c.is_ascii_alphanumeric())).then_some(clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, &str)]) -> Row {
        Row {
            line: 7,
            values: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn columns_defaults_and_catalogue_names() {
        let defaults = row(&[("fov", "2"), ("format", "fits"), ("survey", "DIR")]);
        let sgr = row(&[("ra", "17:45:40"), ("dec", "-29:00:28"), ("name", "Sgr A*")]);
        let f = field_of(&sgr, &defaults, 3).unwrap();
        assert_eq!(f.name, "Sgr_A_");
        assert_eq!(f.format, OutputFormat::Fits);
        assert_eq!(f.sources, Sources::One(Some("DIR".into())));
        let (lon, lat) = f.centre.unwrap();
        assert!((lon - 266.4166).abs() < 1e-3 && (lat + 29.0077).abs() < 1e-3);
        let g = field_of(&row(&[("fov", "3")]), &defaults, 4).unwrap();
        assert_eq!(g.name, "field-4");
        assert_ne!(f.key, g.key, "different parameters, different keys");
        assert_eq!(
            f.key,
            field_of(&sgr, &defaults, 9).unwrap().key,
            "the key is stable"
        );
    }

    #[test]
    fn bad_values_name_their_column() {
        let defaults = Row::default();
        for (pairs, needle) in [
            (vec![("ra", "400"), ("dec", "0")], "longitude"),
            (vec![("ra", "10")], "both"),
            (vec![("fov", "wide")], "fov"),
            (vec![("cmap", "jet")], "cmap"),
            (vec![("format", "gif")], "format"),
        ] {
            let err = field_of(&row(&pairs), &defaults, 0).unwrap_err();
            assert!(err.contains(needle), "{err}");
        }
        assert_eq!(
            sanitise("../../etc/passwd").as_deref(),
            Some("_.._etc_passwd")
        );
        assert_eq!(sanitise("..."), None);
    }
}
