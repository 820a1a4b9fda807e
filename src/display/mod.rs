//! How rendered values become a picture: cuts, stretch, colormap, band, depth and background,
//! with hips2fits's names and defaults. FITS outputs are never displayed: they keep the values.

mod colormap;
mod coolwarm;
mod picture;

use colormap::all_grey;
pub use colormap::Colormap;
pub(crate) use picture::{picture, shows_levels, Picture, Pixels, Source};

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// How values are shown in PNG and JPEG outputs. `None` fields take the defaults for the data:
/// survey values (FITS tiles) are cut at their 0.5 % and 99.5 % percentiles and shown in
/// `Greys_r`, as hips2fits does; the 8-bit levels of picture tiles are shown as they are.
/// Colour surveys pass through unchanged unless a `band` is picked.
///
/// ```
/// use hipscut::{Colormap, Cut, Cuts, Display, Stretch};
/// let display = Display::default()
///     .stretch(Stretch::Asinh)
///     .cuts("1%".parse()?, "99%".parse()?)
///     .colormap(Colormap::GRAY);
/// assert_eq!(display.min_cut, Cuts::All(Cut::Percentile(1.0)));
/// // A composite takes one cut per band.
/// assert_eq!("1%,2%,10".parse::<Cuts>()?.band(2), Some(Cut::Value(10.0)));
/// # Ok::<(), hipscut::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Display {
    /// The stretch between the cuts (linear by default).
    pub stretch: Stretch,
    /// The value shown black (the lowest colour).
    pub min_cut: Cuts,
    /// The value shown white (the highest colour).
    pub max_cut: Cuts,
    /// The colormap of single-band data.
    pub colormap: Option<Colormap>,
    /// Whether the scale runs from high to low.
    pub inverted: bool,
    /// One band of a colour survey, shown as single-band data.
    pub band: Option<Band>,
    /// Bits per channel of PNG outputs of single-band data.
    pub depth: Depth,
    /// The colour of no-data pixels in JPEG outputs (PNG makes them transparent).
    pub background: Rgb,
}

impl Display {
    /// Sets the stretch.
    pub fn stretch(mut self, stretch: Stretch) -> Self {
        self.stretch = stretch;
        self
    }

    /// Sets both cuts.
    pub fn cuts(mut self, min: Cut, max: Cut) -> Self {
        self.min_cut = Cuts::All(min);
        self.max_cut = Cuts::All(max);
        self
    }

    /// Makes grey PNG pictures of 16 bits.
    pub fn sixteen_bits(mut self) -> Self {
        self.depth = Depth::Sixteen;
        self
    }

    /// Sets the colormap.
    pub fn colormap(mut self, colormap: Colormap) -> Self {
        self.colormap = Some(colormap);
        self
    }

    /// Checks that these options can make a picture in `format`, before any work: 16 bits are
    /// grey PNG only.
    pub fn check_for(&self, format: crate::OutputFormat) -> Result<()> {
        if self.depth == Depth::Sixteen {
            check_sixteen_bits(self.colormap, format == crate::OutputFormat::Jpeg)?;
        }
        Ok(())
    }

    /// Whether any option differs from the defaults that show picture tiles as they are.
    fn is_plain(&self) -> bool {
        self.stretch == Stretch::Linear
            && self.min_cut == Cuts::Default
            && self.max_cut == Cuts::Default
            && self.colormap.is_none()
            && !self.inverted
            && self.depth == Depth::Eight
    }
}

/// Refuses 16 bits where they cannot be: in JPEG, or through a colormap that is not grey.
fn check_sixteen_bits(colormap: Option<Colormap>, jpeg: bool) -> Result<()> {
    if jpeg {
        return Err(Error::invalid(
            "JPEG has 8 bits only: write a PNG for 16 bits",
        ));
    }
    if let Some(map) = colormap.filter(|m| !m.is_grey()) {
        return Err(Error::invalid(format!(
            "16-bit pictures are grey: colormap {map} needs 8 bits"
        )));
    }
    Ok(())
}

/// A stretch of the values between the cuts, scaled to [0, 1] (astropy.visualization's
/// definitions, as hips2fits uses them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stretch {
    /// `x`.
    #[default]
    Linear,
    /// `√x`.
    Sqrt,
    /// `log(1000 x + 1) / log(1001)`.
    Log,
    /// `asinh(10 x) / asinh(10)`.
    Asinh,
    /// `x²`.
    Power,
}

crate::names::named_choices!(Stretch, "stretch", {
    Linear => "linear",
    Sqrt => "sqrt",
    Log => "log",
    Asinh => "asinh",
    Power => "power" | "pow2",
});

impl Stretch {
    /// The stretched value of `x` in [0, 1].
    pub fn apply(self, x: f64) -> f64 {
        match self {
            Stretch::Linear => x,
            Stretch::Sqrt => x.sqrt(),
            Stretch::Log => (1000.0 * x).ln_1p() / 1001f64.ln(),
            Stretch::Asinh => (10.0 * x).asinh() / 10f64.asinh(),
            Stretch::Power => x * x,
        }
    }
}

/// A cut: a value, a percentile of the image's values (no-data pixels left out), or the
/// survey's own `hips_pixel_cut`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cut {
    /// A value, in the survey's units.
    Value(f64),
    /// A percentile, 0 to 100.
    Percentile(f64),
    /// The survey's `hips_pixel_cut` (its low end for the minimum, high end for the maximum).
    Survey,
}

impl FromStr for Cut {
    type Err = Error;

    /// `12.5` is a value, `0.5%` a percentile, `survey` the survey's cut.
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim();
        let bad = || {
            Error::invalid(format!(
                "cut `{s}` is not a number, a percentile such as 0.5%, or `survey`"
            ))
        };
        if t.eq_ignore_ascii_case("survey") {
            return Ok(Cut::Survey);
        }
        if let Some(p) = t.strip_suffix('%') {
            let p: f64 = p.trim().parse().map_err(|_| bad())?;
            if !(0.0..=100.0).contains(&p) {
                return Err(Error::invalid(format!(
                    "percentile {p}% is outside 0–100 %"
                )));
            }
            return Ok(Cut::Percentile(p));
        }
        match t.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Cut::Value(v)),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Cut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cut::Value(v) => write!(f, "{v}"),
            Cut::Percentile(p) => write!(f, "{p}%"),
            Cut::Survey => f.write_str("survey"),
        }
    }
}

/// The cuts of every band: the default, one for all, or one per band of an RGB composite
/// (`1%,2%,10` parses as three).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Cuts {
    /// The default for the data.
    #[default]
    Default,
    /// One cut for every band.
    All(Cut),
    /// The red, green and blue bands' cuts.
    PerBand([Cut; 3]),
}

impl Cuts {
    /// The cut of band `k` (0 to 2), `None` for the default.
    pub fn band(self, k: usize) -> Option<Cut> {
        match self {
            Cuts::Default => None,
            Cuts::All(cut) => Some(cut),
            Cuts::PerBand(cuts) => cuts.get(k).copied(),
        }
    }
}

impl FromStr for Cuts {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let cuts: Vec<Cut> = s.split(',').map(str::parse).collect::<Result<_>>()?;
        match cuts[..] {
            [one] => Ok(Cuts::All(one)),
            [r, g, b] => Ok(Cuts::PerBand([r, g, b])),
            _ => Err(Error::invalid(format!(
                "cuts `{s}`: give one cut, or three (red, green, blue) separated by commas"
            ))),
        }
    }
}

/// A band of a colour survey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    /// Red.
    R,
    /// Green.
    G,
    /// Blue.
    B,
}

crate::names::named_choices!(Band, "band", {
    R => "r" | "red",
    G => "g" | "green",
    B => "b" | "blue",
});

/// Bits per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Depth {
    /// 8 bits: every format.
    #[default]
    Eight,
    /// 16 bits: PNG of single-band data, in grey.
    Sixteen,
}

crate::names::named_choices!(Depth, "depth", {
    Eight => "8",
    Sixteen => "16",
});

/// An 8-bit colour: `black`, `white`, `grey`/`gray`, or `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rgb(pub [u8; 3]);

impl FromStr for Rgb {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim().to_ascii_lowercase();
        let named = match t.as_str() {
            "black" => Some([0, 0, 0]),
            "white" => Some([255, 255, 255]),
            "grey" | "gray" => Some([128, 128, 128]),
            _ => None,
        };
        if let Some(rgb) = named {
            return Ok(Rgb(rgb));
        }
        let hex = t.strip_prefix('#').filter(|h| h.len() == 6 && h.is_ascii());
        let channel = |k: usize| hex.and_then(|h| u8::from_str_radix(h.get(k..k + 2)?, 16).ok());
        match (channel(0), channel(2), channel(4)) {
            (Some(r), Some(g), Some(b)) => Ok(Rgb([r, g, b])),
            _ => Err(Error::invalid(format!(
                "colour `{s}` is not black, white, grey or #rrggbb"
            ))),
        }
    }
}

impl Rgb {
    /// Whether the colour is a grey (red, green and blue alike).
    pub(crate) fn is_grey(self) -> bool {
        let [r, g, b] = self.0;
        r == g && g == b
    }
}

impl fmt::Display for Rgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
    }
}

/// The `p`-th percentile (0–100) of the finite values, interpolated between the two nearest
/// ranks as numpy's default does; `None` if no value is finite.
pub(crate) fn percentile(values: &[f32], p: f64) -> Option<f64> {
    let mut finite: Vec<f32> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let last = finite.len().checked_sub(1)?;
    let pos = (p / 100.0).clamp(0.0, 1.0) * last as f64;
    let k = (pos.floor() as usize).min(last);
    let (_, &mut below, above) = finite.select_nth_unstable_by(k, f32::total_cmp);
    let next = above.iter().copied().fold(f32::INFINITY, f32::min);
    let (below, frac) = (f64::from(below), pos - k as f64);
    Some(if next.is_finite() && frac > 0.0 {
        below + (f64::from(next) - below) * frac
    } else {
        below
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stretches_are_monotone_and_keep_the_ends() {
        for s in [
            Stretch::Linear,
            Stretch::Sqrt,
            Stretch::Log,
            Stretch::Asinh,
            Stretch::Power,
        ] {
            assert!(
                s.apply(0.0).abs() < 1e-12 && (s.apply(1.0) - 1.0).abs() < 1e-12,
                "{s}"
            );
            let ys: Vec<f64> = (0..=100).map(|k| s.apply(f64::from(k) / 100.0)).collect();
            assert!(ys.windows(2).all(|w| w[1] > w[0]), "{s} is not increasing");
        }
    }

    #[test]
    fn percentiles_interpolate_and_ignore_no_data() {
        let mut v: Vec<f32> = (0..=100).map(|x| x as f32).collect();
        v.extend([f32::NAN; 50]);
        assert_eq!(percentile(&v, 0.5), Some(0.5));
        assert_eq!(percentile(&v, 99.5), Some(99.5));
        assert_eq!(percentile(&v, 100.0), Some(100.0));
        assert_eq!(percentile(&[3.0, 1.0], 50.0), Some(2.0));
        assert_eq!(percentile(&[f32::NAN], 50.0), None);
    }

    #[test]
    fn cuts_colours_and_choices_parse() {
        assert_eq!("0.5%".parse::<Cut>().unwrap(), Cut::Percentile(0.5));
        assert_eq!(" -12.5 ".parse::<Cut>().unwrap(), Cut::Value(-12.5));
        assert_eq!("Survey".parse::<Cut>().unwrap(), Cut::Survey);
        for bad in ["101%", "x%", "nan", "", "1e999"] {
            assert!(bad.parse::<Cut>().is_err(), "{bad}");
        }
        assert_eq!("#FF8000".parse::<Rgb>().unwrap(), Rgb([255, 128, 0]));
        assert_eq!(Rgb([255, 128, 0]).to_string(), "#ff8000");
        for bad in ["#ff80", "#gg0000", "purple", "#ff800é"] {
            assert!(bad.parse::<Rgb>().is_err(), "{bad}");
        }
        assert_eq!("pow2".parse::<Stretch>().unwrap(), Stretch::Power);
        assert_eq!("16".parse::<Depth>().unwrap(), Depth::Sixteen);
        assert_eq!("Red".parse::<Band>().unwrap(), Band::R);
    }
}
