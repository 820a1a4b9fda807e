//! A survey's coverage: the sky its tiles hold, from its `Moc.fits` (an IVOA MOC, read with
//! CDS's moc crate), so that no tile outside it is ever asked for.

use crate::error::{Error, Result};
use crate::tile::TileId;
use moc::deser::fits::{from_fits_ivoa_custom, MocIdxType, MocQtyType, MocType};
use moc::idx::Idx;
use moc::moc::range::op::convert::convert_to_u64;
use moc::moc::range::RangeMOC;
use moc::moc::{CellMOCIntoIterator, CellMOCIterator, RangeMOCIterator};
use moc::qty::Hpx;
use std::io::BufRead;

/// The largest `Moc.fits` read (real surveys' are kilobytes to a few megabytes).
pub(crate) const MOC_MAX_BYTES: u64 = 32 << 20;

/// The deepest HEALPix depth, where a MOC's ranges are counted.
const DEPTH_MAX: u8 = 29;

/// A survey's coverage.
///
/// ```
/// use hipscut::Coverage;
/// // Not a MOC: a clear error, never a panic.
/// assert!(Coverage::from_fits(b"SIMPLE  =                    T").is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Coverage {
    moc: RangeMOC<u64, Hpx<u64>>,
}

impl Coverage {
    /// Reads a MOC FITS file (any index type; a galactic MOC is accepted as Aladin Lite does,
    /// the survey's frame telling what it means).
    pub fn from_fits(bytes: &[u8]) -> Result<Coverage> {
        let bad = |reason: String| Error::decode("Moc.fits", reason);
        // The moc crate trusts parts of its input (it unwraps); a file it chokes on is refused
        // like any other bad file.
        let parsed = std::panic::catch_unwind(|| -> std::result::Result<_, String> {
            let moc = match from_fits_ivoa_custom(bytes, true).map_err(|e| e.to_string())? {
                MocIdxType::U16(MocQtyType::Hpx(m)) => to_u64(m),
                MocIdxType::U32(MocQtyType::Hpx(m)) => to_u64(m),
                MocIdxType::U64(MocQtyType::Hpx(m)) => to_u64(m),
                _ => return Err("it is not a spatial (HEALPix) MOC".into()),
            };
            Ok(moc)
        })
        .map_err(|_| bad("the MOC reader failed on this file".into()))?
        .map_err(bad)?;
        if parsed.depth_max() > DEPTH_MAX {
            return Err(bad(format!("depth {} is beyond 29", parsed.depth_max())));
        }
        Ok(Coverage { moc: parsed })
    }

    /// The MOC's order (its deepest cells).
    pub fn order(&self) -> u8 {
        self.moc.depth_max()
    }

    /// The fraction of the sky covered, 0 to 1.
    pub fn sky_fraction(&self) -> f64 {
        self.moc.coverage_percentage()
    }

    /// Whether any part of `tile` lies in the coverage.
    pub fn touches(&self, tile: TileId) -> bool {
        if tile.order > DEPTH_MAX {
            return false;
        }
        let shift = 2 * u32::from(DEPTH_MAX - tile.order);
        let (start, end) = (tile.ipix << shift, (tile.ipix + 1) << shift);
        let ranges = &self.moc.moc_ranges().0 .0;
        let first_ending_after = ranges.partition_point(|r| r.end <= start);
        ranges
            .get(first_ending_after)
            .is_some_and(|r| r.start < end)
    }
}

/// A MOC of any index type as one of u64 indices.
fn to_u64<T: Idx, R: BufRead>(moc: MocType<T, Hpx<T>, R>) -> RangeMOC<u64, Hpx<u64>> {
    match moc {
        MocType::Ranges(ranges) => {
            convert_to_u64::<T, Hpx<T>, _, Hpx<u64>>(ranges).into_range_moc()
        }
        MocType::Cells(cells) => {
            let ranges = cells.into_cell_moc_iter().ranges();
            convert_to_u64::<T, Hpx<T>, _, Hpx<u64>>(ranges).into_range_moc()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use moc::moc::RangeMOCIntoIterator;

    /// The FITS bytes of a MOC of `cells` at `depth`.
    pub(crate) fn moc_fits(depth: u8, cells: &[u64]) -> Vec<u8> {
        let moc =
            RangeMOC::<u64, Hpx<u64>>::from_fixed_depth_cells(depth, cells.iter().copied(), None);
        let mut out = Vec::new();
        moc.into_range_moc_iter()
            .to_fits_ivoa(None, None, &mut out)
            .unwrap();
        out
    }

    #[test]
    fn a_moc_tells_the_tiles_it_touches() {
        // Cell 100 at depth 5, and cells 8 to 11 (depth-4 cell 2) at depth 5.
        let c = Coverage::from_fits(&moc_fits(5, &[8, 9, 10, 11, 100])).unwrap();
        assert_eq!(c.order(), 5);
        assert!((c.sky_fraction() - 5.0 / (12.0 * 1024.0)).abs() < 1e-12);
        assert!(c.touches(TileId::new(5, 100)));
        assert!(!c.touches(TileId::new(5, 101)));
        assert!(c.touches(TileId::new(4, 25)), "the parent of 100");
        assert!(c.touches(TileId::new(0, 0)));
        assert!(!c.touches(TileId::new(0, 1)));
        assert!(c.touches(TileId::new(7, 100 * 16 + 15)), "a grandchild");
        assert!(!c.touches(TileId::new(7, 101 * 16)));
        assert!(c.touches(TileId::new(4, 2)));
        assert!(!c.touches(TileId::new(4, 3)));
    }

    #[test]
    fn bad_mocs_are_errors() {
        let good = moc_fits(3, &[1, 2, 3]);
        for bad in [&good[..good.len() / 2], b"nonsense".as_slice(), &[]] {
            let err = Coverage::from_fits(bad).unwrap_err().to_string();
            assert!(err.contains("Moc.fits"), "{err}");
        }
    }
}
