//! Parsing of a HiPS `properties` file into the facts a renderer needs.

use super::cube::CubeAxis;
use crate::error::{Error, Result};
use crate::geometry::Frame;
use crate::tile::TileFormat;
use std::collections::BTreeMap;

/// Legacy key names accepted when the modern key is absent (conventions note).
const ALIASES: &[(&str, &str)] = &[
    ("maxOrder", "hips_order"),
    ("minOrder", "hips_order_min"),
    ("format", "hips_tile_format"),
    ("coordsys", "hips_frame"),
    ("pixelCut", "hips_pixel_cut"),
    ("pixelRange", "hips_data_range"),
    ("label", "obs_title"),
];

/// The key/value records of one `properties` file (or one HiPS-list record), aliases resolved.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawProperties(pub BTreeMap<String, String>);

impl RawProperties {
    /// Parses `key = value` lines; `#` comments and blank lines are skipped, a value may hold `=`.
    /// A key given twice keeps its last value. Legacy aliases fill in missing modern keys.
    pub(crate) fn parse(text: &str) -> Self {
        let mut map = BTreeMap::new();
        for line in text.lines() {
            let line = line.trim_start_matches('\u{feff}').trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let key = key.trim();
            if key.is_empty() {
                continue;
            }
            map.insert(key.to_string(), value.trim().to_string());
        }
        for (legacy, modern) in ALIASES {
            if !map.contains_key(*modern) {
                if let Some(v) = map.get(*legacy).cloned() {
                    map.insert(modern.to_string(), v);
                }
            }
        }
        RawProperties(map)
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The service URLs (`hips_service_url`, then `hips_service_url_1`, `_2`…), in that order,
    /// without trailing slashes.
    pub(crate) fn service_urls(&self) -> Vec<String> {
        let mut urls: Vec<(u32, String)> = self
            .0
            .iter()
            .filter_map(|(k, v)| {
                let rank = if k == "hips_service_url" {
                    0
                } else {
                    k.strip_prefix("hips_service_url_")?.parse::<u32>().ok()? + 1
                };
                Some((rank, v.trim().trim_end_matches('/').to_string()))
            })
            .filter(|(_, v)| !v.is_empty())
            .collect();
        urls.sort();
        urls.into_iter().map(|(_, v)| v).collect()
    }

    pub(crate) fn parse_num<T: std::str::FromStr>(&self, key: &str) -> Result<Option<T>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .parse::<T>()
                .map(Some)
                .map_err(|_| Error::Properties(format!("`{key}` = `{v}` is not a valid number"))),
        }
    }
}

/// A survey's description: what tiles exist, how they look, and whom to credit.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Properties {
    /// `creator_did` (or `obs_id`): the survey's IVOA identifier.
    pub id: Option<String>,
    /// `obs_title`.
    pub title: Option<String>,
    /// `hips_order`: the deepest order.
    pub order_max: u8,
    /// `hips_order_min` (0 when absent).
    pub order_min: u8,
    /// `hips_tile_width`, pixels (512 when absent).
    pub tile_width: u32,
    /// The tile formats offered, in the survey's order of preference.
    pub formats: Vec<TileFormat>,
    /// `hips_frame`.
    pub frame: Frame,
    /// Whether the tiles are in colour (`dataproduct_subtype = color`).
    pub colour: bool,
    /// `hips_initial_ra`, degrees.
    pub initial_ra: Option<f64>,
    /// `hips_initial_dec`, degrees.
    pub initial_dec: Option<f64>,
    /// `hips_initial_fov`, degrees.
    pub initial_fov: Option<f64>,
    /// `hips_service_url_N`: mirrors of the survey.
    pub mirrors: Vec<String>,
    /// `obs_copyright`, `prov_progenitor` and such: whom to credit.
    pub copyright: Vec<String>,
    /// `hips_pixel_cut`: the survey's display range of values.
    pub pixel_cut: Option<(f64, f64)>,
    /// `hips_release_date`.
    pub release_date: Option<String>,
    /// `hips_pixel_bitpix`: the FITS tiles' BITPIX (8, 16, 32, 64, -32 or -64).
    pub bitpix: Option<i32>,
    /// The third axis of a HiPS cube (`dataproduct_type = cube`).
    pub cube: Option<CubeAxis>,
}

impl Properties {
    /// Parses the text of a `properties` file (`key = value` lines).
    pub fn parse(text: &str) -> Result<Self> {
        Self::from_raw(RawProperties::parse(text))
    }

    pub(crate) fn from_raw(raw: RawProperties) -> Result<Self> {
        let order_max: u8 = raw
            .parse_num("hips_order")?
            .ok_or_else(|| Error::Properties("`hips_order` is missing".into()))?;
        let order_min: u8 = raw.parse_num("hips_order_min")?.unwrap_or(0);
        if order_max > 29 || order_min > order_max {
            return Err(Error::Properties(format!(
                "orders {order_min}..{order_max} are not a valid range (0 ≤ min ≤ max ≤ 29)"
            )));
        }
        let tile_width: u32 = raw.parse_num("hips_tile_width")?.unwrap_or(512);
        if !tile_width.is_power_of_two() || !(8..=4096).contains(&tile_width) {
            return Err(Error::Properties(format!(
                "`hips_tile_width` = {tile_width} is not a power of two between 8 and 4096"
            )));
        }
        // Tile pixels lie at HEALPix depth order + log2(width), which stops at 29.
        let depth_max = 29 - tile_width.trailing_zeros() as u8;
        if order_max > depth_max {
            return Err(Error::Properties(format!(
                "`hips_order` = {order_max} with {tile_width}-px tiles puts tile pixels below \
                 HEALPix's deepest level (29): the order may be at most {depth_max}"
            )));
        }
        let format_list = raw.get("hips_tile_format").unwrap_or("jpeg");
        let mut formats = Vec::new();
        for name in format_list.split([' ', ',']).filter(|s| !s.is_empty()) {
            // Unknown formats are listed by some surveys; skip them but keep the rest.
            if let Ok(f) = name.parse::<TileFormat>() {
                if !formats.contains(&f) {
                    formats.push(f);
                }
            }
        }
        if formats.is_empty() {
            return Err(Error::Properties(format!(
                "no supported tile format in `{format_list}` (supported: jpeg png webp fits)"
            )));
        }
        let frame = match raw.get("hips_frame") {
            None => Frame::Icrs,
            Some(name) => name.parse::<Frame>().map_err(|_| {
                Error::Properties(format!("`hips_frame` = `{name}` is not a known frame"))
            })?,
        };
        let is_true = |k: &str| raw.get(k).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let colour = raw
            .get("dataproduct_subtype")
            .is_some_and(|v| v.split_whitespace().any(|w| w == "color" || w == "colour"))
            || is_true("isColored")
            || is_true("isColor");
        let copyright = ["obs_copyright", "hips_copyright"]
            .iter()
            .filter_map(|k| raw.get(k).map(str::to_string))
            .collect();
        let pixel_cut = raw.get("hips_pixel_cut").and_then(|v| {
            let mut it = v.split_whitespace().filter_map(|s| s.parse::<f64>().ok());
            Some((it.next()?, it.next()?))
        });
        let cube = CubeAxis::from_raw(&raw)?;
        Ok(Properties {
            cube,
            id: raw.get("creator_did").map(str::to_string),
            title: raw.get("obs_title").map(str::to_string),
            order_max,
            order_min,
            tile_width,
            formats,
            frame,
            colour,
            initial_ra: finite(raw.parse_num("hips_initial_ra")?),
            initial_dec: finite(raw.parse_num("hips_initial_dec")?),
            initial_fov: finite(raw.parse_num("hips_initial_fov")?),
            mirrors: raw.service_urls(),
            copyright,
            pixel_cut,
            release_date: raw.get("hips_release_date").map(str::to_string),
            // Only an estimate uses it: a bad value is left out, not an error.
            bitpix: raw
                .parse_num::<i32>("hips_pixel_bitpix")
                .ok()
                .flatten()
                .filter(|b| [8, 16, 32, 64, -32, -64].contains(b)),
        })
    }

    /// log2 of the tile width: tile pixels lie at HEALPix depth `order + tile_depth()`.
    pub fn tile_depth(&self) -> u8 {
        self.tile_width.trailing_zeros() as u8
    }
}

/// A number that is finite (`NaN` and `inf` parse as numbers, but no view is made of them).
fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modern_keys_win_over_legacy_aliases() {
        let p = Properties::parse(
            "# comment\n\nhips_order = 3\nmaxOrder = 9\nformat = png\nobs_title = a = b\n",
        )
        .unwrap();
        assert_eq!(p.order_max, 3);
        assert_eq!(p.formats, vec![TileFormat::Png]);
        assert_eq!(p.title.as_deref(), Some("a = b"));
        assert_eq!(p.tile_width, 512);
    }

    #[test]
    fn legacy_only_survey_parses() {
        let p = Properties::parse("maxOrder=5\nminOrder=2\ncoordsys=G\nisColored=true\nlabel=Old")
            .unwrap();
        assert_eq!((p.order_min, p.order_max), (2, 5));
        assert_eq!(p.frame, Frame::Galactic);
        assert!(p.colour);
        assert_eq!(p.title.as_deref(), Some("Old"));
    }

    #[test]
    fn mirrors_are_ordered_and_bad_values_rejected() {
        let p = Properties::parse(
            "hips_order=1\nhips_service_url_2=c\nhips_service_url=a\nhips_service_url_1=b",
        )
        .unwrap();
        assert_eq!(p.mirrors, vec!["a", "b", "c"]);
        assert!(Properties::parse("hips_order=x").is_err());
        assert!(Properties::parse("hips_tile_format=jpeg").is_err());
        assert!(Properties::parse("hips_order=3\nhips_tile_width=500").is_err());
        assert!(Properties::parse("hips_order=3\nhips_frame=mars").is_err());
        let deep = Properties::parse("hips_order=25\nhips_tile_width=512").unwrap_err();
        assert!(deep.to_string().contains("at most 20"), "{deep}");
        let p = Properties::parse("hips_order=3\nhips_initial_fov=NaN").unwrap();
        assert_eq!(p.initial_fov, None);
    }
}
