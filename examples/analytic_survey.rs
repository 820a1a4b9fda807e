//! Writes the tests' analytic sky as a HiPS (order 1, 64-px tiles) in a tile format, for tools
//! that make committed variants of it (tools/webp_lossy_survey.py):
//!
//!     cargo run --release --example analytic_survey -- png /tmp/out
//!
//! The survey is written to `/tmp/out/analytic`.

#[allow(dead_code)]
#[path = "../tests/support/analytic.rs"]
mod analytic;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(format), Some(dir)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: analytic_survey FORMAT DIR (FORMAT: fits, png or webp)");
    };
    let format: hipscut::TileFormat = format.parse()?;
    let root = analytic::AnalyticSurvey {
        format,
        ..Default::default()
    }
    .write(std::path::Path::new(&dir));
    println!("{}", root.display());
    Ok(())
}
