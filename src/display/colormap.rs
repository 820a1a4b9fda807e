//! Colormaps by their matplotlib names, taken from the colorous crate (the d3 and ColorBrewer
//! maps; its viridis, magma, inferno and plasma are matplotlib's own tables, its ColorBrewer
//! maps are interpolated by B-splines where matplotlib interpolates linearly, and its cividis is
//! a polynomial fit); `gray` and `hot` are matplotlib's formulas, and `coolwarm` Moreland's.

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// A colormap: one of matplotlib's names, optionally reversed (`viridis_r`).
///
/// ```
/// use hipscut::Colormap;
/// let map: Colormap = "Viridis_r".parse()?;
/// assert_eq!(map.to_string(), "viridis_r");
/// assert_eq!(map.rgb(1.0), [68, 1, 84]); // viridis at 0, reversed
/// # Ok::<(), hipscut::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Colormap {
    map: Map,
    reversed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Map {
    Gray,
    Hot,
    Coolwarm,
    Gradient(usize),
}

/// The colorous gradients, under matplotlib's names. d3's PuOr runs the other way from
/// matplotlib's, so it is read reversed (see `gradient_at`). d3's turbo is a polynomial far
/// from matplotlib's table, so it is left out.
const GRADIENTS: [(&str, colorous::Gradient); 33] = [
    ("Greys", colorous::GREYS),
    ("viridis", colorous::VIRIDIS),
    ("magma", colorous::MAGMA),
    ("inferno", colorous::INFERNO),
    ("plasma", colorous::PLASMA),
    ("cividis", colorous::CIVIDIS),
    ("cubehelix", colorous::CUBEHELIX),
    ("Blues", colorous::BLUES),
    ("Greens", colorous::GREENS),
    ("Oranges", colorous::ORANGES),
    ("Purples", colorous::PURPLES),
    ("Reds", colorous::REDS),
    ("BuGn", colorous::BLUE_GREEN),
    ("BuPu", colorous::BLUE_PURPLE),
    ("GnBu", colorous::GREEN_BLUE),
    ("OrRd", colorous::ORANGE_RED),
    ("PuBuGn", colorous::PURPLE_BLUE_GREEN),
    ("PuBu", colorous::PURPLE_BLUE),
    ("PuRd", colorous::PURPLE_RED),
    ("RdPu", colorous::RED_PURPLE),
    ("YlGnBu", colorous::YELLOW_GREEN_BLUE),
    ("YlGn", colorous::YELLOW_GREEN),
    ("YlOrBr", colorous::YELLOW_ORANGE_BROWN),
    ("YlOrRd", colorous::YELLOW_ORANGE_RED),
    ("BrBG", colorous::BROWN_GREEN),
    ("PRGn", colorous::PURPLE_GREEN),
    ("PiYG", colorous::PINK_GREEN),
    ("PuOr", colorous::PURPLE_ORANGE),
    ("RdBu", colorous::RED_BLUE),
    ("RdGy", colorous::RED_GREY),
    ("RdYlBu", colorous::RED_YELLOW_BLUE),
    ("RdYlGn", colorous::RED_YELLOW_GREEN),
    ("Spectral", colorous::SPECTRAL),
];

impl Colormap {
    /// hips2fits's default: `Greys_r`, black to white.
    pub const GREYS_R: Colormap = Colormap {
        map: Map::Gradient(0),
        reversed: true,
    };
    /// matplotlib's `gray`: the level itself, black to white.
    pub const GRAY: Colormap = Colormap {
        map: Map::Gray,
        reversed: false,
    };

    /// Every name accepted (each also with `_r`).
    pub fn names() -> Vec<&'static str> {
        let mut names = vec!["gray", "hot", "coolwarm"];
        names.extend(GRADIENTS.iter().map(|(name, _)| *name));
        names
    }

    fn name(self) -> &'static str {
        match self.map {
            Map::Gray => "gray",
            Map::Hot => "hot",
            Map::Coolwarm => "coolwarm",
            Map::Gradient(k) => GRADIENTS.get(k).map_or("gray", |(name, _)| name),
        }
    }

    /// The colour at `t` in [0, 1].
    pub fn rgb(self, t: f64) -> [u8; 3] {
        let t = if self.reversed { 1.0 - t } else { t }.clamp(0.0, 1.0);
        let level = |x: f64| (x.clamp(0.0, 1.0) * 255.0).round() as u8;
        match self.map {
            Map::Gray => [level(t); 3],
            // matplotlib's `hot`: red (from 0.0416), then green, then blue rise in turn.
            Map::Hot => [
                level(0.0416 + (1.0 - 0.0416) * t / 0.365079),
                level((t - 0.365079) / (0.746032 - 0.365079)),
                level((t - 0.746032) / (1.0 - 0.746032)),
            ],
            Map::Coolwarm => super::coolwarm::coolwarm(t),
            Map::Gradient(k) => match GRADIENTS.get(k) {
                Some(("PuOr", gradient)) => gradient.eval_continuous(1.0 - t).into_array(),
                Some((_, gradient)) => gradient.eval_continuous(t).into_array(),
                None => [level(t); 3],
            },
        }
    }

    /// The 256 colours of display levels 0 to 255, as matplotlib's 256-entry tables hold
    /// them (entry `i` is the colour at `i / 255`).
    pub(crate) fn table(self) -> Vec<[u8; 3]> {
        (0..256).map(|i| self.rgb(f64::from(i) / 255.0)).collect()
    }

    /// Whether every colour is a grey (so an image in it is written with one channel).
    pub(crate) fn is_grey(self) -> bool {
        all_grey(&self.table())
    }
}

/// Whether every colour of a table is a grey.
pub(crate) fn all_grey(table: &[[u8; 3]]) -> bool {
    table.iter().all(|[r, g, b]| r == g && g == b)
}

impl fmt::Display for Colormap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        if self.reversed {
            f.write_str("_r")?;
        }
        Ok(())
    }
}

impl FromStr for Colormap {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let trimmed = s.trim();
        let (base, reversed) = match trimmed.strip_suffix("_r") {
            Some(base) => (base, true),
            None => (trimmed, false),
        };
        let base = base.to_ascii_lowercase();
        let map = match base.as_str() {
            "gray" | "grey" => Some(Map::Gray),
            "hot" => Some(Map::Hot),
            "coolwarm" => Some(Map::Coolwarm),
            _ => GRADIENTS
                .iter()
                .position(|(name, _)| name.eq_ignore_ascii_case(&base))
                .map(Map::Gradient),
        };
        map.map(|map| Colormap { map, reversed }).ok_or_else(|| {
            Error::invalid(format!(
                "unknown colormap `{s}` (use {}, each also reversed with _r)",
                Colormap::names().join(", ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_reverse() {
        for name in Colormap::names() {
            for name in [name.to_string(), format!("{name}_r")] {
                let map: Colormap = name.parse().unwrap();
                assert_eq!(map.to_string(), name);
            }
        }
        let (greys, greys_r) = ("Greys".parse::<Colormap>().unwrap(), Colormap::GREYS_R);
        assert_eq!(greys.rgb(0.0), [255; 3]);
        assert_eq!(greys_r.rgb(0.0), [0; 3]);
        assert!(greys_r.is_grey() && !"viridis".parse::<Colormap>().unwrap().is_grey());
        assert!("jet".parse::<Colormap>().is_err());
    }
}
