//! Instructions each painter executes on one field, counted by valgrind's callgrind: a measure
//! that does not move with the machine's load, so that a regression of a few per cent shows.
//! The field is the FermiColor sample's 2000×1000 AIT benchmark at a quarter of its size
//! (1000×500, 0.02° pixels); only the painting functions are counted (`--toggle-collect`), not
//! decoding or setup.
//!
//! Run: `cargo bench --bench callgrind` (needs valgrind; Debian: `apt-get install valgrind`).

#[path = "../tests/support/mod.rs"]
mod support;

use hipscut::{render, Frame, Painter, Projection, RenderRequest, Survey, View};
use std::process::Command;

/// The functions whose instructions are counted (and what they call).
const COUNTED: [&str; 3] = [
    "*paint::precise::paint_runs*",
    "*paint::projective::paint_runs_projective*",
    "*TileMesh::build*",
];

/// Renders the field once with `painter` (the process valgrind runs).
fn paint_once(painter: Painter) {
    let survey = Survey::open(Some(
        support::data_dir("FermiColor").to_str().expect("path"),
    ))
    .expect("the FermiColor sample");
    let view = View::default()
        .frame(Frame::Galactic)
        .centre(0.0, 0.0)
        .fov(20.0)
        .size(1000, 500)
        .projection(Projection::Ait);
    let request = RenderRequest::new(view).painter(painter).allow_empty(true);
    let rendered = render(&survey, &request).expect("render");
    assert!(rendered.stats.pixels_painted > 0);
}

/// The instructions callgrind counted in `painter`'s painting functions.
fn instructions(painter: &str) -> u64 {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("callgrind.out");
    let mut command = Command::new("valgrind");
    command
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg("--collect-atstart=no");
    for pattern in COUNTED {
        command.arg(format!("--toggle-collect={pattern}"));
    }
    let status = command
        .arg(std::env::current_exe().expect("this benchmark"))
        .args(["--paint", painter])
        .stderr(std::process::Stdio::null())
        .status()
        .expect("valgrind runs (Debian: apt-get install valgrind)");
    assert!(status.success(), "valgrind failed: {status:?}");
    let text = std::fs::read_to_string(&out).expect("callgrind's output");
    text.lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .and_then(|n| n.split_whitespace().next()?.parse().ok())
        .expect("an instruction count")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(k) = args.iter().position(|a| a == "--paint") {
        let painter = args
            .get(k + 1)
            .expect("a painter")
            .parse()
            .expect("a painter");
        paint_once(painter);
        return;
    }
    let precise = instructions("precise");
    let projective = instructions("projective");
    assert!(
        precise > 0 && projective > 0,
        "no instructions counted (precise {precise}, projective {projective}): has a counted \
         function been renamed or inlined?"
    );
    let ratio = precise as f64 / projective as f64;
    println!(
        "painting 1000×500 AIT (FermiColor): precise {precise} instructions, projective \
         {projective} ({ratio:.2}× fewer)"
    );
    // Measured 3.74× (precise 716.6 M, projective 191.7 M); the projective painter must stay
    // at least 2.5× cheaper, as it is the default for its speed.
    assert!(
        ratio >= 2.5,
        "the projective painter is only {ratio:.2}× cheaper"
    );
}
