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
//! The pixels of a run are placed `LANES` at a time through the piece that held the previous
//! pixel, without branches, so that the arithmetic runs in vector lanes (an AVX2 build of the
//! loop is chosen at run time), and 8-bit colour tiles are sampled with AVX2 gathers; a pixel
//! the piece does not hold is placed on its own, and the span starts again from its piece.
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
// LANES: output pixels placed together, a run's consecutive pixels in one piece: few enough
// to stay in registers and cache, enough for placing and sampling to run in vector lanes.
use crate::tile::{Avx2, QuadLanes, QuadLerp, TileId, TileImage, WithQuads, LANES};

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
            // Usually a neighbour of the last piece: the leaf where its homography puts the
            // pixel, found by the pieces' bounds alone (a homography per level costs more).
            let near = piece
                .map
                .as_ref()
                .and_then(|m| self.leaf_at(m.apply(col, row)));
            if let Some((leaf, uv)) = near.and_then(|l| Some((l, l.holds(col, row)?))) {
                *last = Some(leaf);
                return Some(uv);
            }
        }
        let (piece, uv) = Self::locate_in(&self.root, col, row, None)?;
        *last = Some(piece);
        Some(uv)
    }

    /// The leaf whose cells hold the tile-grid point (u, v), if inside the tile.
    fn leaf_at(&self, (u, v): (f64, f64)) -> Option<&Piece> {
        let mut piece = &self.root;
        let inside = |x: f64, lo: f64, size: f64| x >= lo && x < lo + size;
        if !(inside(u, piece.u0, piece.size) && inside(v, piece.v0, piece.size)) {
            return None;
        }
        while let Some(children) = &piece.children {
            piece = children.get(piece.child_at((u, v)))?;
        }
        Some(piece)
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
                Self::locate_in(&children[piece.child_at(uv)], col, row, Some(uv))
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
    /// The index of the child (in `children`'s order) whose cells hold the tile-grid point
    /// (u, v), a point of this piece.
    #[inline]
    fn child_at(&self, (u, v): (f64, f64)) -> usize {
        let half = self.size / 2.0;
        usize::from(u >= self.u0 + half) + 2 * usize::from(v >= self.v0 + half)
    }

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
    let tile = tiles.tile(home);
    let job = RunsJob {
        geometry,
        to_survey,
        levels,
        sampler: Sampler::new(tiles, interpolation),
        interpolation,
        tile,
        // Quads across the polar cap's edge (and bicubic blocks near a pole) take the precise
        // path, which samples them off the grid.
        grid: tile.and_then(|t| PolarGrid::of(home, t.width.trailing_zeros() as u8)),
        mesh,
        out,
    };
    let painting = || Painting { job: &job, runs };
    match tile.and_then(|t| t.with_quads(painting())) {
        Some(precise) => precise,
        // No tile (or one no painter makes): every pixel precisely.
        None => painting().run(&NoQuads),
    }
}

/// Painting runs on a tile's quads of a type known when compiled.
struct Painting<'j, 'a> {
    job: &'j RunsJob<'a>,
    runs: &'j [Run],
}

impl WithQuads for Painting<'_, '_> {
    type Output = u64;

    fn run(self, quads: &impl QuadLerp) -> u64 {
        #[cfg(target_arch = "x86_64")]
        if let Some(cpu) = Avx2::detect() {
            // SAFETY: `cpu` proves the CPU has AVX2.
            return unsafe { self.job.paint_avx2(self.runs, quads, cpu) };
        }
        self.job.paint(self.runs, quads, None)
    }
}

/// The quads of no tile: never sampled, since a job without a tile places no pixel in one.
struct NoQuads;

impl QuadLerp for NoQuads {
    fn lerp(&self, _: usize, _: usize, _: f32, _: f32, _: &mut [f32]) -> bool {
        false
    }
}

/// What painting one bucket's runs reads and writes.
struct RunsJob<'a> {
    geometry: &'a OutputGeometry,
    to_survey: &'a FrameRotation,
    levels: &'a [Level],
    sampler: Sampler<'a>,
    interpolation: Interpolation,
    tile: Option<&'a TileImage>,
    grid: Option<PolarGrid>,
    mesh: Option<&'a TileMesh>,
    out: &'a SharedRaster,
}

/// A job's painting so far: the piece of the last pixel, the pixels sampled precisely, and
/// the span being painted.
struct SpanState<'a> {
    last: Option<&'a Piece>,
    precise: u64,
    span: BilinearSpan,
    /// Where the CPU can sample the span in vector lanes, and their values.
    cpu: Option<Avx2>,
    values: [[f32; 4]; LANES],
}

/// Where `LANES` consecutive pixels of a row fall in a piece, for bilinear sampling.
#[derive(Default)]
struct BilinearSpan {
    /// The piece paints the pixel through its homography (as [`Piece::holds`] says).
    held: [bool; LANES],
    /// And the pixel's bilinear quad lies inside the tile.
    inside: [bool; LANES],
    /// The quad's top-left sample (0 where not `inside`), and the fractions beyond it.
    i0: [i32; LANES],
    j0: [i32; LANES],
    fu: [f32; LANES],
    fv: [f32; LANES],
}

impl<'a> RunsJob<'a> {
    /// [`RunsJob::paint`] compiled for AVX2, whose four-lane vectors the placement loop fills.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn paint_avx2(&self, runs: &[Run], quads: &impl QuadLerp, cpu: Avx2) -> u64 {
        self.paint(runs, quads, Some(cpu))
    }

    /// Paints `runs` (sampling in vector lanes where `cpu` allows); returns how many pixels
    /// took the precise path.
    #[inline(always)]
    fn paint(&self, runs: &[Run], quads: &impl QuadLerp, cpu: Option<Avx2>) -> u64 {
        let mut state = SpanState {
            last: None,
            precise: 0,
            span: BilinearSpan::default(),
            cpu,
            values: [[0.0; 4]; LANES],
        };
        for run in runs {
            let mut col = run.col0;
            while col < run.col1 {
                col += match (state.last, self.tile) {
                    (Some(piece), Some(tile)) if self.interpolation == Interpolation::Bilinear => {
                        let n = LANES.min((run.col1 - col) as usize);
                        self.paint_span(piece, tile, quads, (run.row, col, n), &mut state)
                    }
                    _ => {
                        let placed = self.paint_pixel(run.row, col, &mut state.last);
                        state.precise += u64::from(!placed);
                        1
                    }
                };
            }
        }
        state.precise
    }

    /// Paints up to `n` pixels from (`row`, `col0`) through `piece`, the one that held the
    /// previous pixel; stops after a pixel that moves `last` to another piece. Returns how many
    /// pixels it painted.
    #[inline(always)]
    fn paint_span(
        &self,
        piece: &'a Piece,
        tile: &TileImage,
        quads: &impl QuadLerp,
        (row, col0, n): (u32, u32, usize),
        state: &mut SpanState<'a>,
    ) -> u32 {
        let SpanState {
            last,
            precise,
            span,
            cpu,
            values,
        } = state;
        piece.bilinear_span(f64::from(col0), f64::from(row), tile.width as f64, span);
        let lanes = QuadLanes {
            i0: &span.i0,
            j0: &span.j0,
            fu: &span.fu,
            fv: &span.fv,
        };
        let in_lanes = cpu.is_some_and(|cpu| quads.lerp_lanes(cpu, &lanes, values));
        for k in 0..n {
            let col = col0 + k as u32;
            if !span.held[k] {
                *precise += u64::from(!self.paint_pixel(row, col, last));
                if !last.is_some_and(|l| std::ptr::eq(l, piece)) {
                    return k as u32 + 1;
                }
                continue;
            }
            let (i0, j0) = (span.i0[k], span.j0[k]);
            let crosses = self
                .grid
                .is_some_and(|g| g.crosses_cap_edge(i0 as i64, j0 as i64, 1));
            let mut value = [f32::NAN; 4];
            let mut lerp = || match values.get(k) {
                Some(&lerped) if in_lanes => {
                    value = lerped;
                    true
                }
                _ => quads.lerp(i0 as usize, j0 as usize, span.fu[k], span.fv[k], &mut value),
            };
            if span.inside[k] && !crosses && lerp() {
                // SAFETY: as in `paint_pixel`.
                unsafe { self.out.put(row as usize, col as usize, &value) };
            } else {
                *precise += 1;
                self.sample_precisely(row, col);
            }
        }
        n as u32
    }

    /// Paints one pixel, through the piece that holds it (found from `last`, which it updates)
    /// or precisely; returns whether it went through a piece.
    #[inline]
    fn paint_pixel(&self, row: u32, col: u32, last: &mut Option<&'a Piece>) -> bool {
        if let (Some(tile), Some(mesh)) = (self.tile, self.mesh) {
            if let Some((u, v)) = mesh.locate(col as f64, row as f64, last) {
                let mut value = [f32::NAN; 4];
                let pixel = &mut value[..self.out.channels()];
                if sample_inside(tile, u, v, self.interpolation, self.grid, pixel) {
                    // SAFETY: the plan's runs lie in the image; runs of different buckets never
                    // share a pixel, and one bucket's runs are painted by one job at a time (see
                    // `SharedRaster`).
                    unsafe { self.out.put(row as usize, col as usize, pixel) };
                    return true;
                }
            }
        }
        self.sample_precisely(row, col);
        false
    }

    /// Paints pixel (`row`, `col`) by the precise painter's path (left blank off the sky).
    fn sample_precisely(&self, row: u32, col: u32) {
        let Some(sky) = self.geometry.pixel_to_sky(col as f64, row as f64) else {
            return;
        };
        let (lon, lat) = xyz_to_lonlat(self.to_survey.apply(sky));
        let mut value = [f32::NAN; 4];
        let pixel = &mut value[..self.out.channels()];
        if self.sampler.sample(self.levels, lon, lat, pixel) {
            // SAFETY: as in `paint_pixel`.
            unsafe { self.out.put(row as usize, col as usize, pixel) };
        }
    }
}

impl Piece {
    /// Where pixels (`col0 + k`, `row`), k < `LANES`, fall in this piece, for bilinear sampling
    /// of a tile `width` pixels wide: [`Piece::holds`] and the quad's bounds of
    /// [`sample_inside`], the same arithmetic without branches, so that it runs in vector lanes.
    /// Written into `span`, every lane (no span is built and copied per call).
    #[inline(always)]
    fn bilinear_span(&self, col0: f64, row: f64, width: f64, span: &mut BilinearSpan) {
        let Some(map) = self.map.as_ref().filter(|_| !self.precise) else {
            span.held = [false; LANES];
            return;
        };
        match &self.correction {
            Some(c) => self.fill_span(
                map,
                |uv| corrected(uv, Some(c), self.frame()),
                (col0, row),
                width,
                span,
            ),
            None => self.fill_span(map, |uv| uv, (col0, row), width, span),
        }
    }

    #[inline(always)]
    fn fill_span(
        &self,
        map: &Homography,
        correct: impl Fn((f64, f64)) -> (f64, f64),
        (col0, row): (f64, f64),
        width: f64,
        span: &mut BilinearSpan,
    ) {
        let [u_lo, u_hi, v_lo, v_hi] = self.reach;
        let (u_end, v_end) = (self.u0 + self.size, self.v0 + self.size);
        for k in 0..LANES {
            let (hu, hv) = map.apply(col0 + k as f64, row);
            // `&`, not `&&`: no branch per lane.
            let in_reach = (hu >= u_lo) & (hu <= u_hi) & (hv >= v_lo) & (hv <= v_hi);
            let (u, v) = correct((hu, hv));
            let held = in_reach & (u >= self.u0) & (u <= u_end) & (v >= self.v0) & (v <= v_end);
            let (a, b) = (u - 0.5, v - 0.5);
            let inside = held & (a >= 0.0) & (b >= 0.0) & (a + 1.0 < width) & (b + 1.0 < width);
            let (a, b) = if inside { (a, b) } else { (0.0, 0.0) };
            // SAFETY: a and b are finite and in [0, width − 1) (or 0), as in `sample_inside`.
            let (i0, j0) = unsafe { (a.to_int_unchecked::<i32>(), b.to_int_unchecked::<i32>()) };
            span.held[k] = held;
            span.inside[k] = inside;
            span.i0[k] = i0;
            span.j0[k] = j0;
            span.fu[k] = (a - f64::from(i0)) as f32;
            span.fv[k] = (b - f64::from(j0)) as f32;
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::{Frame, ResolvedView};
    use crate::paint::{fallback_levels, Painted};
    use crate::plan::buckets;
    use crate::raster::Raster;
    use crate::store::BucketTiles;
    use std::sync::Arc;

    /// A tile of pseudo-random samples (xorshift): bytes, or floats with no-data holes.
    fn noise_tile(width: usize, channels: usize, seed: u64, floats: bool) -> TileImage {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let data = (0..width * width * channels)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                match (floats, x % 97) {
                    (true, 0) => f32::NAN,
                    (true, r) => r as f32 * 0.37,
                    (false, _) => (x % 256) as f32,
                }
            })
            .collect();
        TileImage::new(Raster {
            width,
            height: width,
            channels,
            data,
        })
    }

    /// The painter's loop before spans: every pixel placed on its own.
    fn paint_each_pixel(job: &RunsJob<'_>, runs: &[Run]) -> u64 {
        let mut last = None;
        let mut precise = 0;
        for run in runs {
            for col in run.col0..run.col1 {
                precise += u64::from(!job.paint_pixel(run.row, col, &mut last));
            }
        }
        precise
    }

    #[test]
    fn spans_paint_what_pixels_placed_one_at_a_time_paint() {
        let views = [
            ("TAN", 45.0, 41.81, 30.0, 300, 240, 20.0, 3, false),
            ("AIT", 0.0, 0.0, 360.0, 400, 200, 0.0, 3, false),
            ("SIN", 0.0, 90.0, 60.0, 200, 200, 0.0, 1, true),
        ];
        let (order, depth) = (2, 6);
        for (projection, lon, lat, fov, width, height, rotation, channels, floats) in views {
            let view = ResolvedView {
                lon,
                lat,
                fov,
                width,
                height,
                projection: projection.parse().unwrap(),
                rotation,
                frame: Frame::Icrs,
            };
            let g = OutputGeometry::from_view(&view).unwrap();
            let to_survey = FrameRotation::new(Frame::Icrs, Frame::Galactic);
            let to_output = FrameRotation::new(Frame::Galactic, Frame::Icrs);
            let plan = buckets(&g, &to_survey, order, depth);
            let tiles = BucketTiles {
                tiles: (0..12 << (2 * order))
                    .map(|ipix| {
                        let tile = noise_tile(1 << depth, channels, ipix, floats);
                        (TileId::new(order, ipix), Arc::new(tile))
                    })
                    .collect(),
                allsky: None,
            };
            let levels = fallback_levels(&tiles, order, 0, depth);
            let paint = |how: &dyn Fn(&RunsJob<'_>, &[Run]) -> u64| {
                let out = SharedRaster::new(width, height, channels, false);
                let mut precise = 0;
                for (&home, bucket) in &plan {
                    let mesh = TileMesh::build(home, depth, &g, to_output, Interpolation::Bilinear);
                    let tile = tiles.tile(home);
                    let job = RunsJob {
                        geometry: &g,
                        to_survey: &to_survey,
                        levels: &levels,
                        sampler: Sampler::new(&tiles, Interpolation::Bilinear),
                        interpolation: Interpolation::Bilinear,
                        tile,
                        grid: tile
                            .and_then(|t| PolarGrid::of(home, t.width.trailing_zeros() as u8)),
                        mesh: mesh.as_ref(),
                        out: &out,
                    };
                    precise += how(&job, &bucket.runs);
                }
                let Painted::Values(raster) = out.into_painted() else {
                    unreachable!("a raster of values")
                };
                let bits: Vec<u32> = raster.data.iter().map(|v| v.to_bits()).collect();
                (bits, precise)
            };
            let (one_at_a_time, precise) = paint(&paint_each_pixel);
            let spans = paint(&|job, runs| {
                let work = || Painting { job, runs };
                job.tile.and_then(|t| t.with_quads(work())).unwrap()
            });
            assert_eq!(spans.1, precise, "{projection}: pixels sampled precisely");
            assert!(
                spans.0 == one_at_a_time,
                "{projection}: spans paint other values"
            );
            // The portable build of the loop, where the test ran the AVX2 one above.
            let portable = paint(&|job, runs| {
                let tile = job.tile.unwrap();
                struct Portable<'j, 'a>(&'j RunsJob<'a>, &'j [Run]);
                impl WithQuads for Portable<'_, '_> {
                    type Output = u64;
                    fn run(self, quads: &impl QuadLerp) -> u64 {
                        self.0.paint(self.1, quads, None)
                    }
                }
                tile.with_quads(Portable(job, runs)).unwrap()
            });
            assert!(
                portable.0 == one_at_a_time,
                "{projection}: the portable loop differs"
            );
            // The test must see both paths: most pixels through pieces, some precisely.
            let pixels = (width * height) as u64;
            assert!(
                precise > 0 && precise * 10 < pixels,
                "{projection}: {precise} precise"
            );
        }
    }
}
