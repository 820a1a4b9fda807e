//! The projective painter against the precise one on real 8-bit data (the embedded Mellinger
//! sky), in the settings that stress it: a small TAN field, an all-sky AIT, CAR across lon 180
//! and SIN at a pole.

use hipscut::{render, Frame, Painter, Raster, RenderRequest, Survey, View};

fn render_with(survey: &Survey, req: &RenderRequest, painter: Painter) -> (Raster, f64) {
    let req = req.clone().painter(painter);
    let r = render(survey, &req).unwrap();
    let precise_share = r.stats.pixels_precise as f64 / r.stats.pixels_painted as f64;
    (r.image, precise_share)
}

#[test]
fn projective_matches_precise_within_a_fraction_of_a_grey_level() {
    let survey = Survey::open(None).unwrap();
    let cases = [
        (
            "TAN small field",
            "TAN",
            83.6,
            22.0,
            3.0,
            300,
            300,
            Frame::Icrs,
        ),
        (
            "AIT all-sky",
            "AIT",
            0.0,
            0.0,
            360.0,
            600,
            300,
            Frame::Galactic,
        ),
        (
            "CAR across lon 180",
            "CAR",
            180.0,
            0.0,
            90.0,
            400,
            200,
            Frame::Icrs,
        ),
        (
            "SIN at a pole",
            "SIN",
            0.0,
            90.0,
            90.0,
            300,
            300,
            Frame::Icrs,
        ),
    ];
    for (label, projection, lon, lat, fov, width, height, frame) in cases {
        let req = RenderRequest::new(
            View::default()
                .centre(lon, lat)
                .frame(frame)
                .fov(fov)
                .size(width, height)
                .projection(projection.parse().unwrap()),
        );
        let (precise, _) = render_with(&survey, &req, Painter::Precise);
        let (projective, share) = render_with(&survey, &req, Painter::Projective);
        let (mut max, mut sum, mut n, mut coverage_differs) = (0f64, 0f64, 0usize, 0usize);
        for (a, b) in precise.data.iter().zip(&projective.data) {
            match (a.is_nan(), b.is_nan()) {
                (false, false) => {
                    let d = (*a as f64 - *b as f64).abs();
                    max = max.max(d);
                    sum += d;
                    n += 1;
                }
                (true, true) => {}
                _ => coverage_differs += 1,
            }
        }
        let mean = sum / n as f64;
        eprintln!(
            "{label}: projective vs precise, max {max:.3} mean {mean:.4} grey levels over {n} \
             samples; {:.1}% of pixels sampled precisely",
            100.0 * share
        );
        assert_eq!(
            coverage_differs, 0,
            "{label}: the painters cover different pixels"
        );
        assert!(mean < 0.1, "{label}: mean difference {mean} grey levels");
        assert!(max < 8.0, "{label}: max difference {max} grey levels");
    }
}
