//! Progress bars on stderr for fetching and painting (hidden when stderr is not a terminal).

use hipscut::{BatchProgress, FieldOutcome, Profiler, Progress, Sample};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Two bars: tiles resolved, and pixels painted; and the profiler's stage marks, if one runs.
pub struct Bars {
    multi: MultiProgress,
    tiles: ProgressBar,
    pixels: ProgressBar,
    profiler: Option<Profiler>,
}

impl Bars {
    /// Bars drawn on stderr, or nowhere when `quiet` (indicatif also hides them by itself when
    /// stderr is not a terminal).
    pub fn new(quiet: bool) -> Self {
        let target = if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let multi = MultiProgress::with_draw_target(target);
        let style = |template: &str| {
            ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
        };
        let tiles = multi.add(ProgressBar::new(0));
        tiles.set_style(style("tiles  {bar:30} {pos}/{len} {per_sec} {msg}"));
        let pixels = multi.add(ProgressBar::new(0));
        pixels.set_style(style("paint  {bar:30} {percent}% {elapsed}"));
        Bars {
            multi,
            tiles,
            pixels,
            profiler: None,
        }
    }

    /// Marks the stages of the render on `profiler`'s timeline too.
    pub fn with_profiler(mut self, profiler: Option<Profiler>) -> Self {
        self.profiler = profiler;
        self
    }

    /// Stops the profiler, if one runs, and returns its timeline.
    pub fn take_profile(&mut self) -> Option<Vec<Sample>> {
        self.profiler.take().map(Profiler::finish)
    }

    pub fn finish(&self) {
        self.tiles.finish_and_clear();
        self.pixels.finish_and_clear();
    }
}

impl Progress for Bars {
    fn tiles_planned(&self, tiles: usize) {
        self.tiles.inc_length(tiles as u64);
    }
    fn tile_done(&self) {
        self.tiles.inc(1);
    }
    fn pixels_planned(&self, pixels: u64) {
        self.pixels.inc_length(pixels);
    }
    fn pixels_painted(&self, pixels: u64) {
        self.pixels.inc(pixels);
    }
    fn stage(&self, name: &'static str) {
        if let Some(profiler) = &self.profiler {
            profiler.stage(name);
        }
    }
    /// Said even with --quiet: a render that hears nothing must say what it waits for.
    fn waiting(&self, notice: &str) {
        if self.multi.is_hidden() {
            eprintln!("hipscut: {notice}");
        } else {
            let _ = self.multi.println(format!("hipscut: {notice}"));
        }
    }
}

/// The bar of `hipscut batch`: fields done of all, rate, time left, tiles fetched and cached.
pub struct FieldBar {
    bar: ProgressBar,
    fetched: std::sync::atomic::AtomicUsize,
    cached: std::sync::atomic::AtomicUsize,
}

impl FieldBar {
    /// A bar on stderr, or hidden when `quiet`.
    pub fn new(quiet: bool) -> Self {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(0)
        };
        let style =
            ProgressStyle::with_template("fields {bar:30} {pos}/{len} {per_sec} ETA {eta} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        FieldBar {
            bar,
            fetched: 0.into(),
            cached: 0.into(),
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl BatchProgress for FieldBar {
    fn fields_planned(&self, fields: usize) {
        self.bar.set_length(fields as u64);
    }
    fn field_done(&self, outcome: &FieldOutcome) {
        use std::sync::atomic::Ordering::Relaxed;
        let fetched =
            self.fetched.fetch_add(outcome.tiles_fetched, Relaxed) + outcome.tiles_fetched;
        let cached = self.cached.fetch_add(outcome.tiles_cached, Relaxed) + outcome.tiles_cached;
        self.bar
            .set_message(format!("tiles: {fetched} fetched, {cached} from caches"));
        self.bar.inc(1);
    }
}
