//! Slicing of `NorderK/Allsky` files into the per-tile images they pack.

use crate::error::{Error, Result};
use crate::raster::Raster;

/// Cells per row of the Allsky of `order`: ⌊√(12·4^order)⌋ (27 at order 3).
pub fn allsky_grid_columns(order: u8) -> usize {
    ((12u64 << (2 * order)) as f64).sqrt().floor() as usize
}

/// Cuts a display-oriented Allsky raster of `order` into its 12·4^order tiles, tile `n` at column
/// `n % cols`, row `n / cols` from the top. Each cell keeps the inner layout of a tile.
pub fn slice_allsky(allsky: &Raster, order: u8) -> Result<Vec<Raster>> {
    let n_tiles = 12usize << (2 * order);
    let cols = allsky_grid_columns(order);
    let rows = n_tiles.div_ceil(cols);
    let cell = allsky.width / cols;
    if cell == 0 || allsky.height < rows * cell {
        return Err(Error::decode(
            format!("Allsky of order {order}"),
            format!(
                "{}×{} px cannot hold {rows} rows of {cols} cells",
                allsky.width, allsky.height
            ),
        ));
    }
    Ok((0..n_tiles)
        .map(|n| allsky.crop((n / cols) * cell, (n % cols) * cell, cell))
        .collect())
}
