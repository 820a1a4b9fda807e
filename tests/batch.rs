//! `hipscut batch`: shared fetches, bad rows, resuming, unique names and shards.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::server::TestServer;
use support::AnalyticSurvey;

fn batch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hipscut"))
        .arg("batch")
        .args(args)
        .output()
        .expect("hipscut runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The report's lines.
fn report(out: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(out.join("batch-report.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The names of the fields the report says were rendered.
fn rendered(out: &Path) -> BTreeSet<String> {
    report(out)
        .iter()
        .filter(|l| l["status"] == "ok")
        .map(|l| l["name"].as_str().unwrap().to_string())
        .collect()
}

/// `n` overlapping fields in a 20° patch, as CSV.
fn overlapping(n: usize) -> String {
    let mut csv = String::from("name,ra,dec\n");
    for k in 0..n {
        csv.push_str(&format!(
            "f{k},{},{}\n",
            20.0 + (k % 5) as f64 * 4.0,
            10.0 + (k / 5) as f64 * 4.0
        ));
    }
    csv
}

/// The analytic survey under `dir`, served, and a list of `n` overlapping fields of it.
fn served_list(dir: &Path, n: usize) -> (TestServer, PathBuf) {
    let survey = AnalyticSurvey::default().write(dir);
    let list = dir.join("list.csv");
    std::fs::write(&list, overlapping(n)).unwrap();
    (TestServer::start(&survey), list)
}

#[test]
fn overlapping_fields_fetch_each_tile_once() {
    let dir = tempfile::tempdir().unwrap();
    let (server, list) = served_list(dir.path(), 20);
    let out = dir.path().join("out");
    let o = batch(&[
        list.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--set",
        &format!("survey={}", server.url()),
        "--set",
        "fov=15",
        "--set",
        "width=48",
        "--no-cache",
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let counts = server.request_counts();
    let tiles: Vec<_> = counts
        .iter()
        .filter(|(p, _)| p.contains("Norder"))
        .collect();
    assert!(
        tiles.iter().all(|(_, &n)| n == 1),
        "each tile once: {tiles:?}"
    );
    let lines = report(&out);
    let used: u64 = lines
        .iter()
        .map(|l| {
            l["tiles"]["fetched"].as_u64().unwrap() + l["tiles"]["from_memory"].as_u64().unwrap()
        })
        .sum();
    assert!(
        used > 3 * tiles.len() as u64,
        "fields share tiles: {used} uses of {}",
        tiles.len()
    );
    assert_eq!(lines.len(), 20);
    assert!(lines.iter().all(|l| l["status"] == "ok"));
    for k in 0..20 {
        assert!(out.join(format!("f{k}.png")).is_file());
    }
}

#[test]
fn bad_rows_are_reported_with_their_lines_and_the_rest_succeed_and_resume() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.jsonl");
    let rows = [
        r#"{"name": "crab", "ra": 83.63, "dec": 22.01}"#,
        r#"{"name": "nowhere", "ra": 400, "dec": 0}"#,
        r#"not json"#,
        r#"{"name": "gc", "ra": "17:45:40", "dec": "-29:00:28", "cmap": "jet"}"#,
        r#"{"name": "orion", "ra": 83.8, "dec": -5.4, "format": "fits"}"#,
    ];
    std::fs::write(&list, rows.join("\n")).unwrap();
    let out = dir.path().join("out");
    let run = |extra: &[&str]| {
        let mut args = vec![list.to_str().unwrap(), "--out-dir", out.to_str().unwrap()];
        args.extend_from_slice(&["--set", "fov=20", "--set", "width=32", "-q"]);
        args.extend_from_slice(extra);
        batch(&args)
    };
    let o = run(&[]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "some fields failed: {}",
        stderr(&o)
    );
    let lines = report(&out);
    let failed: BTreeSet<u64> = lines
        .iter()
        .filter(|l| l["status"] == "failed")
        .map(|l| l["line"].as_u64().unwrap())
        .collect();
    assert_eq!(failed, BTreeSet::from([2, 3, 4]), "{lines:?}");
    assert!(out.join("crab.png").is_file() && out.join("orion.fits").is_file());
    // Resumed: nothing rendered again; a changed row is.
    std::fs::remove_file(out.join("batch-report.jsonl")).unwrap();
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(1));
    let again = report(&out);
    assert_eq!(
        again.iter().filter(|l| l["status"] == "skipped").count(),
        2,
        "{again:?}"
    );
    std::fs::remove_file(out.join("batch-report.jsonl")).unwrap();
    let o = run(&["--set", "fov=21"]);
    assert_eq!(o.status.code(), Some(1));
    let changed = report(&out);
    assert_eq!(
        changed.iter().filter(|l| l["status"] == "ok").count(),
        2,
        "{changed:?}"
    );
}

#[test]
fn duplicate_names_stop_the_batch_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.csv");
    std::fs::write(&list, "name,ra,dec\na,10,10\nb,20,20\na,30,30\n").unwrap();
    let out = dir.path().join("out");
    let o = batch(&[
        list.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("lines 2 and 4 both name the field `a`"),
        "{}",
        stderr(&o)
    );
    assert!(!out.join("b.png").exists());
}

#[test]
fn four_shards_over_one_cache_make_the_whole_set_once() {
    let dir = tempfile::tempdir().unwrap();
    let (server, list) = served_list(dir.path(), 10);
    let (out, cache) = (dir.path().join("out"), dir.path().join("cache"));
    let mut names = Vec::new();
    for k in 0..4 {
        let shard_out = out.join(format!("s{k}"));
        let o = Command::new(env!("CARGO_BIN_EXE_hipscut"))
            .args([
                "batch",
                list.to_str().unwrap(),
                "--out-dir",
                shard_out.to_str().unwrap(),
            ])
            .args([
                "--set",
                &format!("survey={}", server.url()),
                "--set",
                "width=32",
            ])
            .args(["--cache-dir", cache.to_str().unwrap(), "-q"])
            // As a Slurm job array of 4 tasks numbered from 1 sets them.
            .env("SLURM_ARRAY_TASK_ID", (k + 1).to_string())
            .env("SLURM_ARRAY_TASK_MIN", "1")
            .env("SLURM_ARRAY_TASK_COUNT", "4")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        names.extend(
            report(&shard_out)
                .iter()
                .map(|l| l["name"].as_str().unwrap().to_string()),
        );
    }
    names.sort();
    let mut want: Vec<String> = (0..10).map(|k| format!("f{k}")).collect();
    want.sort();
    assert_eq!(names, want, "every field once");
    // The shards' reports joined: every field once; a shard given twice is refused.
    let shards: Vec<String> = (0..4)
        .map(|k| out.join(format!("s{k}")).display().to_string())
        .collect();
    let merged = out.join("all");
    let mut args = vec!["--out-dir", merged.to_str().unwrap(), "--merge-reports"];
    args.extend(shards.iter().map(String::as_str));
    let o = batch(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(report(&merged).len(), 10);
    args.push(shards[0].as_str());
    assert_eq!(batch(&args).status.code(), Some(2));
    let o = batch(&[list.to_str().unwrap(), "--out-dir", "x", "--shard", "4/4"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_batch_killed_half_way_resumes_to_the_same_files_rendering_none_twice() {
    let dir = tempfile::tempdir().unwrap();
    let survey = AnalyticSurvey::default().write(dir.path());
    // Slow tiles, so that the batch is still running when it is killed.
    let server = TestServer::start_slow(&survey, std::time::Duration::from_millis(150));
    let list = dir.path().join("list.csv");
    let mut csv = String::from("name,ra,dec\n");
    for k in 0..24 {
        csv.push_str(&format!(
            "f{k},{},{}\n",
            15.0 * k as f64,
            -60.0 + 5.0 * k as f64
        ));
    }
    std::fs::write(&list, csv).unwrap();
    let args = |out: &Path| {
        vec![
            "batch".to_string(),
            list.display().to_string(),
            "--out-dir".into(),
            out.display().to_string(),
            "--set".into(),
            format!("survey={}", server.url()),
            "--set".into(),
            "width=32".into(),
            "--set".into(),
            "fov=10".into(),
            "--jobs".into(),
            "2".into(),
            "--no-cache".into(),
            "-q".into(),
        ]
    };
    let whole = dir.path().join("whole");
    let o = Command::new(env!("CARGO_BIN_EXE_hipscut"))
        .args(args(&whole))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let cut = dir.path().join("cut");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hipscut"))
        .args(args(&cut))
        .spawn()
        .unwrap();
    let outputs = |d: &Path| -> usize {
        std::fs::read_dir(d)
            .map(|e| {
                e.flatten()
                    .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
                    .count()
            })
            .unwrap_or(0)
    };
    let start = std::time::Instant::now();
    while outputs(&cut) < 4 && start.elapsed() < std::time::Duration::from_secs(60) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = rendered(&cut);
    assert!(
        before.len() < 24,
        "killed before the end ({} done)",
        before.len()
    );
    std::fs::remove_file(cut.join("batch-report.jsonl")).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_hipscut"))
        .args(args(&cut))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let after = rendered(&cut);
    assert!(
        before.is_disjoint(&after),
        "rendered twice: {:?}",
        before.intersection(&after)
    );
    for k in 0..24 {
        let name = format!("f{k}.png");
        let (a, b) = (
            std::fs::read(whole.join(&name)).unwrap(),
            std::fs::read(cut.join(&name)),
        );
        assert_eq!(Some(a), b.ok(), "{name} differs");
    }
}

#[test]
fn a_batch_field_is_the_render_of_the_same_field_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.csv");
    std::fs::write(
        &list,
        "name,ra,dec,cmap,format\nm1,83.63,22.01,,png\nm42,05:35:17,-05:23:28,,fits\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = batch(&[
        list.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--set",
        "fov=12",
        "--set",
        "width=64",
        "-q",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for (name, lon, lat, ext) in [
        ("m1", "83.63", "22.01", "png"),
        ("m42", "05:35:17", "-05:23:28", "fits"),
    ] {
        let alone = dir.path().join(format!("alone.{ext}"));
        let o = Command::new(env!("CARGO_BIN_EXE_hipscut"))
            .args([
                "render", "--lon", lon, "--lat", lat, "--fov", "12", "--width", "64", "-q", "-o",
            ])
            .arg(&alone)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let batched = std::fs::read(out.join(format!("{name}.{ext}"))).unwrap();
        assert!(
            batched == std::fs::read(&alone).unwrap(),
            "{name}.{ext} differs"
        );
    }
}
