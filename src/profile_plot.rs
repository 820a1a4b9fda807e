//! The profile drawn: CPU use and resident memory over time, the stages shaded (plotters,
//! with a font built into the binary so that it draws on machines without fonts).

use crate::encode::write_atomically;
use crate::error::{Error, Result};
use crate::profile::Sample;
use plotters::prelude::*;
use std::path::Path;

/// DejaVu Sans Mono (Bitstream Vera licence, assets/fonts/DejaVu-LICENSE).
const FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSansMono.ttf");
const SIZE: (u32, u32) = (900, 480);
const STAGE_COLOURS: [RGBColor; 5] = [
    RGBColor(230, 230, 250),
    RGBColor(255, 240, 220),
    RGBColor(225, 245, 225),
    RGBColor(255, 225, 230),
    RGBColor(235, 235, 235),
];

/// Draws `samples` as a PNG at `path`, atomically: CPU percent (left axis, blue) and
/// resident MiB (right axis, red), each stage a shaded band named in the legend.
pub fn write_profile_plot(samples: &[Sample], path: &Path) -> Result<()> {
    let fail = |reason: String| Error::Write {
        path: path.to_path_buf(),
        reason,
    };
    if samples.len() < 2 {
        return Err(fail("a profile needs two samples to draw".into()));
    }
    let mut pixels = vec![255u8; (SIZE.0 * SIZE.1 * 3) as usize];
    draw(samples, &mut pixels).map_err(fail)?;
    let picture = image::RgbImage::from_raw(SIZE.0, SIZE.1, pixels)
        .ok_or_else(|| fail("the plot's buffer has the wrong size".into()))?;
    write_atomically(path, |tmp| {
        picture
            .save_with_format(tmp, image::ImageFormat::Png)
            .map_err(|e| fail(e.to_string()))
    })
}

fn draw(samples: &[Sample], pixels: &mut [u8]) -> std::result::Result<(), String> {
    let text = |e: &dyn std::fmt::Display| e.to_string();
    // Registering twice is harmless; without the font no text can be drawn.
    plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| "the built-in font does not load".to_string())?;
    let root = BitMapBackend::with_buffer(pixels, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| text(&e))?;
    let end = samples.last().map_or(1.0, |s| s.seconds).max(1e-3);
    let cpu_top = samples.iter().map(|s| s.cpu_percent).fold(100.0, f64::max) * 1.1;
    let rss_top = samples.iter().map(|s| s.rss_mib).fold(1.0, f64::max) * 1.1;
    let mut chart = ChartBuilder::on(&root)
        .caption("hipscut render: CPU and memory", ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .right_y_label_area_size(56)
        .build_cartesian_2d(0.0..end, 0.0..cpu_top)
        .map_err(|e| text(&e))?
        .set_secondary_coord(0.0..end, 0.0..rss_top);
    chart
        .configure_mesh()
        .x_desc("seconds")
        .y_desc("CPU %")
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(|e| text(&e))?;
    chart
        .configure_secondary_axes()
        .y_desc("resident MiB")
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(|e| text(&e))?;
    for (k, (stage, from, to)) in stage_spans(samples).into_iter().enumerate() {
        let colour = STAGE_COLOURS[k % STAGE_COLOURS.len()];
        chart
            .draw_series([Rectangle::new(
                [(from, 0.0), (to, cpu_top)],
                colour.filled(),
            )])
            .map_err(|e| text(&e))?
            .label(stage)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour.filled()));
    }
    let cpu = samples.iter().map(|s| (s.seconds, s.cpu_percent));
    chart
        .draw_series(LineSeries::new(cpu, BLUE.stroke_width(2)))
        .map_err(|e| text(&e))?
        .label("CPU %")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 14, y)], BLUE.stroke_width(2)));
    let rss = samples.iter().map(|s| (s.seconds, s.rss_mib));
    chart
        .draw_secondary_series(LineSeries::new(rss, RED.stroke_width(2)))
        .map_err(|e| text(&e))?
        .label("resident MiB")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 14, y)], RED.stroke_width(2)));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(|e| text(&e))?;
    root.present().map_err(|e| text(&e))
}

/// The stages and the time each spans: from its first sample to the next stage's.
fn stage_spans(samples: &[Sample]) -> Vec<(&'static str, f64, f64)> {
    let mut spans: Vec<(&'static str, f64, f64)> = Vec::new();
    for s in samples {
        match spans.last_mut() {
            Some(last) if last.0 == s.stage => last.2 = s.seconds,
            Some(last) => {
                last.2 = s.seconds;
                spans.push((s.stage, s.seconds, s.seconds));
            }
            None => spans.push((s.stage, s.seconds, s.seconds)),
        }
    }
    spans
}
