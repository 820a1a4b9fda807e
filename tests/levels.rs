//! Which levels a render reads from a survey whose shallow orders are absent: with
//! `hips_order_min = 3` stated, a wide field reads the order-3 Allsky and no tile; with no
//! `hips_order_min` (0), it asks for the shallow tiles and falls back to the Allsky.

mod support;

use hipscut::{render, OpenOptions, Projection, RenderRequest, Survey, View};
use support::server::TestServer;
use support::AnalyticSurvey;

/// Tiles of 16 px at order 3 only, and the order-3 Allsky (16-px cells).
fn order_three_survey(dir: &std::path::Path) -> std::path::PathBuf {
    AnalyticSurvey {
        tile_width: 16,
        orders: vec![3],
        order_max: 3,
        allsky: true,
        ..Default::default()
    }
    .write(dir)
}

fn all_sky() -> RenderRequest {
    RenderRequest::new(
        View::default()
            .fov(360.0)
            .size(240, 120)
            .projection(Projection::Ait),
    )
    .strict(true)
}

fn tiles_asked(server: &TestServer) -> usize {
    server.requests("/Npix")
}

#[test]
fn a_wide_field_reads_the_allsky_when_the_shallow_orders_are_absent() {
    let dir = tempfile::tempdir().unwrap();
    let root = order_three_survey(dir.path());
    let properties = std::fs::read_to_string(root.join("properties")).unwrap();
    assert!(properties.contains("hips_order_min = 3"));

    let server = TestServer::start(&root);
    let survey = Survey::open_with(Some(&server.url()), &OpenOptions::default()).unwrap();
    let stated = render(&survey, &all_sky()).unwrap();
    assert_eq!(
        tiles_asked(&server),
        0,
        "no tile asked for: {:?}",
        server.request_counts()
    );
    assert_eq!(server.requests("Allsky"), 1);
    assert!(stated.stats.allsky_used);
    assert_eq!(stated.order, 3);
    let s = &stated.stats;
    assert_eq!((s.missing, s.failed, s.fetched), (0, 0, 1));

    // Without `hips_order_min` the survey starts at order 0: its shallow tiles are asked for
    // (and are missing), then the Allsky fills in, with the same picture.
    let unstated = properties.replace("hips_order_min = 3\n", "");
    std::fs::write(root.join("properties"), unstated).unwrap();
    let server = TestServer::start(&root);
    let survey = Survey::open_with(Some(&server.url()), &OpenOptions::default()).unwrap();
    assert_eq!(survey.properties.order_min, 0);
    let fallen_back = render(&survey, &all_sky().strict(false)).unwrap();
    assert!(tiles_asked(&server) > 40, "{:?}", server.request_counts());
    assert!(fallen_back.stats.missing > 40 && fallen_back.stats.allsky_used);
    support::assert_bit_identical(&stated.image, &fallen_back.image, "Allsky either way");
    // Every pixel on the projection has data.
    let g = &stated.geometry;
    for row in 0..g.height {
        for col in 0..g.width {
            let on_sky = g.pixel_to_sky(col as f64, row as f64).is_some();
            assert_eq!(stated.image.has_data(row, col), on_sky, "({col}, {row})");
        }
    }
}

/// Without an Allsky, the same field reads the order-3 tiles it covers, as before.
#[test]
fn without_an_allsky_the_tiles_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = order_three_survey(dir.path());
    std::fs::remove_file(root.join("Norder3/Allsky.fits")).unwrap();
    let server = TestServer::start(&root);
    let survey = Survey::open_with(Some(&server.url()), &OpenOptions::default()).unwrap();
    let rendered = render(&survey, &all_sky()).unwrap();
    assert_eq!(server.requests("Allsky"), 4, "looked for at orders 3 to 0");
    assert!(tiles_asked(&server) > 700, "{:?}", tiles_asked(&server));
    let s = &rendered.stats;
    assert_eq!((s.failed, s.allsky_used), (0, false));
    assert_eq!(s.missing, 1, "only the Allsky");
}
