//! HiPS tiles: addressing, formats, decoding, and the layout of HEALPix cells inside a tile.

mod allsky;
mod decode;
mod gather;
mod image;

pub use allsky::{allsky_grid_columns, slice_allsky};
pub(crate) use decode::{check_complete, decode_tile};
pub use decode::{decode_raster, Shape};

/// A tile image format, as named in `hips_tile_format` (`jpeg`, `png`, `fits`; `jpg` too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TileFormat {
    /// JPEG tiles: 8-bit colour or grey pictures.
    Jpeg,
    /// PNG tiles: 8-bit pictures whose transparent pixels are no data.
    Png,
    /// WebP tiles, lossy or lossless: 8-bit pictures whose transparent pixels are no data.
    Webp,
    /// FITS tiles: the survey's values, with BLANK and NaN as no data.
    Fits,
}

crate::names::named_choices!(TileFormat, "tile format", {
    Jpeg => "jpeg" | "jpg",
    Png => "png",
    Webp => "webp",
    Fits => "fits",
});

impl TileFormat {
    /// The file extension of tiles in this format.
    pub fn extension(self) -> &'static str {
        match self {
            TileFormat::Jpeg => "jpg",
            TileFormat::Png => "png",
            TileFormat::Webp => "webp",
            TileFormat::Fits => "fits",
        }
    }
}

/// One tile: the HEALPix NESTED cell `ipix` at depth `order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    pub order: u8,
    pub ipix: u64,
}

impl TileId {
    pub fn new(order: u8, ipix: u64) -> Self {
        TileId { order, ipix }
    }

    /// The tile's path in the survey: `NorderK/DirD/NpixN.ext`, `D = (N / 10000) * 10000`.
    pub fn path(self, format: TileFormat) -> String {
        format!(
            "Norder{}/Dir{}/Npix{}.{}",
            self.order,
            (self.ipix / 10_000) * 10_000,
            self.ipix,
            format.extension()
        )
    }

    /// The path of this tile in frame `frame` of a HiPS cube: `NpixN_K.ext`, and for frame 0
    /// (and surveys that are not cubes) [`TileId::path`]'s `NpixN.ext`.
    pub fn frame_path(self, format: TileFormat, frame: u32) -> String {
        let path = self.path(format);
        match frame {
            0 => path,
            k => path.replacen(
                &format!(".{}", format.extension()),
                &format!("_{k}.{}", format.extension()),
                1,
            ),
        }
    }

    /// The tile one order up that contains this one.
    pub fn parent(self) -> Option<TileId> {
        (self.order > 0).then(|| TileId::new(self.order - 1, self.ipix >> 2))
    }
}

/// The path of the Allsky file of `order`.
pub(crate) fn allsky_path(order: u8, format: TileFormat, frame: u32) -> String {
    match frame {
        0 => format!("Norder{order}/Allsky.{}", format.extension()),
        k => format!("Norder{order}/Allsky_{k}.{}", format.extension()),
    }
}

/// A decoded tile: a square raster in display orientation whose pixel (row `i`, column `j`) is
/// the HEALPix cell of sub-index `s` with `i` = the even bits of `s`, `j` = the odd bits.
pub(crate) use gather::{Avx2, QuadLanes, LANES};
pub(crate) use image::{QuadLerp, TileImage, WithQuads};

/// Gathers the bits of `v` at even positions (0, 2, 4, …) into a compact integer.
#[inline]
pub(crate) fn even_bits(v: u64) -> u64 {
    let mut x = v & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0f0f_0f0f_0f0f_0f0f;
    x = (x | (x >> 4)) & 0x00ff_00ff_00ff_00ff;
    x = (x | (x >> 8)) & 0x0000_ffff_0000_ffff;
    x = (x | (x >> 16)) & 0x0000_0000_ffff_ffff;
    x
}

/// Spreads the bits of `v` to the even positions: the inverse of [`even_bits`].
#[cfg(any(test, feature = "internals"))]
#[inline]
pub(crate) fn spread_bits(v: u64) -> u64 {
    let mut x = v & 0x0000_0000_ffff_ffff;
    x = (x | (x << 16)) & 0x0000_ffff_0000_ffff;
    x = (x | (x << 8)) & 0x00ff_00ff_00ff_00ff;
    x = (x | (x << 4)) & 0x0f0f_0f0f_0f0f_0f0f;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    x = (x | (x << 1)) & 0x5555_5555_5555_5555;
    x
}

/// Where HEALPix cell `hash` at depth `order + tile_depth` lies: its tile and (row i, column j).
#[inline]
pub(crate) fn locate_cell(hash: u64, order: u8, tile_depth: u8) -> (TileId, usize, usize) {
    let sub = hash & ((1u64 << (2 * tile_depth)) - 1);
    (
        TileId::new(order, hash >> (2 * tile_depth)),
        even_bits(sub) as usize,
        even_bits(sub >> 1) as usize,
    )
}

/// The HEALPix cell of (row i, column j) in `tile` with `2^tile_depth` pixels a side (the
/// tests build surveys with it).
#[cfg(any(test, feature = "internals"))]
#[inline]
pub fn cell_of_pixel(tile: TileId, tile_depth: u8, i: usize, j: usize) -> u64 {
    (tile.ipix << (2 * tile_depth)) | spread_bits(i as u64) | (spread_bits(j as u64) << 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_hips_layout() {
        assert_eq!(
            TileId::new(6, 10302).path(TileFormat::Fits),
            "Norder6/Dir10000/Npix10302.fits"
        );
        assert_eq!(
            TileId::new(3, 304).path(TileFormat::Jpeg),
            "Norder3/Dir0/Npix304.jpg"
        );
        assert_eq!(allsky_path(3, TileFormat::Png, 0), "Norder3/Allsky.png");
        assert_eq!(allsky_path(3, TileFormat::Fits, 7), "Norder3/Allsky_7.fits");
        let id = TileId::new(3, 304);
        assert_eq!(
            id.frame_path(TileFormat::Fits, 0),
            id.path(TileFormat::Fits)
        );
        assert_eq!(
            id.frame_path(TileFormat::Fits, 12),
            "Norder3/Dir0/Npix304_12.fits"
        );
        assert_eq!(TileId::new(3, 304).parent(), Some(TileId::new(2, 76)));
        assert_eq!(TileId::new(0, 4).parent(), None);
    }

    #[test]
    fn cell_addressing_round_trips() {
        for s in [0u64, 1, 2, 3, 0b1101_1001, 262_143] {
            let tile = TileId::new(3, 304);
            let hash = (304 << 18) | s;
            let (t, i, j) = locate_cell(hash, 3, 9);
            assert_eq!(t, tile);
            assert_eq!(cell_of_pixel(t, 9, i, j), hash);
        }
        // s = 1 is one step along i (even bit), s = 2 one step along j (odd bit).
        assert_eq!(locate_cell(1, 0, 1), (TileId::new(0, 0), 1, 0));
        assert_eq!(locate_cell(2, 0, 1), (TileId::new(0, 0), 0, 1));
    }
}
