//! Decoded tiles as painters see them: each bucket of output pixels gets exactly the tiles it
//! depends on, keyed by (order, ipix), plus the Allsky when it fell back to it.

use crate::error::{Error, Result};
use crate::tile::{decode_raster, slice_allsky, Shape, TileFormat, TileId, TileImage};
use std::sync::Arc;

/// Tiles of an Allsky file, ready to sample like a level of ordinary tiles.
pub struct AllskyLevel {
    pub order: u8,
    /// log2 of the cell width.
    pub tile_depth: u8,
    pub(crate) tiles: Vec<Arc<TileImage>>,
}

/// What a painter can read.
pub(crate) trait TileLookup: Sync {
    /// The tile `id`, if present.
    fn tile(&self, id: TileId) -> Option<&TileImage>;
    /// The Allsky, if the painter may use it.
    fn allsky(&self) -> Option<&AllskyLevel>;
    /// Whether any tile of `order` is present.
    fn has_order(&self, order: u8) -> bool;
}

/// The tiles one bucket of pixels depends on.
#[derive(Default)]
pub(crate) struct BucketTiles {
    /// Looked up for every sample the painters take off their own tile: a fast hash
    /// (rustc-hash) rather than the default SipHash, which cost more than the lookup's use.
    pub tiles: rustc_hash::FxHashMap<TileId, Arc<TileImage>>,
    pub allsky: Option<Arc<AllskyLevel>>,
}

impl TileLookup for BucketTiles {
    fn tile(&self, id: TileId) -> Option<&TileImage> {
        self.tiles.get(&id).map(|t| &**t)
    }
    fn allsky(&self) -> Option<&AllskyLevel> {
        self.allsky.as_deref()
    }
    fn has_order(&self, order: u8) -> bool {
        self.tiles.keys().any(|id| id.order == order)
    }
}

/// Decodes the Allsky of `order` of a survey with `tile_width`-px tiles and slices it into
/// tiles.
pub fn decode_allsky(
    bytes: &[u8],
    order: u8,
    format: TileFormat,
    channels: usize,
    tile_width: usize,
    what: &str,
) -> Result<AllskyLevel> {
    let shape = Shape::Allsky { order, tile_width };
    let tiles = slice_allsky(&decode_raster(bytes, format, channels, shape, what)?, order)?;
    let width = tiles.first().map_or(0, |t| t.width);
    if !width.is_power_of_two() {
        return Err(Error::decode(
            what,
            format!("cells of {width} px are not a power of two wide"),
        ));
    }
    Ok(AllskyLevel {
        order,
        tile_depth: width.trailing_zeros() as u8,
        tiles: tiles
            .into_iter()
            .map(|t| Arc::new(TileImage::new(t)))
            .collect(),
    })
}
