//! A rendered image turned into the channels and levels of a PNG or JPEG picture.

use super::{
    all_grey, check_sixteen_bits, percentile, Band, Colormap, Cut, Cuts, Depth, Display, Rgb,
};
use crate::error::{Error, Result};
use crate::raster::{LevelRaster, Raster};
use crate::render::{BandSource, Bands};
use image::ExtendedColorType;
use rayon::prelude::*;
use std::borrow::Cow;

/// Pixels ready for an encoder: `bytes` in the layout `colour` names (16-bit samples native
/// endian, as the image encoders take them).
pub(crate) struct Picture<'a> {
    pub width: u32,
    pub height: u32,
    pub colour: ExtendedColorType,
    pub pixels: Pixels<'a>,
}

/// A picture's pixels.
pub(crate) enum Pixels<'a> {
    /// Its bytes, in its layout (borrowed where a render's own levels are the picture).
    Bytes(Cow<'a, [u8]>),
    /// A render's levels with an alpha channel, transparent where no data: made row by row as
    /// the encoder takes them (a whole copy with alpha would take 4/3 of the levels' memory).
    TransparentLevels(&'a LevelRaster),
}

impl Picture<'_> {
    /// Row `r` of the picture, into `out` (a row's length of bytes).
    pub(crate) fn row(&self, r: usize, out: &mut [u8]) {
        match &self.pixels {
            Pixels::Bytes(bytes) => {
                let len = out.len();
                if let Some(row) = bytes.get(r * len..(r + 1) * len) {
                    out.copy_from_slice(row);
                }
            }
            Pixels::TransparentLevels(levels) => {
                let layout = LevelLayout {
                    jpeg: false,
                    background: Rgb::default(),
                    out_ch: levels.channels,
                    alpha: true,
                };
                level_row(levels, r, &layout, out);
            }
        }
    }
}

/// What the image holds and where it goes.
pub(crate) struct Source<'a> {
    pub image: &'a Raster,
    /// The levels the render painted instead of values (see [`shows_levels`]).
    pub levels: Option<&'a LevelRaster>,
    /// What its channels hold.
    pub bands: Bands,
    /// The survey's `hips_pixel_cut`.
    pub pixel_cut: Option<(f64, f64)>,
    /// JPEG (no transparency) rather than PNG.
    pub jpeg: bool,
}

/// Whether `display` shows images of `bands` as their 8-bit levels, as they are: colour
/// picture tiles whole, or grey ones with the plain display. A render for such a picture may
/// paint levels rather than values ([`LevelRaster`]).
pub(crate) fn shows_levels(bands: Bands, display: &Display) -> bool {
    match bands {
        Bands::Colour => display.band.is_none() && display_cuts_per_image(display),
        Bands::Levels => display.is_plain(),
        _ => false,
    }
}

/// The display's cuts are one for the whole image (three are for composites, an error).
fn display_cuts_per_image(display: &Display) -> bool {
    !matches!(display.min_cut, Cuts::PerBand(_)) && !matches!(display.max_cut, Cuts::PerBand(_))
}

/// The picture of `source` shown with `display`.
pub(crate) fn picture<'a>(source: &Source<'a>, display: &Display) -> Result<Picture<'a>> {
    let image = source.image;
    if let Bands::Composite(bands) = source.bands {
        return composite(source, &bands, display);
    }
    if !display_cuts_per_image(display) {
        return Err(Error::invalid(
            "three cuts (red, green, blue) are for RGB composites",
        ));
    }
    if shows_levels(source.bands, display) {
        let background = display.background;
        return Ok(match source.levels {
            Some(levels) => level_picture(Cow::Borrowed(levels), source.jpeg, background),
            None => level_picture(
                Cow::Owned(LevelRaster::of_values(image)),
                source.jpeg,
                background,
            ),
        });
    }
    if source.levels.is_some() {
        return Err(Error::Internal(
            "a render painted as levels shown otherwise".into(),
        ));
    }
    let (band, as_levels) = match (source.bands, display.band) {
        (Bands::Colour, Some(band)) => (band_of(image, band), true),
        (Bands::Values, _) => (image.clone(), false),
        _ => (image.clone(), true),
    };
    if as_levels && display.is_plain() {
        let levels = LevelRaster::of_values(&band);
        return Ok(level_picture(
            Cow::Owned(levels),
            source.jpeg,
            display.background,
        ));
    }
    single_band(source, &band, display, as_levels)
}

/// An RGB composite: each band through its own cuts and the stretch; a pixel is no data only
/// where every band is.
fn composite(
    source: &Source<'_>,
    bands: &[BandSource; 3],
    display: &Display,
) -> Result<Picture<'static>> {
    let image = source.image;
    let mut scales = Vec::with_capacity(3);
    for (k, band_source) in bands.iter().enumerate() {
        let band = channel(image, k);
        scales.push(cuts_of(
            display,
            k,
            &band,
            band_source.pixel_cut,
            !band_source.values,
        )?);
    }
    let level = |k: usize, v: f32| -> u8 {
        let (lo, hi) = scales.get(k).copied().unwrap_or((0.0, 1.0));
        scaled(display, lo, hi, v).map_or(0, |s| level_of(s) as u8)
    };
    let alpha = !source.jpeg
        && image
            .data
            .chunks_exact(3)
            .any(|px| px.iter().all(|v| v.is_nan()));
    let mut bytes = Vec::with_capacity(image.data.len() / 3 * if alpha { 4 } else { 3 });
    for px in image.data.chunks_exact(3) {
        let empty = px.iter().all(|v| v.is_nan());
        if empty && source.jpeg {
            bytes.extend_from_slice(&display.background.0);
        } else {
            bytes.extend(px.iter().enumerate().map(|(k, &v)| level(k, v)));
        }
        if alpha {
            bytes.push(if empty { 0 } else { 255 });
        }
    }
    Ok(Picture {
        width: image.width as u32,
        height: image.height as u32,
        colour: layout_8(3, alpha),
        pixels: Pixels::Bytes(Cow::Owned(bytes)),
    })
}

/// The low and high cuts of band `k`: the display's, or the defaults of the data (0.5 % and
/// 99.5 % for survey values, 0 and 255 for 8-bit levels).
fn cuts_of(
    display: &Display,
    k: usize,
    band: &Raster,
    pixel_cut: Option<(f64, f64)>,
    as_levels: bool,
) -> Result<(f64, f64)> {
    let (min, max) = if as_levels {
        (Cut::Value(0.0), Cut::Value(255.0))
    } else {
        (Cut::Percentile(0.5), Cut::Percentile(99.5))
    };
    let lo = cut_value(display.min_cut.band(k).unwrap_or(min), band, pixel_cut, 0)?;
    let hi = cut_value(display.max_cut.band(k).unwrap_or(max), band, pixel_cut, 1)?;
    Ok((lo, hi))
}

/// A value between the cuts `lo` and `hi`, stretched and inverted as `display` says, in
/// [0, 1]; `None` for no data.
fn scaled(display: &Display, lo: f64, hi: f64, v: f32) -> Option<f64> {
    if v.is_nan() {
        return None;
    }
    let t = if hi > lo {
        (f64::from(v) - lo) / (hi - lo)
    } else {
        0.5
    };
    let s = display.stretch.apply(t.clamp(0.0, 1.0));
    Some(if display.inverted { 1.0 - s } else { s })
}

/// The 8-bit level of a scaled value: entry `⌊256 s⌋` of a 256-entry table, as matplotlib
/// takes it.
fn level_of(s: f64) -> usize {
    ((s * 256.0) as usize).min(255)
}

/// The 8-bit layout of `channels` (1: grey, else colour), with or without alpha.
fn layout_8(channels: usize, alpha: bool) -> ExtendedColorType {
    match (channels, alpha) {
        (1, false) => ExtendedColorType::L8,
        (1, true) => ExtendedColorType::La8,
        (_, false) => ExtendedColorType::Rgb8,
        (_, true) => ExtendedColorType::Rgba8,
    }
}

/// Channel `c` of an image, as a one-band image.
fn channel(image: &Raster, c: usize) -> Raster {
    Raster {
        width: image.width,
        height: image.height,
        channels: 1,
        data: image
            .data
            .iter()
            .skip(c)
            .step_by(image.channels.max(1))
            .copied()
            .collect(),
    }
}

/// One band of a colour image.
fn band_of(image: &Raster, band: Band) -> Raster {
    let c = match band {
        Band::R => 0,
        Band::G => 1,
        Band::B => 2,
    };
    channel(image, c)
}

/// 8-bit levels as they are (picture tiles): grey or colour, no data transparent in PNG and
/// the background colour in JPEG.
fn level_picture(image: Cow<'_, LevelRaster>, jpeg: bool, background: Rgb) -> Picture<'_> {
    let (ch, width, height) = (image.channels, image.width as u32, image.height as u32);
    let has_no_data = image
        .has_data
        .par_chunks(PARALLEL_CHUNK)
        .any(|part| part.contains(&false));
    let out_ch = if ch == 1 && jpeg && has_no_data && !background.is_grey() {
        3
    } else {
        ch
    };
    let alpha = !jpeg && has_no_data;
    if out_ch == ch && !has_no_data {
        // Every pixel has data and keeps its channels: the levels are the picture (the common
        // case, and a service's PNG and JPEG answers).
        let bytes = match image {
            Cow::Borrowed(levels) => Cow::Borrowed(levels.bytes.as_slice()),
            Cow::Owned(levels) => Cow::Owned(levels.bytes),
        };
        return Picture {
            width,
            height,
            colour: layout_8(ch, false),
            pixels: Pixels::Bytes(bytes),
        };
    }
    let layout = LevelLayout {
        jpeg,
        background,
        out_ch,
        alpha,
    };
    let pixels = match image {
        Cow::Borrowed(levels) if alpha => Pixels::TransparentLevels(levels),
        image => {
            let row_len = image.width * (out_ch + usize::from(alpha));
            let mut bytes = vec![0u8; row_len * image.height];
            // In parallel, row by row, each written in place.
            bytes
                .par_chunks_mut(row_len.max(1))
                .enumerate()
                .for_each(|(r, out)| level_row(&image, r, &layout, out));
            Pixels::Bytes(Cow::Owned(bytes))
        }
    };
    Picture {
        width,
        height,
        colour: layout_8(out_ch, alpha),
        pixels,
    }
}

/// How levels are laid out in a picture: channels out, alpha, and what JPEG shows where no data.
struct LevelLayout {
    jpeg: bool,
    background: Rgb,
    out_ch: usize,
    alpha: bool,
}

/// Row `r` of `image`'s levels laid out as `layout` says, into `out`.
fn level_row(image: &LevelRaster, r: usize, layout: &LevelLayout, out: &mut [u8]) {
    let (ch, w) = (image.channels.max(1), image.width);
    let (Some(levels), Some(has_data)) = (
        image.bytes.get(r * w * ch..(r + 1) * w * ch),
        image.has_data.get(r * w..(r + 1) * w),
    ) else {
        return;
    };
    let stride = layout.out_ch + usize::from(layout.alpha);
    let pixels = out.chunks_exact_mut(stride).zip(levels.chunks_exact(ch));
    for ((o, px), &data) in pixels.zip(has_data) {
        if layout.jpeg && !data {
            o.copy_from_slice(&layout.background.0[..stride]);
            continue;
        }
        match (ch, layout.out_ch) {
            // px is one whole pixel of ch = 1 sample here.
            (1, 3) => o.iter_mut().take(3).for_each(|b| *b = px[0]),
            _ => o.iter_mut().zip(px).for_each(|(b, &v)| *b = v),
        }
        if let (true, Some(a)) = (layout.alpha, o.last_mut()) {
            *a = if data { 255 } else { 0 };
        }
    }
}

/// Samples per parallel task of the conversions to levels.
const PARALLEL_CHUNK: usize = 1 << 16;

/// Single-band data through cuts, stretch and colormap.
fn single_band(
    source: &Source<'_>,
    band: &Raster,
    display: &Display,
    as_levels: bool,
) -> Result<Picture<'static>> {
    let (lo, hi) = cuts_of(display, 0, band, source.pixel_cut, as_levels)?;
    let colormap = display.colormap.unwrap_or(if as_levels {
        Colormap::GRAY
    } else {
        Colormap::GREYS_R
    });
    let scale = |v: f32| scaled(display, lo, hi, v);
    match display.depth {
        Depth::Sixteen => sixteen_bits(source, band, colormap, scale),
        Depth::Eight => Ok(eight_bits(
            source,
            band,
            colormap,
            display.background,
            scale,
        )),
    }
}

/// The value of a cut: itself, a percentile of the band, or the survey's (`end` 0: low).
fn cut_value(cut: Cut, band: &Raster, pixel_cut: Option<(f64, f64)>, end: usize) -> Result<f64> {
    match cut {
        Cut::Value(v) => Ok(v),
        // No finite value at all: any cut will do, every pixel is no data.
        Cut::Percentile(p) => Ok(percentile(&band.data, p).unwrap_or(0.0)),
        Cut::Survey => pixel_cut
            .map(|(lo, hi)| if end == 0 { lo } else { hi })
            .ok_or_else(|| Error::invalid("the survey gives no `hips_pixel_cut` to cut at")),
    }
}

/// 16-bit grey: PNG only, with a grey colormap.
fn sixteen_bits(
    source: &Source<'_>,
    band: &Raster,
    colormap: Colormap,
    scale: impl Fn(f32) -> Option<f64>,
) -> Result<Picture<'static>> {
    check_sixteen_bits(Some(colormap), source.jpeg)?;
    // The grey colormaps run black to white, or white to black when reversed.
    let rising = colormap.rgb(0.0)[0] < colormap.rgb(1.0)[0];
    let alpha = band.data.iter().any(|v| v.is_nan());
    let mut bytes = Vec::with_capacity(band.data.len() * if alpha { 4 } else { 2 });
    for &v in &band.data {
        let s = scale(v);
        let s = s.map(|s| if rising { s } else { 1.0 - s });
        let level = s.map_or(0, |s| (s * 65535.0).round() as u16);
        bytes.extend(level.to_ne_bytes());
        if alpha {
            bytes.extend(if s.is_some() { u16::MAX } else { 0 }.to_ne_bytes());
        }
    }
    Ok(Picture {
        width: band.width as u32,
        height: band.height as u32,
        colour: if alpha {
            ExtendedColorType::La16
        } else {
            ExtendedColorType::L16
        },
        pixels: Pixels::Bytes(Cow::Owned(bytes)),
    })
}

/// 8 bits through the colormap's 256-entry table (level `i` is the colour at `i / 255`, and a
/// scaled value `s` takes entry `⌊256 s⌋`, as matplotlib does).
fn eight_bits(
    source: &Source<'_>,
    band: &Raster,
    colormap: Colormap,
    background: Rgb,
    scale: impl Fn(f32) -> Option<f64>,
) -> Picture<'static> {
    let table = colormap.table();
    let grey = all_grey(&table) && (!source.jpeg || background.is_grey());
    let alpha = !source.jpeg && band.data.iter().any(|v| v.is_nan());
    let ch = if grey { 1 } else { 3 };
    let mut bytes = Vec::with_capacity(band.data.len() * (ch + usize::from(alpha)));
    for &v in &band.data {
        let colour = match scale(v) {
            Some(s) => table.get(level_of(s)).copied().unwrap_or([0; 3]),
            None if source.jpeg => background.0,
            None => [0; 3],
        };
        bytes.extend_from_slice(&colour[..ch]);
        if alpha {
            bytes.push(if v.is_nan() { 0 } else { 255 });
        }
    }
    Picture {
        width: band.width as u32,
        height: band.height as u32,
        colour: layout_8(ch, alpha),
        pixels: Pixels::Bytes(Cow::Owned(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::display::Stretch;
    use crate::raster::byte_level;

    #[test]
    fn byte_levels_round_and_clamp() {
        for (v, level) in [
            (128.0, 128),
            (10.5, 11),
            (10.49, 10),
            (254.5, 255),
            (-3.0, 0),
            (300.0, 255),
            (f32::NAN, 0),
            (f32::INFINITY, 255),
        ] {
            assert_eq!(byte_level(v), level, "{v}");
        }
    }

    /// A one-row survey image holding 0, 1, …, 100 and one no-data pixel.
    fn ramp() -> Raster {
        let mut data: Vec<f32> = (0..=100).map(|v| v as f32).collect();
        data.push(f32::NAN);
        Raster {
            width: data.len(),
            height: 1,
            channels: 1,
            data,
        }
    }

    /// A picture's layout and bytes, read row by row as the encoders take them.
    struct Shown {
        colour: ExtendedColorType,
        bytes: Vec<u8>,
    }

    fn shown(p: &Picture) -> Shown {
        let row_len = p.width as usize * p.colour.bits_per_pixel() as usize / 8;
        let mut bytes = vec![0u8; row_len * p.height as usize];
        for (r, row) in bytes.chunks_exact_mut(row_len).enumerate() {
            p.row(r, row);
        }
        Shown {
            colour: p.colour,
            bytes,
        }
    }

    fn show(display: &Display, jpeg: bool) -> Shown {
        let image = ramp();
        let source = Source {
            image: &image,
            levels: None,
            bands: Bands::Values,
            pixel_cut: Some((20.0, 80.0)),
            jpeg,
        };
        shown(&picture(&source, display).unwrap())
    }

    /// The grey levels of an 8-bit grey-and-alpha picture.
    fn greys(p: &Shown) -> Vec<u8> {
        assert_eq!(p.colour, ExtendedColorType::La8);
        p.bytes.chunks_exact(2).map(|px| px[0]).collect()
    }

    #[test]
    fn cut_ends_map_to_the_ends_of_every_stretch() {
        for stretch in [
            Stretch::Linear,
            Stretch::Sqrt,
            Stretch::Log,
            Stretch::Asinh,
            Stretch::Power,
        ] {
            let display = Display::default()
                .stretch(stretch)
                .cuts(Cut::Value(10.0), Cut::Value(90.0))
                .colormap(Colormap::GRAY);
            let g = greys(&show(&display, false));
            assert!(g[..=10].iter().all(|&l| l == 0), "{stretch}: {g:?}");
            assert!(g[90..=100].iter().all(|&l| l == 255), "{stretch}");
            assert!(
                g[..=100].windows(2).all(|w| w[1] >= w[0]),
                "{stretch} is monotone"
            );
            assert!(g[50] > 0 && g[50] < 255 && g[89] > g[11], "{stretch}");
        }
    }

    #[test]
    fn sixteen_bits_reach_65535_and_no_data_is_transparent() {
        let mut display = Display::default().cuts(Cut::Value(10.0), Cut::Value(90.0));
        display.depth = Depth::Sixteen;
        display.colormap = Some(Colormap::GRAY);
        let p = show(&display, false);
        assert_eq!(p.colour, ExtendedColorType::La16);
        let samples: Vec<u16> = p
            .bytes
            .chunks_exact(2)
            .map(|b| u16::from_ne_bytes([b[0], b[1]]))
            .collect();
        let (levels, alphas): (Vec<u16>, Vec<u16>) =
            samples.chunks_exact(2).map(|s| (s[0], s[1])).unzip();
        assert_eq!((levels[10], levels[50], levels[90]), (0, 32768, 65535));
        assert_eq!((alphas[0], alphas[101]), (65535, 0));
        // Greys_r is grey too, and 16 bits need no JPEG.
        display.colormap = None;
        assert!(show(&display, false).bytes.len() == p.bytes.len());
        let image = ramp();
        let jpeg = Source {
            image: &image,
            levels: None,
            bands: Bands::Values,
            pixel_cut: None,
            jpeg: true,
        };
        assert!(picture(&jpeg, &display).is_err());
    }

    #[test]
    fn defaults_percentiles_survey_cuts_and_inversion() {
        // Survey values: 0.5 % and 99.5 % percentiles, Greys_r.
        let g = greys(&show(&Display::default(), false));
        assert_eq!((g[0], g[100]), (0, 255));
        assert!(g[1] > 0 && g[99] < 255);
        // The survey's cut: 20 and 80.
        let survey = Display::default().cuts(Cut::Survey, Cut::Survey);
        let g = greys(&show(&survey, false));
        assert_eq!((g[20], g[21] > 0, g[79] < 255, g[80]), (0, true, true, 255));
        let mut inverted = survey.colormap(Colormap::GRAY);
        inverted.inverted = true;
        let g = greys(&show(&inverted, false));
        assert_eq!((g[20], g[80]), (255, 0));
    }

    #[test]
    fn jpeg_no_data_takes_the_background() {
        let mut display = Display::default().colormap("viridis".parse().unwrap());
        display.background = Rgb([1, 2, 3]);
        let p = show(&display, true);
        assert_eq!(p.colour, ExtendedColorType::Rgb8);
        assert_eq!(p.bytes[101 * 3..], [1, 2, 3]);
        assert_eq!(p.bytes[..3], Colormap::rgb("viridis".parse().unwrap(), 0.0));
    }
}
