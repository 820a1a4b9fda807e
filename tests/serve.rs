//! `hipscut serve` over loopback: hips2fits's parameters and every error path with its status
//! and JSON body, byte identity with `hipscut render`, ETag/304, HEAD, CORS, POST forms,
//! admission (503), a disconnected client's render stopped, graceful shutdown (also of the
//! binary on SIGTERM), metrics, and a faulty tile server that loses no request.

mod support;

use hipscut::{Engine, EngineOptions, FetchOptions, ServeOptions, Server};
use reqwest::header::{HeaderMap, ETAG};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use support::server::{Fault, TestServer};
use support::AnalyticSurvey;
use tokio::io::AsyncWriteExt;

/// A running service and the handles to stop and inspect it.
struct Service {
    url: String,
    engine: Engine,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<hipscut::Result<()>>,
}

fn engine() -> Engine {
    let mut options = EngineOptions::default();
    options.fetch = FetchOptions {
        retries: 1,
        timeout: Duration::from_secs(5),
        backoff: Duration::from_millis(5),
        use_cache: false,
        ..FetchOptions::default()
    };
    Engine::new(options).unwrap()
}

/// Serves `surveys` (ID, location) with `tune` applied to the options, on a free port.
async fn start(surveys: &[(&str, String)], tune: impl FnOnce(&mut ServeOptions)) -> Service {
    let mut options = ServeOptions::default();
    options.listen = "127.0.0.1:0".parse().unwrap();
    options.surveys = surveys
        .iter()
        .map(|(id, loc)| (Some(id.to_string()), loc.clone()))
        .collect();
    tune(&mut options);
    let engine = engine();
    let server = Server::bind(engine.clone(), options).await.unwrap();
    let url = format!("http://{}", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(server.run_until(async move {
        let _ = stopped.await;
    }));
    Service {
        url,
        engine,
        stop: Some(stop),
        done,
    }
}

impl Service {
    async fn get(&self, query: &str) -> reqwest::Response {
        client()
            .get(format!("{}/hips2fits?{query}", self.url))
            .send()
            .await
            .unwrap()
    }

    async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.done.await.unwrap().unwrap();
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// The JSON problem of a refused request, checked to have its two fields.
async fn problem(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(kind, "application/json", "status {status}");
    let body: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    let field = |name: &str| body[name].as_str().unwrap_or_default().to_string();
    (status, field("title"), field("description"))
}

const FIELD: &str = "hips=analytic&ra=30&dec=20&fov=40&width=64&height=48";

#[tokio::test(flavor = "multi_thread")]
async fn every_error_path_has_its_status_and_json_body() {
    let dir = tempfile::tempdir().unwrap();
    let root = AnalyticSurvey::three_orders().write(dir.path());
    let patch = AnalyticSurvey {
        near: Some(([1.0, 0.0, 0.0], 20.0)),
        ..Default::default()
    }
    .write(&dir.path().join("patch"));
    let surveys = [
        ("analytic", root.display().to_string()),
        ("patch", patch.display().to_string()),
    ];
    let service = start(&surveys, |o| {
        o.max_pixels = 10_000;
        o.max_fov = 90.0;
    })
    .await;
    let root_text = root.display().to_string();
    let cases = [
        (
            "ra=30&dec=20&fov=40&width=64&height=48".to_string(),
            400,
            "Missing parameter",
            "`hips`",
        ),
        (
            "hips=analytic&dec=20&fov=40&width=64&height=48".into(),
            400,
            "Missing parameter",
            "`ra`",
        ),
        (
            format!("{FIELD}&fov=x"),
            400,
            "Parameter given twice",
            "`fov`",
        ),
        (
            "hips=analytic&ra=30&dec=20&fov=x&width=64&height=48".into(),
            400,
            "Bad number",
            "`fov`",
        ),
        (
            "hips=analytic&ra=30&dec=20&fov=120&width=64&height=48".into(),
            400,
            "Bad parameter",
            "90",
        ),
        (
            "hips=analytic&ra=30&dec=20&fov=4&width=0&height=48".into(),
            400,
            "Bad number",
            "`width`",
        ),
        (
            "hips=analytic&ra=30&dec=20&fov=4&width=200&height=100".into(),
            400,
            "Image too large",
            "10000",
        ),
        (
            format!("{FIELD}&projection=QQQ"),
            400,
            "Bad parameter",
            "QQQ",
        ),
        (
            format!("{FIELD}&format=gif"),
            400,
            "Bad parameter",
            "`format`",
        ),
        (
            FIELD.replace("analytic", "CDS/P/nowhere"),
            404,
            "Unknown HiPS",
            "CDS/P/nowhere",
        ),
        (
            FIELD.replace("analytic", "http://127.0.0.1:9/x"),
            400,
            "Not a survey ID",
            "URL",
        ),
        (
            FIELD.replace("analytic", &root_text),
            400,
            "Not a survey ID",
            "path",
        ),
        (
            FIELD.replace("analytic", "../../etc"),
            400,
            "Not a survey ID",
            "path",
        ),
        (
            "hips=analytic&wcs=%7B%22NAXIS1%22".into(),
            400,
            "Bad WCS",
            "`wcs`",
        ),
        (
            "hips=analytic&wcs=%7B%22NAXIS1%22%3A10%7D".into(),
            400,
            "Bad WCS",
            "`wcs`",
        ),
        (
            "hips=patch&ra=200&dec=-80&fov=1&width=20&height=20".into(),
            404,
            "No data",
            "no output pixel",
        ),
    ];
    for (query, status, title, names) in cases {
        let got = problem(service.get(&query).await).await;
        assert_eq!(
            (got.0, got.1.as_str()),
            (status, title),
            "{query}: {}",
            got.2
        );
        assert!(got.2.contains(names), "{query}: {}", got.2);
        // Where the server reads its surveys from is not told.
        let place = dir.path().display().to_string();
        assert!(
            !got.2.contains(&place) || query.contains(&place),
            "{query}: {}",
            got.2
        );
    }
    let other = client()
        .get(format!("{}/nothing", service.url))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(other).await.1, "Not found");
    let multipart = client()
        .post(format!("{}/hips2fits", service.url))
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x--")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(multipart).await.0, 415);
    let huge = client()
        .post(format!("{}/hips2fits", service.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 300 << 10])
        .send()
        .await
        .unwrap();
    assert_eq!(problem(huge).await.1, "Form too large");
    service.shutdown().await;
}

/// `hipscut render` with `args`, its output's bytes.
fn cli_render(args: &[&str], output: &Path) -> Vec<u8> {
    let status = Command::new(env!("CARGO_BIN_EXE_hipscut"))
        .args(["render", "-q", "--no-cache"])
        .args(args)
        .arg("-o")
        .arg(output)
        .status()
        .unwrap();
    assert!(status.success(), "{args:?}");
    std::fs::read(output).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_bytes_as_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = AnalyticSurvey::three_orders().write(dir.path());
    let survey = root.display().to_string();
    let service = start(&[("analytic", survey.clone())], |_| {}).await;
    let display = "&stretch=asinh&min_cut=1%25&max_cut=99%25&cmap=viridis&inverted=true";
    let query = "hips=analytic&ra=30&dec=20&fov=40&width=70&height=50&projection=SIN\
                 &coordsys=galactic&rotation_angle=30";
    let cli = [
        "--survey",
        &survey,
        "--lon",
        "30",
        "--lat",
        "20",
        "--fov",
        "40",
        "--width",
        "70",
        "--height",
        "50",
        "--projection",
        "SIN",
        "--frame",
        "galactic",
        "--rotation",
        "30",
    ];
    let cli_display = [
        "--stretch",
        "asinh",
        "--min-cut",
        "1%",
        "--max-cut",
        "99%",
        "--cmap",
        "viridis",
        "--inverted",
    ];
    for (format, kind) in [
        ("fits", "application/fits"),
        ("png", "image/png"),
        ("jpg", "image/jpeg"),
    ] {
        let response = service
            .get(&format!("{query}&format={format}{display}"))
            .await;
        assert_eq!(response.status(), 200, "{format}");
        assert_eq!(response.headers()["content-type"], kind);
        let served = response.bytes().await.unwrap();
        let output = dir.path().join(format!("cli.{format}"));
        let mut args = cli.to_vec();
        args.extend(cli_display);
        assert!(
            served[..] == cli_render(&args, &output)[..],
            "{format} differs from the CLI's"
        );
    }
    // A WCS as astroquery sends it, against the same header given to --wcs.
    let wcs = r#"{"WCSAXES": 2, "CRPIX1": 40.5, "CRPIX2": 20.5, "CDELT1": -0.5, "CDELT2": 0.5,
        "CUNIT1": "deg", "CUNIT2": "deg", "CTYPE1": "RA---AIT", "CTYPE2": "DEC--AIT",
        "CRVAL1": 30.0, "CRVAL2": 20.0, "LONPOLE": 180.0, "LATPOLE": 20.0, "NAXIS1": 80,
        "NAXIS2": 40}"#;
    let header = dir.path().join("field.json");
    std::fs::write(&header, wcs).unwrap();
    let encoded: String = form_urlencoded::byte_serialize(wcs.as_bytes()).collect();
    let served = service.get(&format!("hips=analytic&wcs={encoded}")).await;
    assert_eq!(served.status(), 200);
    let served = served.bytes().await.unwrap();
    let args = ["--survey", &survey, "--wcs", header.to_str().unwrap()];
    let output = dir.path().join("wcs.fits");
    assert!(
        served[..] == cli_render(&args, &output)[..],
        "the WCS render differs"
    );
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn etags_head_cors_and_forms() {
    let dir = tempfile::tempdir().unwrap();
    let root = AnalyticSurvey::three_orders().write(dir.path());
    let service = start(&[("analytic", root.display().to_string())], |o| {
        o.cors_origins = vec!["https://pages.example".into()];
        o.max_age = Duration::from_secs(600);
    })
    .await;
    let first = service.get(&format!("{FIELD}&format=png")).await;
    assert_eq!(first.status(), 200);
    let tag = first.headers()[ETAG].clone();
    assert_eq!(first.headers()["cache-control"], "public, max-age=600");
    let body = first.bytes().await.unwrap();
    // The same render asked in other words has the same tag, and a conditional GET gets 304.
    let same = FIELD
        .replace("fov=40", "fov=40.0")
        .replace("ra=30", "ra=2:00:00");
    let again = client()
        .get(format!("{}/hips2fits?{same}&format=png", service.url))
        .header(
            "if-none-match",
            format!("\"other\", W/{}", tag.to_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()[ETAG], tag);
    assert!(again.bytes().await.unwrap().is_empty());
    let other = service
        .get(&format!("{FIELD}&format=png&stretch=sqrt"))
        .await;
    assert_ne!(other.headers()[ETAG], tag, "another display, another tag");
    // HEAD: the headers of GET, no body.
    let head = client()
        .head(format!("{}/hips2fits?{FIELD}&format=png", service.url))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()[ETAG], tag);
    assert_eq!(
        head.headers()["content-length"],
        body.len().to_string().as_str()
    );
    assert!(head.bytes().await.unwrap().is_empty());
    // POST with a form, as the real service takes it.
    let posted = client()
        .post(format!("{}/hips2fits", service.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("{FIELD}&format=png"))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    assert_eq!(posted.bytes().await.unwrap(), body);
    // CORS: the named origin is allowed, another is not.
    let cors = |origin: &'static str| {
        client()
            .get(format!("{}/hips2fits?{FIELD}&format=png", service.url))
            .header("origin", origin)
            .send()
    };
    let allowed = cors("https://pages.example").await.unwrap();
    let headers: &HeaderMap = allowed.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://pages.example"
    );
    assert!(headers["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .contains("etag"));
    let refused = cors("https://elsewhere.example").await.unwrap();
    assert!(!refused
        .headers()
        .contains_key("access-control-allow-origin"));
    service.shutdown().await;
}

/// A served copy of the analytic survey whose tiles take `latency` each.
fn slow_survey(dir: &Path, latency: Duration) -> TestServer {
    TestServer::start_slow(&AnalyticSurvey::three_orders().write(dir), latency)
}

/// Waits until `tiles` has been asked for a tile: a render is under way.
async fn until_a_tile_is_asked(tiles: &TestServer) {
    let waited = Instant::now();
    while tiles.requests("Norder") == 0 {
        assert!(
            waited.elapsed() < Duration::from_secs(10),
            "no tile was asked for"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn beyond_the_queue_requests_get_503_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let tiles = slow_survey(dir.path(), Duration::from_millis(400));
    let service = start(&[("slow", tiles.url())], |o| {
        o.max_renders = 1;
        o.max_queue = Some(1);
    })
    .await;
    let asks = (0..5).map(|k| {
        let query = format!("hips=slow&ra={}&dec=20&fov=40&width=32&height=32", 10 * k);
        let url = format!("{}/hips2fits?{query}", service.url);
        tokio::spawn(async move { client().get(url).send().await.unwrap() })
    });
    let (mut ok, mut busy) = (0, 0);
    for ask in asks.collect::<Vec<_>>() {
        let response = ask.await.unwrap();
        match response.status().as_u16() {
            200 => ok += 1,
            503 => {
                assert_eq!(response.headers()["retry-after"], "1");
                assert_eq!(problem(response).await.1, "Server busy");
                busy += 1;
            }
            other => panic!("status {other}"),
        }
    }
    assert_eq!(
        (ok, busy),
        (2, 3),
        "one rendering, one waiting, the rest turned away"
    );
    let metrics = client()
        .get(format!("{}/metrics", service.url))
        .send()
        .await
        .unwrap();
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains("hipscut_requests_total{route=\"/hips2fits\",status=\"503\"} 3"),
        "{text}"
    );
    assert!(text.contains("hipscut_renders_in_flight 0"), "{text}");
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_goes_away_stops_its_render() {
    let dir = tempfile::tempdir().unwrap();
    let tiles = slow_survey(dir.path(), Duration::from_millis(300));
    let service = start(&[("slow", tiles.url())], |o| o.max_renders = 4).await;
    let address = service.url.trim_start_matches("http://").to_string();
    let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
    let request = format!(
        "GET /hips2fits?hips=slow&ra=0&dec=0&fov=180&width=256&height=128&projection=AIT \
         HTTP/1.1\r\nHost: {address}\r\n\r\n"
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    until_a_tile_is_asked(&tiles).await;
    assert!(service.engine.live_tasks() > 0);
    drop(socket);
    let dropped = Instant::now();
    while service.engine.live_tasks() > 0 {
        assert!(
            dropped.elapsed() < Duration::from_secs(3),
            "the render kept running"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let asked = tiles.requests("Norder");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        tiles.requests("Norder"),
        asked,
        "tiles were still asked for"
    );
    let text = client()
        .get(format!("{}/metrics", service.url))
        .send()
        .await
        .unwrap();
    assert!(text
        .text()
        .await
        .unwrap()
        .contains("route=\"/hips2fits\",status=\"499\"} 1"));
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_finishes_the_requests_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let tiles = slow_survey(dir.path(), Duration::from_millis(300));
    let mut service = start(&[("slow", tiles.url())], |_| {}).await;
    let url = format!(
        "{}/hips2fits?hips=slow&ra=0&dec=0&fov=60&width=64&height=64",
        service.url
    );
    let in_flight = tokio::spawn(async move { client().get(url).send().await.unwrap() });
    until_a_tile_is_asked(&tiles).await;
    let _ = service.stop.take().unwrap().send(());
    let response = in_flight.await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.unwrap().starts_with(b"SIMPLE  ="));
    service.done.await.unwrap().unwrap();
    let refused = tokio::net::TcpStream::connect(service.url.trim_start_matches("http://")).await;
    assert!(refused.is_err(), "the listener is closed");
}

#[test]
fn the_binary_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let root = AnalyticSurvey::three_orders().write(dir.path());
    let mut child = Command::new(env!("CARGO_BIN_EXE_hipscut"))
        .args(["serve", "--listen", "127.0.0.1:0", "--no-cache", "--survey"])
        .arg(format!("analytic={}", root.display()))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line}"))
        .trim_end_matches('/')
        .to_string();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let status = runtime.block_on(async {
        let health = client().get(format!("{url}/health")).send().await.unwrap();
        assert_eq!(health.text().await.unwrap(), r#"{"status":"ok"}"#);
        let response = client()
            .get(format!("{url}/hips2fits?{FIELD}&format=png"))
            .send()
            .await
            .unwrap();
        response.status().as_u16()
    });
    assert_eq!(status, 200);
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    let mut log = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut log).unwrap();
    for line in [
        "route=\"/health\" status=200",
        "route=\"/hips2fits\" status=200",
    ] {
        assert!(log.contains(line), "one line per request: {log}");
    }
    assert!(log.contains("shutting down"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_faulty_tile_server_loses_no_request() {
    let dir = tempfile::tempdir().unwrap();
    let tiles = TestServer::start(&AnalyticSurvey::three_orders().write(dir.path()));
    for (k, fault) in [
        Fault::Status(503),
        Fault::Drop,
        Fault::Truncate,
        Fault::Garbage,
        Fault::Hang(Duration::from_secs(8)),
        Fault::Status(404),
    ]
    .into_iter()
    .enumerate()
    {
        tiles.fault(&format!("Npix{}", k * 7), fault, None);
    }
    let service = start(&[("faulty", tiles.url())], |o| {
        o.render_time = Duration::from_secs(4);
        o.max_queue = Some(200);
    })
    .await;
    let asks: Vec<_> = (0..60)
        .map(|k| {
            let query = format!(
                "hips=faulty&ra={}&dec={}&fov=30&width=48&height=48&format=png",
                (k * 37) % 360,
                (k * 13) % 140 - 70
            );
            let url = format!("{}/hips2fits?{query}", service.url);
            tokio::spawn(async move { client().get(url).send().await })
        })
        .collect();
    let (mut images, mut errors) = (0, 0);
    for ask in asks {
        let response = ask.await.unwrap().expect("every request is answered");
        if response.status() == 200 {
            let bytes = response.bytes().await.unwrap();
            assert!(bytes.starts_with(b"\x89PNG"), "an image");
            images += 1;
        } else {
            let (status, title, _) = problem(response).await;
            assert!([502, 504].contains(&status), "{status} {title}");
            errors += 1;
        }
    }
    assert_eq!(images + errors, 60);
    assert!(
        images > 0,
        "faults in some tiles spoil no whole render: {errors} errors"
    );
    service.shutdown().await;
}
