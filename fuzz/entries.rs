//! What each fuzz target runs on one input. `tests/fuzz_regressions.rs` includes this file
//! too, so every input the fuzzers ever crashed on (kept in `fuzz/regressions/TARGET/`) and
//! the seed corpora run in `cargo test`.
//!
//! The first byte of a tile input picks the tile width, format and channels, so the fuzzers
//! explore small images (fast to decode) and every decoder path. Each entry says whether the
//! input was accepted all the way through (the tests check that every seed is).

use hipscut::internals::{
    decode_allsky, decode_raster, decode_tile, parse_list, sesame_position, Shape,
};
use hipscut::{
    parse_latitude, parse_longitude, Colormap, Coverage, Cuts, Frame, Properties, Rgb, Sources,
    TileFormat, WcsHeader,
};

/// `properties` files and HiPS lists.
pub fn properties(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let listed = !parse_list(&text).is_empty();
    Properties::parse(&text).is_ok() || listed
}

/// FITS tiles, plain or gzipped: header, BITPIX, scaling, BLANK, size checks.
pub fn fits_tile(data: &[u8]) -> bool {
    let Some((&k, bytes)) = data.split_first() else {
        return false;
    };
    let width = 1usize << (k % 8);
    let channels = if k & 0x80 == 0 { 1 } else { 3 };
    decode_raster(
        bytes,
        TileFormat::Fits,
        channels,
        Shape::Tile(width),
        "fuzz",
    )
    .is_ok()
}

/// JPEG, PNG and WebP tiles through the tile decoder.
pub fn picture_tile(data: &[u8]) -> bool {
    let Some((&k, bytes)) = data.split_first() else {
        return false;
    };
    let format = match (k & 1, k & 0x10) {
        (_, 0x10) => TileFormat::Webp,
        (0, _) => TileFormat::Jpeg,
        _ => TileFormat::Png,
    };
    let width = 1usize << ((k >> 1) % 8);
    let channels = if k & 0x80 == 0 { 1 } else { 3 };
    let raster = decode_raster(bytes, format, channels, Shape::Tile(width), "fuzz").is_ok();
    // The painters' path, which keeps opaque pictures' bytes: it must agree on what decodes.
    let tile = decode_tile(bytes, format, channels, width, "fuzz").is_ok();
    assert_eq!(raster, tile, "the two decoding paths disagree");
    tile
}

/// `Moc.fits` coverage maps: read, then asked about a few tiles.
pub fn moc(data: &[u8]) -> bool {
    let Ok(coverage) = Coverage::from_fits(data) else {
        return false;
    };
    let _ = coverage.sky_fraction();
    (0..48).any(|ipix| coverage.touches(hipscut::internals::TileId::new(1, ipix)))
}

/// Allsky files of orders 0 to 3 in every format, decoded and sliced.
pub fn allsky(data: &[u8]) -> bool {
    let Some((&k, bytes)) = data.split_first() else {
        return false;
    };
    let order = k % 4;
    let format = match ((k >> 2) % 3, k & 0x40) {
        (_, 0x40) => TileFormat::Webp,
        (0, _) => TileFormat::Jpeg,
        (1, _) => TileFormat::Png,
        _ => TileFormat::Fits,
    };
    let tile_width = 1usize << (3 + (k >> 4) % 4);
    decode_allsky(bytes, order, format, 1, tile_width, "fuzz").is_ok()
}

/// `--wcs` headers (FITS, text, JSON) turned into a geometry and used.
pub fn wcs_header(data: &[u8]) -> bool {
    let Ok(header) = WcsHeader::parse(data) else {
        return false;
    };
    let mut accepted = false;
    for header in [header.clone(), header.width(16).height(16)] {
        let Ok(g) = header.geometry() else {
            continue;
        };
        accepted = true;
        let _ = g.describe();
        let _ = g.pixel_scale_deg();
        for (c, r) in [(0.0, 0.0), (7.5, 3.0), (15.0, 15.0), (-3.0, 40.0)] {
            if let Some(v) = g.pixel_to_sky(c, r) {
                let _ = g.sky_to_pixel(v);
            }
        }
    }
    accepted
}

/// What users type and servers answer about display and targets: angles, cuts, colormaps,
/// colours, composite lists, and Sesame's XML.
pub fn user_words(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let mut accepted = false;
    for frame in [Frame::Icrs, Frame::Galactic] {
        if let Ok(lon) = parse_longitude(&text, frame) {
            assert!((0.0..360.0).contains(&lon), "{text}: {lon}");
            accepted = true;
        }
    }
    if let Ok(lat) = parse_latitude(&text) {
        assert!((-90.0..=90.0).contains(&lat), "{text}: {lat}");
        accepted = true;
    }
    accepted |= text.parse::<Cuts>().is_ok();
    accepted |= text.parse::<Colormap>().is_ok();
    accepted |= text.parse::<Rgb>().is_ok();
    accepted |= Sources::rgb(&text).is_ok();
    if let Some((ra, dec)) = sesame_position(&text) {
        assert!((0.0..360.0).contains(&ra) && (-90.0..=90.0).contains(&dec));
        accepted = true;
    }
    accepted
}
