//! Surveys with a coverage map (`Moc.fits`): no tile outside it is asked for, pixels there are
//! no data without a request and without counting as failures, and the MOC is fetched once.

mod support;

use hipscut::internals::TileId;
use hipscut::{render, FetchOptions, OpenOptions, Projection, RenderRequest, Survey, View};
use std::time::Duration;
use support::server::TestServer;
use support::AnalyticSurvey;

/// Order-2 tiles within 30° of (30°, 20°) and, with `moc`, a MOC of them.
fn patch(dir: &std::path::Path, moc: bool) -> std::path::PathBuf {
    AnalyticSurvey {
        orders: vec![2],
        order_max: 2,
        near: Some((
            hipscut::internals::lonlat_to_xyz(30f64.to_radians(), 20f64.to_radians()),
            30.0,
        )),
        moc,
        ..Default::default()
    }
    .write(dir)
}

fn options(cache: &std::path::Path) -> OpenOptions {
    OpenOptions {
        fetch: FetchOptions {
            concurrency: 4,
            timeout: Duration::from_secs(5),
            cache_dir: Some(cache.to_path_buf()),
            ..FetchOptions::default()
        },
        ..OpenOptions::default()
    }
}

/// An all-sky view at order 2: most of its tiles lie outside the patch.
fn all_sky() -> RenderRequest {
    RenderRequest::new(
        View::default()
            .fov(360.0)
            .size(240, 120)
            .projection(Projection::Ait),
    )
    .order(2)
    .strict(true)
}

/// The tiles requested from `server` (paths of Norder2 files), as tile IDs.
fn requested_tiles(server: &TestServer) -> Vec<TileId> {
    server
        .request_counts()
        .keys()
        .filter_map(|p| {
            let name = p.rsplit('/').next()?;
            let ipix = name.strip_prefix("Npix")?.split('.').next()?.parse().ok()?;
            p.contains("Norder2").then(|| TileId::new(2, ipix))
        })
        .collect()
}

#[test]
fn no_tile_outside_the_coverage_is_asked_for() {
    let with = tempfile::tempdir().unwrap();
    let without = tempfile::tempdir().unwrap();
    let (root_with, root_without) = (patch(with.path(), true), patch(without.path(), false));

    let server = TestServer::start(&root_without);
    let survey =
        Survey::open_with(Some(&server.url()), &options(&without.path().join("c"))).unwrap();
    assert!(survey.coverage.is_none() && survey.coverage_problem.is_none());
    let plain = render(&survey, &all_sky().strict(false)).unwrap();
    let asked_without = requested_tiles(&server);
    assert!(plain.stats.missing > 100, "{} missing", plain.stats.missing);

    let server = TestServer::start(&root_with);
    let survey = Survey::open_with(Some(&server.url()), &options(&with.path().join("c"))).unwrap();
    let coverage = survey.coverage.clone().expect("the survey's MOC");
    assert_eq!(coverage.order(), 2);
    assert!(survey.describe().contains("of the sky (MOC of order 2)"));
    let rendered = render(&survey, &all_sky()).expect("strict: outside is not a failure");
    let asked = requested_tiles(&server);
    assert!(!asked.is_empty());
    for tile in &asked {
        assert!(
            coverage.touches(*tile),
            "{tile:?} outside the MOC was asked for"
        );
    }
    let s = &rendered.stats;
    assert_eq!((s.missing, s.failed), (0, 0), "every tile asked for exists");
    assert!(
        s.outside_coverage > 100,
        "{} tiles saved",
        s.outside_coverage
    );
    assert!(asked_without.len() > asked.len() + 100);
    assert_eq!(server.requests("Moc.fits"), 1);
    support::assert_bit_identical(&rendered.image, &plain.image, "with and without the MOC");

    // A second opening reads the MOC from the disk cache.
    let again = Survey::open_with(Some(&server.url()), &options(&with.path().join("c"))).unwrap();
    assert!(again.coverage.is_some());
    assert_eq!(server.requests("Moc.fits"), 1, "the MOC is fetched once");

    // A local survey reads it too.
    let local = Survey::open(Some(root_with.to_str().unwrap())).unwrap();
    assert!(local.coverage.is_some());
}

#[test]
fn a_broken_moc_is_reported_and_the_survey_used_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = patch(dir.path(), false);
    std::fs::write(root.join("Moc.fits"), b"SIMPLE  = not a MOC").unwrap();
    let survey = Survey::open(Some(root.to_str().unwrap())).unwrap();
    assert!(survey.coverage.is_none());
    let problem = survey.coverage_problem.clone().unwrap();
    assert!(problem.contains("Moc.fits"), "{problem}");
    assert!(
        survey.describe().contains(&format!("unknown ({problem})")),
        "{}",
        survey.describe()
    );
    assert!(render(&survey, &all_sky().strict(false)).is_ok());
}
