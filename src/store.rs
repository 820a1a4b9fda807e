//! The tile store: decoded tiles of one survey and format, loaded once each, shared by painters.
//!
//! Each entry stays keyed by its tile's (order, ipix) from read to paint. Tiles load on first
//! use (or in bulk through [`TileStore::prefetch`]); a tile the survey lacks is remembered as
//! absent, and one that fails to read or decode is counted, reported, and treated as absent so
//! the painter falls back to a parent or the Allsky.

use crate::error::Error;
use crate::raster::Raster;
use crate::survey::Survey;
use crate::tile::{allsky_path, decode_raster, slice_allsky, TileFormat, TileId, TileImage};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

type Slot = Arc<OnceLock<Option<Arc<TileImage>>>>;

/// Tiles of an Allsky file, ready to sample like a level of ordinary tiles.
pub struct AllskyLevel {
    pub order: u8,
    /// log2 of the cell width.
    pub tile_depth: u8,
    pub tiles: Vec<Arc<TileImage>>,
}

/// Counts of what the store did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LoadStats {
    pub loaded: usize,
    pub missing: usize,
    pub failed: usize,
    pub allsky_used: bool,
}

pub struct TileStore<'a> {
    survey: &'a Survey,
    pub format: TileFormat,
    pub channels: usize,
    slots: Mutex<HashMap<TileId, Slot>>,
    allsky: OnceLock<Option<AllskyLevel>>,
    loaded: AtomicUsize,
    missing: AtomicUsize,
    failures: Mutex<Vec<String>>,
}

impl<'a> TileStore<'a> {
    pub fn new(survey: &'a Survey, format: TileFormat, channels: usize) -> Self {
        TileStore {
            survey,
            format,
            channels,
            slots: Mutex::new(HashMap::new()),
            allsky: OnceLock::new(),
            loaded: AtomicUsize::new(0),
            missing: AtomicUsize::new(0),
            failures: Mutex::new(Vec::new()),
        }
    }

    /// The decoded tile, loading it on first use; `None` if the survey has no usable tile there.
    pub fn get(&self, id: TileId) -> Option<Arc<TileImage>> {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            slots.entry(id).or_default().clone()
        };
        slot.get_or_init(|| self.load(id)).clone()
    }

    /// Loads `ids` in parallel.
    pub fn prefetch(&self, ids: &[TileId]) {
        ids.par_iter().for_each(|&id| {
            self.get(id);
        });
    }

    fn load(&self, id: TileId) -> Option<Arc<TileImage>> {
        let path = id.path(self.format);
        let width = self.survey.properties.tile_width as usize;
        let result = self.survey.source.read(&path).and_then(|bytes| {
            bytes
                .map(|b| {
                    let tile = decode_raster(&b, self.format, self.channels, &path)?;
                    if tile.width != width || tile.height != width {
                        return Err(Error::decode(
                            &path,
                            format!(
                                "{}×{} px, expected {width}×{width}",
                                tile.width, tile.height
                            ),
                        ));
                    }
                    Ok(tile)
                })
                .transpose()
        });
        match result {
            Ok(Some(tile)) => {
                self.loaded.fetch_add(1, Ordering::Relaxed);
                Some(Arc::new(tile))
            }
            Ok(None) => {
                self.missing.fetch_add(1, Ordering::Relaxed);
                None
            }
            Err(e) => {
                self.record_failure(e.to_string());
                None
            }
        }
    }

    fn record_failure(&self, message: String) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(message);
    }

    /// The survey's Allsky (the deepest one at order 3 or below), loaded on first use.
    pub fn allsky(&self) -> Option<&AllskyLevel> {
        self.allsky
            .get_or_init(|| {
                let top = self.survey.properties.order_max.min(3);
                (0..=top).rev().find_map(|order| self.load_allsky(order))
            })
            .as_ref()
    }

    fn load_allsky(&self, order: u8) -> Option<AllskyLevel> {
        let path = allsky_path(order, self.format);
        let bytes = match self.survey.source.read(&path) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return None,
            Err(e) => {
                self.record_failure(e.to_string());
                return None;
            }
        };
        let sliced = decode_raster(&bytes, self.format, self.channels, &path)
            .and_then(|raster: Raster| slice_allsky(&raster, order));
        match sliced {
            Ok(tiles) if tiles[0].width.is_power_of_two() => Some(AllskyLevel {
                order,
                tile_depth: tiles[0].width.trailing_zeros() as u8,
                tiles: tiles.into_iter().map(Arc::new).collect(),
            }),
            Ok(tiles) => {
                self.record_failure(format!(
                    "{path}: cells of {} px are not a power of two wide",
                    tiles[0].width
                ));
                None
            }
            Err(e) => {
                self.record_failure(e.to_string());
                None
            }
        }
    }

    /// What was loaded, missing and failed so far.
    pub fn stats(&self) -> LoadStats {
        LoadStats {
            loaded: self.loaded.load(Ordering::Relaxed),
            missing: self.missing.load(Ordering::Relaxed),
            failed: self.failures.lock().map(|f| f.len()).unwrap_or(0),
            allsky_used: self.allsky.get().is_some_and(|a| a.is_some()),
        }
    }

    /// The messages of the tiles that failed to load.
    pub fn failures(&self) -> Vec<String> {
        self.failures.lock().map(|f| f.clone()).unwrap_or_default()
    }
}
