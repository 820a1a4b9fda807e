//! How render time grows: a sweep over output sizes (0.25 to 64 Mpx) at a fixed field, and over
//! tile counts at a fixed size, on the embedded survey (whole sky, order 1 forced), in memory.
//! Prints each point, fits time = a·Mpx + b·tiles + c by least squares, and draws both sweeps
//! with the fit to docs/scaling.png (plotters).
//!
//! `cargo bench --bench scaling` (`-- --quick` skips the 64 Mpx point).

use hipscut::{render, Frame, RenderRequest, Survey, View};
use plotters::prelude::*;
use std::time::Instant;

const FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSansMono.ttf");

#[derive(Clone, Copy)]
struct Point {
    mpx: f64,
    tiles: f64,
    seconds: f64,
}

/// The shortest wall time of `runs` renders (the least disturbed by a noisy machine) of `projection` at (0, 0) galactic.
fn measure(
    survey: &Survey,
    projection: &str,
    fov: f64,
    side: (usize, usize),
    runs: usize,
) -> Point {
    let req = RenderRequest::new(
        View::default()
            .centre(0.0, 0.0)
            .frame(Frame::Galactic)
            .fov(fov)
            .size(side.0, side.1)
            .projection(projection.parse().unwrap()),
    )
    .order(1);
    let mut times = Vec::new();
    let mut tiles = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let r = render(survey, &req).expect("render");
        times.push(start.elapsed().as_secs_f64());
        tiles = r.stats.local + r.stats.fetched + r.stats.from_cache + r.stats.from_memory;
    }
    times.sort_by(f64::total_cmp);
    let point = Point {
        mpx: (side.0 * side.1) as f64 / 1e6,
        tiles: tiles as f64,
        seconds: times[0],
    };
    println!(
        "{projection} fov {fov:>5}° {:>5}×{:<5} {:>6.2} Mpx {:>3} tiles: {:>8.1} ms ({:.1} ms/Mpx)",
        side.0,
        side.1,
        point.mpx,
        tiles,
        1e3 * point.seconds,
        1e3 * point.seconds / point.mpx
    );
    point
}

/// Least squares of time = a·Mpx + b·tiles + c (normal equations, 3×3).
fn fit(points: &[Point]) -> [f64; 3] {
    let rows: Vec<([f64; 3], f64)> = points
        .iter()
        .map(|p| ([p.mpx, p.tiles, 1.0], p.seconds))
        .collect();
    let mut m = nalgebra::Matrix3::<f64>::zeros();
    let mut v = nalgebra::Vector3::<f64>::zeros();
    for (x, y) in &rows {
        let x = nalgebra::Vector3::from(*x);
        m += x * x.transpose();
        v += x * *y;
    }
    let c = m.lu().solve(&v).expect("a solvable fit");
    [c[0], c[1], c[2]]
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let survey = Survey::open(None).expect("the embedded survey");
    // Warm up: the thread pool, the allocator, the embedded files.
    measure(&survey, "TAN", 60.0, (1000, 1000), 3);
    println!("sizes: TAN 60° field, order 1");
    let sides: &[usize] = if quick {
        &[500, 1000, 2000, 4000]
    } else {
        &[500, 1000, 2000, 4000, 8000]
    };
    let sizes: Vec<Point> = sides
        .iter()
        .map(|&s| measure(&survey, "TAN", 60.0, (s, s), if s >= 4000 { 3 } else { 7 }))
        .collect();
    println!("tiles: 1000×1000, order 1");
    let counts: Vec<Point> = [5.0, 15.0, 30.0, 60.0, 100.0, 140.0]
        .iter()
        .map(|&fov| measure(&survey, "TAN", fov, (1000, 1000), 7))
        .collect();
    // An all-sky AIT reads every tile, but its distortion also sends more pixels to the
    // precise path: drawn, not fitted.
    let all_sky = measure(&survey, "AIT", 360.0, (1414, 707), 7);
    let all: Vec<Point> = sizes.iter().chain(&counts).copied().collect();
    let [a, b, c] = fit(&all);
    println!(
        "fit: {:.1} ms per Mpx + {:.2} ms per tile + {:.1} ms",
        1e3 * a,
        1e3 * b,
        1e3 * c
    );
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/scaling.png");
    let size = (1000u32, 420u32);
    let mut pixels = vec![255u8; (size.0 * size.1 * 3) as usize];
    draw(&sizes, &counts, all_sky, [a, b, c], &mut pixels, size).expect("the plot");
    image::RgbImage::from_raw(size.0, size.1, pixels)
        .expect("the plot's buffer")
        .save(path)
        .expect("docs/scaling.png written");
    println!("wrote {path}");
}

fn draw(
    sizes: &[Point],
    counts: &[Point],
    all_sky: Point,
    [a, b, c]: [f64; 3],
    pixels: &mut [u8],
    size: (u32, u32),
) -> Result<(), String> {
    let text = |e: &dyn std::fmt::Display| e.to_string();
    plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| "the font does not load".to_string())?;
    let root = BitMapBackend::with_buffer(pixels, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| text(&e))?;
    let (left, right) = root.split_horizontally(500);
    let model = |mpx: f64, tiles: f64| 1e3 * (a * mpx + b * tiles + c);
    draw_sizes(&left, sizes, &model)?;
    draw_tiles(&right, counts, all_sky, &model)?;
    root.present().map_err(|e| e.to_string())
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;

/// The left panel: time against output size, log-log, with the fit at the sweep's tile count.
fn draw_sizes(left: &Area, sizes: &[Point], model: &dyn Fn(f64, f64) -> f64) -> Result<(), String> {
    let text = |e: &dyn std::fmt::Display| e.to_string();
    let max_mpx = sizes.iter().map(|p| p.mpx).fold(0.0, f64::max);
    let max_ms = sizes.iter().map(|p| 1e3 * p.seconds).fold(0.0, f64::max);
    let mut chart = ChartBuilder::on(left)
        .caption("time against output size", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(
            (0.2..max_mpx * 1.3).log_scale(),
            (1.0..max_ms * 1.5).log_scale(),
        )
        .map_err(|e| text(&e))?;
    chart
        .configure_mesh()
        .x_desc("output Mpx (TAN 60°, order 1)")
        .y_desc("ms")
        .x_label_formatter(&|v| format!("{v}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style(("sans-serif", 12))
        .draw()
        .map_err(|e| text(&e))?;
    let tiles = sizes.first().map_or(0.0, |p| p.tiles);
    chart
        .draw_series(LineSeries::new(
            (0..=40).map(|k| {
                let mpx = 0.2 * (max_mpx * 1.3 / 0.2).powf(k as f64 / 40.0);
                (mpx, model(mpx, tiles).max(1.0))
            }),
            &RED,
        ))
        .map_err(|e| text(&e))?
        .label("fit")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], RED));
    chart
        .draw_series(
            sizes
                .iter()
                .map(|p| Circle::new((p.mpx, 1e3 * p.seconds), 4, BLUE.filled())),
        )
        .map_err(|e| text(&e))?
        .label("measured")
        .legend(|(x, y)| Circle::new((x + 8, y), 4, BLUE.filled()));
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .label_font(("sans-serif", 12))
        .draw()
        .map_err(|e| text(&e))?;
    Ok(())
}

/// The right panel: time against tiles at a fixed size, with the fit and the all-sky point.
fn draw_tiles(
    right: &Area,
    counts: &[Point],
    all_sky: Point,
    model: &dyn Fn(f64, f64) -> f64,
) -> Result<(), String> {
    let text = |e: &dyn std::fmt::Display| e.to_string();
    let max_tiles = all_sky
        .tiles
        .max(counts.iter().map(|p| p.tiles).fold(1.0, f64::max));
    let max_ms =
        (1e3 * all_sky.seconds).max(counts.iter().map(|p| 1e3 * p.seconds).fold(1.0, f64::max));
    let mut chart = ChartBuilder::on(right)
        .caption("time against tiles", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..max_tiles * 1.1, 0.0..max_ms * 1.2)
        .map_err(|e| text(&e))?;
    chart
        .configure_mesh()
        .x_desc("tiles read (1 Mpx TAN 5°-140°, order 1)")
        .y_desc("ms")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style(("sans-serif", 12))
        .draw()
        .map_err(|e| text(&e))?;
    let mpx = counts.first().map_or(1.0, |p| p.mpx);
    chart
        .draw_series(LineSeries::new(
            [0.0, max_tiles * 1.1].map(|t| (t, model(mpx, t))),
            &RED,
        ))
        .map_err(|e| text(&e))?;
    chart
        .draw_series(
            counts
                .iter()
                .map(|p| Circle::new((p.tiles, 1e3 * p.seconds), 4, BLUE.filled())),
        )
        .map_err(|e| text(&e))?
        .label("TAN, measured")
        .legend(|(x, y)| Circle::new((x + 8, y), 4, BLUE.filled()));
    chart
        .draw_series([TriangleMarker::new(
            (all_sky.tiles, 1e3 * all_sky.seconds),
            6,
            BLACK.filled(),
        )])
        .map_err(|e| text(&e))?
        .label("AIT all-sky (not fitted)")
        .legend(|(x, y)| TriangleMarker::new((x + 8, y), 6, BLACK.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .border_style(BLACK)
        .label_font(("sans-serif", 12))
        .draw()
        .map_err(|e| text(&e))?;
    Ok(())
}
