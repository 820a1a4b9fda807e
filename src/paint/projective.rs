//! The projective painter: each tile, split into pieces where its projection is too distorted,
//! is painted through a homography from output pixels into the tile's own pixel grid,
//! corrected to second order.
//!
//! A piece's four *outer* corners (not the centres of its corner pixels) are projected into the
//! output image, and the homography output → tile is solved from them (nalgebra). The HEALPix
//! grid's projection is curved, so that homography errs by an amount that grows with the square
//! of the piece's size (2 × 10⁻⁵ tile pixel × size² in a TAN field). Its errors at the edge
//! midpoints and the centre define a biquadratic correction (`correction.rs`), which is
//! subtracted. The corrected map is then checked at eight points between those nodes; a piece
//! is split into its four children when it errs there by more than `TOLERANCE` output or tile
//! pixels (0.002: a photometric error far below the noise; 20× less for bicubic), when it is
//! too large or too skewed (Aladin's criterion), or when a point cannot be projected (behind a
//! zenithal projection's horizon, beyond an AIT/MOL edge, across CAR's lon ±180). A child is a
//! range of the parent's decoded pixels, never a new image. A piece still bad at `MAX_SPLIT`
//! levels is painted by the precise painter.
//!
//! Which tile paints a pixel is not decided here: the plan's buckets give each pixel to the tile
//! whose HEALPix cell holds its centre, so every pixel is painted exactly once. A pixel whose
//! bilinear samples would cross the tile's border, or touch a no-data pixel, is also sampled
//! precisely, so seams match the precise painter.

use super::correction::Correction;
use super::homography::Homography;
use super::sampler::{Level, Sampler};
use super::{Interpolation, SharedRaster};
use crate::geometry::{lonlat_to_xyz, xyz_to_lonlat, FrameRotation, OutputGeometry};
use crate::healpix::PolarGrid;
use crate::plan::Run;
use crate::store::TileLookup;
use crate::tile::{TileId, TileImage};

/// Largest error of a piece's corrected homography at its test points, in output pixels and
/// in tile pixels (what bilinear sampling sees).
pub(crate) const TOLERANCE: f64 = 0.002;
/// The same for bicubic sampling.
pub(crate) const TOLERANCE_CUBIC: f64 = 0.0001;
/// Deepest split below a tile (a 512-px tile down to 8-px pieces).
pub(crate) const MAX_SPLIT: u8 = 6;
/// Aladin's distortion criterion, in output pixels.
const MAX_EDGE: f64 = 300.0;
const MAX_DIAGONAL: f64 = 150.0;
const MIN_DIAGONAL_RATIO: f64 = 0.7;

/// A piece of a tile: cells [u0, u0+size) × [v0, v0+size) of the tile's grid.
pub(crate) struct Piece {
    u0: f64,
    v0: f64,
    size: f64,
    /// 1 / size, exact (sizes are powers of two): the correction's scale, without a division
    /// per pixel.
    per_size: f64,
    /// Where the homography's estimate may fall for the correction to be applied: a quarter of
    /// the piece beyond its sides, `[u_lo, u_hi, v_lo, v_hi]` (computed once, not per pixel).
    reach: [f64; 4],
    /// Output → tile map; `None` where the corners could not all be projected.
    map: Option<Homography>,
    /// The map's second-order error across the piece, subtracted from it.
    correction: Option<Correction>,
    children: Option<Box<[Piece; 4]>>,
    /// Too distorted even at the deepest split: paint its pixels precisely.
    precise: bool,
}

/// The pieces of one tile, ready to map output pixels into it.
pub(crate) struct TileMesh {
    root: Piece,
    pub pieces: usize,
    pub precise_pieces: usize,
}

/// Projects tile-grid points of `tile` into the output image.
struct Projector<'a> {
    geometry: &'a OutputGeometry,
    to_output: FrameRotation,
    layer: &'static cdshealpix::nested::Layer,
    tile: TileId,
    width: f64,
    /// Largest position error allowed, in tile and in output pixels.
    tolerance: f64,
}

impl Projector<'_> {
    /// The output (col, row) of the tile-grid point (u, v) (units of tile pixels).
    fn project(&self, u: f64, v: f64) -> Option<(f64, f64)> {
        let below_one = |x: f64| (x / self.width).clamp(0.0, 1.0 - 1e-15);
        let (lon, lat) = self
            .layer
            .sph_coo(self.tile.ipix, below_one(u), below_one(v));
        let xyz = self.to_output.apply(lonlat_to_xyz(lon, lat));
        let (col, row) = self.geometry.sky_to_pixel(xyz)?;
        (col.is_finite() && row.is_finite()).then_some((col, row))
    }
}

fn distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

impl TileMesh {
    /// The pieces of `tile` (of `2^tile_depth` pixels a side) for `geometry`, placing pixels
    /// well enough for `interpolation`. `None` when not even the whole tile's corners project:
    /// the tile is then painted precisely.
    pub(crate) fn build(
        tile: TileId,
        tile_depth: u8,
        geometry: &OutputGeometry,
        survey_to_output: FrameRotation,
        interpolation: Interpolation,
    ) -> Option<TileMesh> {
        let projector = Projector {
            geometry,
            to_output: survey_to_output,
            layer: cdshealpix::nested::get(tile.order),
            tile,
            width: (1u64 << tile_depth) as f64,
            tolerance: match interpolation {
                // Cubic sampling is exact to millionths of the range on smooth skies: a
                // position error of 0.002 pixel would be its largest error by far.
                Interpolation::Bicubic => TOLERANCE_CUBIC,
                _ => TOLERANCE,
            },
        };
        let mut mesh = TileMesh {
            root: Piece::new((0.0, 0.0, projector.width), None, None, None, false),
            pieces: 0,
            precise_pieces: 0,
        };
        let root = mesh.piece(&projector, 0.0, 0.0, projector.width, 0);
        if root.map.is_none() && root.children.is_none() {
            return None;
        }
        mesh.root = root;
        Some(mesh)
    }

    fn piece(&mut self, p: &Projector, u0: f64, v0: f64, size: f64, level: u8) -> Piece {
        let corners_uv = [
            (u0, v0),
            (u0 + size, v0),
            (u0, v0 + size),
            (u0 + size, v0 + size),
        ];
        let corners: Option<Vec<(f64, f64)>> =
            corners_uv.iter().map(|&(u, v)| p.project(u, v)).collect();
        let map = corners
            .as_ref()
            .and_then(|c| Homography::from_pairs([c[0], c[1], c[2], c[3]], corners_uv));
        let (good, correction) = match (&corners, &map) {
            (Some(c), Some(map)) => judge(p, c, map, (u0, v0, size)),
            _ => (false, None),
        };
        self.pieces += 1;
        if good || level >= MAX_SPLIT {
            if !good {
                self.precise_pieces += 1;
            }
            return Piece::new((u0, v0, size), map, correction, None, !good);
        }
        let half = size / 2.0;
        let children = Box::new([
            self.piece(p, u0, v0, half, level + 1),
            self.piece(p, u0 + half, v0, half, level + 1),
            self.piece(p, u0, v0 + half, half, level + 1),
            self.piece(p, u0 + half, v0 + half, half, level + 1),
        ]);
        Piece::new((u0, v0, size), map, correction, Some(children), false)
    }

    /// The tile-grid position (u, v) of output pixel (col, row), or `None` where the piece that
    /// holds it must be painted precisely. `last` remembers the piece of the previous pixel,
    /// which usually holds this one too.
    #[inline]
    pub(crate) fn locate<'m>(
        &'m self,
        col: f64,
        row: f64,
        last: &mut Option<&'m Piece>,
    ) -> Option<(f64, f64)> {
        if let Some(piece) = *last {
            if let Some(uv) = piece.holds(col, row) {
                return Some(uv);
            }
        }
        let (piece, uv) = Self::locate_in(&self.root, col, row, None)?;
        *last = Some(piece);
        Some(uv)
    }

    /// Descends from `piece`: each level's homography (or, where a piece has none, its
    /// parent's estimate) picks the child; a piece with no estimate at all tries each child.
    fn locate_in(
        piece: &Piece,
        col: f64,
        row: f64,
        hint: Option<(f64, f64)>,
    ) -> Option<(&Piece, (f64, f64))> {
        let uv = piece
            .map
            .as_ref()
            .map(|m| corrected(m.apply(col, row), piece.correction.as_ref(), piece.frame()))
            .or(hint);
        match (&piece.children, uv) {
            (Some(children), Some(uv)) => {
                let half = piece.size / 2.0;
                let k =
                    usize::from(uv.0 >= piece.u0 + half) + 2 * usize::from(uv.1 >= piece.v0 + half);
                Self::locate_in(&children[k], col, row, Some(uv))
            }
            (Some(children), None) => children
                .iter()
                .find_map(|child| Self::locate_in(child, col, row, None)),
            (None, _) => piece.holds(col, row).map(|uv| (piece, uv)),
        }
    }
}

impl Piece {
    /// The piece `(u0, v0, size)` of the tile's grid.
    fn new(
        (u0, v0, size): (f64, f64, f64),
        map: Option<Homography>,
        correction: Option<Correction>,
        children: Option<Box<[Piece; 4]>>,
        precise: bool,
    ) -> Piece {
        let (before, after) = (size / 4.0, 1.25 * size);
        Piece {
            u0,
            v0,
            size,
            per_size: size.recip(),
            reach: [u0 - before, u0 + after, v0 - before, v0 + after],
            map,
            correction,
            children,
            precise,
        }
    }

    /// (u, v) of output pixel (col, row) if this leaf paints it through its homography.
    #[inline]
    fn holds(&self, col: f64, row: f64) -> Option<(f64, f64)> {
        if self.precise {
            return None;
        }
        let map = self.map.as_ref()?;
        // The correction holds over the piece and a little beyond it: a pixel the homography
        // puts far outside (met through `last`) is not corrected into it by extrapolation.
        let (hu, hv) = map.apply(col, row);
        let [u_lo, u_hi, v_lo, v_hi] = self.reach;
        if !(hu >= u_lo && hu <= u_hi && hv >= v_lo && hv <= v_hi) {
            return None;
        }
        let uv = corrected((hu, hv), self.correction.as_ref(), self.frame());
        let inside = |x: f64, lo: f64| x >= lo && x <= lo + self.size;
        (inside(uv.0, self.u0) && inside(uv.1, self.v0)).then_some(uv)
    }
}

impl Piece {
    /// The piece's corner and the reciprocal of its size, as [`corrected`] takes them.
    fn frame(&self) -> (f64, f64, f64) {
        (self.u0, self.v0, self.per_size)
    }
}

/// The tile position `(u, v)` a homography gives, less `correction` over the piece
/// `(u0, v0, 1 / size)`.
#[inline]
fn corrected(
    (u, v): (f64, f64),
    correction: Option<&Correction>,
    (u0, v0, per_size): (f64, f64, f64),
) -> (f64, f64) {
    match correction {
        Some(c) => {
            // Sizes are powers of two: multiplying by the reciprocal is exact.
            let e = c.at((u - u0) * per_size, (v - v0) * per_size);
            (u - e.0, v - e.1)
        }
        None => (u, v),
    }
}

/// Whether a piece `(u0, v0, size)` whose corners project to `c` is painted through `map`
/// (and its correction): accurate to the projector's tolerance, in tile and in output pixels,
/// at eight points between the nodes the correction is fitted at, neither too large nor too
/// skewed.
fn judge(
    p: &Projector<'_>,
    c: &[(f64, f64)],
    map: &Homography,
    (u0, v0, size): (f64, f64, f64),
) -> (bool, Option<Correction>) {
    let at = |s: f64, t: f64| (u0 + s * size, v0 + t * size);
    // The nodes, in the order `Correction` takes them.
    let nodes = [(0.5, 0.0), (0.5, 1.0), (0.0, 0.5), (1.0, 0.5), (0.5, 0.5)];
    let mut residuals = [(0.0, 0.0); 5];
    for (r, &(s, t)) in residuals.iter_mut().zip(&nodes) {
        let (u, v) = at(s, t);
        let Some((x, y)) = p.project(u, v) else {
            return (false, None);
        };
        let (mu, mv) = map.apply(x, y);
        *r = (mu - u, mv - v);
    }
    let correction = Correction::new(residuals);
    let edges = [
        distance(c[0], c[1]),
        distance(c[1], c[3]),
        distance(c[3], c[2]),
        distance(c[2], c[0]),
    ];
    // Output pixels per tile pixel, to weigh errors measured in the tile.
    let scale = edges.iter().sum::<f64>() / (4.0 * size);
    let checks = [
        (0.25, 0.25),
        (0.75, 0.25),
        (0.25, 0.75),
        (0.75, 0.75),
        (0.25, 0.0),
        (0.75, 1.0),
        (0.0, 0.75),
        (1.0, 0.25),
    ];
    let mut projected = [(0.0, 0.0, 0.0, 0.0); 8];
    for (slot, &(s, t)) in projected.iter_mut().zip(&checks) {
        let (u, v) = at(s, t);
        let Some((x, y)) = p.project(u, v) else {
            return (false, None);
        };
        *slot = (u, v, x, y);
    }
    // The plain homography where it is good enough (small pieces): no correction to evaluate
    // at every pixel.
    let accurate_with = |correction: Option<&Correction>| {
        projected.iter().all(|&(u, v, x, y)| {
            let uv = corrected(map.apply(x, y), correction, (u0, v0, size.recip()));
            let error = distance(uv, (u, v));
            error <= p.tolerance && error * scale <= p.tolerance
        })
    };
    let (accurate, correction) = if accurate_with(None) {
        (true, None)
    } else {
        (accurate_with(Some(&correction)), Some(correction))
    };
    let (d1, d2) = (distance(c[0], c[3]), distance(c[1], c[2]));
    let skewed = d1.max(d2) > MAX_DIAGONAL && d1.min(d2) / d1.max(d2) < MIN_DIAGONAL_RATIO;
    let good = accurate && !skewed && edges.iter().all(|&e| e <= MAX_EDGE);
    (good, correction)
}

/// Paints the pixels of `runs`, which belong to `home`, through `mesh`; pixels it cannot place,
/// or whose samples leave the tile or touch no data, are sampled precisely. Returns how many
/// pixels took the precise path.
// Never inlined: the instruction-count benchmark (benches/callgrind.rs) counts it by name.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn paint_runs_projective(
    geometry: &OutputGeometry,
    to_survey: &FrameRotation,
    levels: &[Level],
    tiles: &dyn TileLookup,
    interpolation: Interpolation,
    home: TileId,
    mesh: Option<&TileMesh>,
    runs: &[Run],
    out: &SharedRaster,
) -> u64 {
    let sampler = Sampler::new(tiles, interpolation);
    let tile = tiles.tile(home);
    // Quads across the polar cap's edge (and bicubic blocks near a pole) take the precise path,
    // which samples them off the grid.
    let grid = tile.and_then(|t| PolarGrid::of(home, t.width.trailing_zeros() as u8));
    let mut precise = 0;
    let mut last = None;
    for run in runs {
        for col in run.col0..run.col1 {
            // SAFETY: runs of different buckets never share a pixel, and one bucket's runs are
            // painted by one job at a time (see `SharedRaster`).
            let pixel = unsafe { out.pixel_mut(run.row as usize, col as usize) };
            if let (Some(tile), Some(mesh)) = (tile, mesh) {
                if let Some((u, v)) = mesh.locate(col as f64, run.row as f64, &mut last) {
                    if sample_inside(tile, u, v, interpolation, grid, pixel) {
                        continue;
                    }
                }
            }
            precise += 1;
            let Some(sky) = geometry.pixel_to_sky(col as f64, run.row as f64) else {
                continue;
            };
            let (lon, lat) = xyz_to_lonlat(to_survey.apply(sky));
            sampler.sample(levels, lon, lat, pixel);
        }
    }
    precise
}

/// Samples `tile` at grid position (u, v) when every sample is inside it and has data, and the
/// quad does not cross the polar cap's edge (see [`PolarGrid`]).
#[inline]
fn sample_inside(
    tile: &TileImage,
    u: f64,
    v: f64,
    interpolation: Interpolation,
    grid: Option<PolarGrid>,
    out: &mut [f32],
) -> bool {
    let w = tile.width as f64;
    if interpolation == Interpolation::Bicubic {
        return super::cubic::sample_tile(tile, u, v, grid, out);
    }
    if interpolation == Interpolation::Nearest {
        if !(0.0..w).contains(&u) || !(0.0..w).contains(&v) {
            return false;
        }
        let px = tile.pixel(u as usize, v as usize);
        if px.iter().any(|x| x.is_nan()) {
            return false;
        }
        out.copy_from_slice(&px[..out.len()]);
        return true;
    }
    let (a, b) = (u - 0.5, v - 0.5);
    // Written so that NaN fails it too.
    if !(a >= 0.0 && b >= 0.0 && a + 1.0 < w && b + 1.0 < w) {
        return false;
    }
    // Truncation is the floor here (a, b ≥ 0), without a libm call; to i32, one instruction
    // where `as usize` takes a dozen and `as i32` seven (callgrind: 28 per pixel → 2).
    // SAFETY: a and b are finite and in [0, w − 1), and no tile is near i32::MAX wide.
    let (i0, j0) = unsafe { (a.to_int_unchecked::<i32>(), b.to_int_unchecked::<i32>()) };
    if grid.is_some_and(|g| g.crosses_cap_edge(i0 as i64, j0 as i64, 1)) {
        return false;
    }
    // In f32, as lerps (see `TileImage::bilinear`): f64 weights cost 3 % more of a whole
    // render; the rounding, a few 10⁻⁸ of the values, is far below what the tests bound.
    let (fu, fv) = ((a - f64::from(i0)) as f32, (b - f64::from(j0)) as f32);
    tile.bilinear(i0 as usize, j0 as usize, fu, fv, out)
}
