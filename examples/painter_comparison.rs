//! Renders one field with both painters and writes them side by side with their difference
//! (amplified 64×) to docs/painters.png — the picture in the README.
//!
//!     cargo run --release --example painter_comparison

use hipscut::{render, Frame, Painter, Projection, RenderRequest, Survey, View};

fn main() -> anyhow::Result<()> {
    let survey = Survey::open(None)?; // the embedded Mellinger sky
    let base = RenderRequest::new(
        View::default()
            .centre(10.0, 0.0)
            .frame(Frame::Galactic)
            .fov(60.0)
            .size(360, 300)
            .projection(Projection::Zea),
    );
    let precise = render(&survey, &base.clone().painter(Painter::Precise))?;
    let projective = render(&survey, &base.painter(Painter::Projective))?;
    let (w, h) = (360u32, 300u32);
    let gap = 8;
    let mut canvas = image::RgbImage::from_pixel(3 * w + 2 * gap, h, image::Rgb([255, 255, 255]));
    let (mut max, mut sum, mut n) = (0f32, 0f64, 0usize);
    for y in 0..h {
        for x in 0..w {
            let a = precise.image.pixel(y as usize, x as usize);
            let b = projective.image.pixel(y as usize, x as usize);
            let to_u8 = |v: f32| {
                if v.is_nan() {
                    255
                } else {
                    v.round().clamp(0.0, 255.0) as u8
                }
            };
            canvas.put_pixel(x, y, image::Rgb([to_u8(a[0]), to_u8(a[1]), to_u8(a[2])]));
            canvas.put_pixel(
                x + w + gap,
                y,
                image::Rgb([to_u8(b[0]), to_u8(b[1]), to_u8(b[2])]),
            );
            let d = (0..3).map(|c| (a[c] - b[c]).abs()).fold(0f32, f32::max);
            if d.is_finite() {
                max = max.max(d);
                sum += d as f64;
                n += 1;
            }
            let level = if d.is_finite() {
                (d * 64.0).min(255.0) as u8
            } else {
                0
            };
            canvas.put_pixel(x + 2 * (w + gap), y, image::Rgb([level, level, level]));
        }
    }
    canvas.save("docs/painters.png")?;
    println!(
        "docs/painters.png: |precise − projective| max {max:.2}, mean {:.4} grey levels; \
         {:.1}% of projective pixels sampled precisely",
        sum / n as f64,
        100.0 * projective.stats.pixels_precise as f64 / projective.stats.pixels_painted as f64
    );
    Ok(())
}
