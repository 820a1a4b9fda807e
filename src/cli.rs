//! The command line: argument definitions and their translation into library calls.

use crate::progress::{Bars, FieldBar};
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use hipscut::{
    merge_reports, parse_latitude, parse_longitude, render_to_file, resolve_target, run_batch,
    write_profile_csv, write_profile_plot, Band, BatchOptions, Colormap, CubeFrame, Cut, Cuts,
    Depth, Display, Engine, EngineOptions, FetchOptions, Field, Frame, HipsRecord, Interpolation,
    OpenOptions, Painter, Profiler, Projection, RenderRequest, Rendered, Rgb, RunReport,
    ServeOptions, Sources, Stretch, Survey, TargetSource, TileFormat, View, WcsHeader,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "hipscut",
    version,
    about = "Render sky images from HiPS surveys"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// No progress bars (accepted before or after the subcommand).
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Render a field of the sky into a FITS, PNG or JPEG image.
    Render(Box<RenderArgs>),
    /// Render every field of a list (CSV with a header line, or JSON Lines; - for standard
    /// input) through one engine: resumable, each field's outcome in batch-report.jsonl.
    Batch(Box<BatchArgs>),
    /// List the surveys of the HiPS list (built-in, or --hipslist) whose ID, title or regime
    /// hold every word.
    Surveys {
        /// Words to search for (none: every survey).
        words: Vec<String>,
        #[command(flatten)]
        fetch: FetchArgs,
    },
    /// Serve images over HTTP with CDS hips2fits's API (GET or POST /hips2fits), a web page
    /// at /, /surveys, /health and /metrics, until SIGTERM or Ctrl-C.
    Serve(Box<ServeArgs>),
    /// Describe a survey: title, orders, tile formats, frame, credits.
    Survey {
        /// Survey directory, file:// or http(s):// URL, survey ID, or embedded:NAME (default:
        /// the embedded survey).
        location: Option<String>,
        #[command(flatten)]
        fetch: FetchArgs,
    },
}

#[derive(clap::Args, Debug)]
pub struct RenderArgs {
    /// Survey: a directory, a file:// or http(s):// URL, an ID such as CDS/P/DSS2/color, or
    /// embedded:NAME [default: the embedded Mellinger survey].
    #[arg(long, value_name = "DIR|URL|ID")]
    pub survey: Option<String>,
    /// A colour composite of three single-band surveys shown as red, green and blue, each
    /// with its own cuts (--min-cut and --max-cut take one value, or three separated by commas).
    #[arg(long, value_name = "R,G,B", conflicts_with = "survey")]
    pub rgb: Option<String>,
    /// Longitude of the image centre in --frame: degrees, or sexagesimal (17:45:40.04 or
    /// 17h45m40s in hours for ICRS, 266d25m in degrees) [default: the survey's initial view].
    #[arg(long, allow_hyphen_values = true, requires = "lat")]
    pub lon: Option<String>,
    /// Latitude of the image centre in --frame: degrees, or sexagesimal (-29:00:28.1,
    /// -29d00m28s) [default: the survey's initial view].
    #[arg(long, allow_hyphen_values = true, requires = "lon")]
    pub lat: Option<String>,
    /// Centre on a named object (M1, NGC 224, Crab Nebula, …), found by CDS Sesame, or offline
    /// by a built-in table of Messier and named objects (which also sets --fov from the
    /// object's size).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["lon", "lat", "wcs"])]
    pub target: Option<String>,
    /// Frame of --lon/--lat and of the output WCS: icrs, galactic or ecliptic.
    #[arg(long, default_value_t = Frame::Icrs)]
    pub frame: Frame,
    /// Field of view across the larger side, degrees [default: the survey's initial fov].
    #[arg(long, allow_hyphen_values = true)]
    pub fov: Option<f64>,
    /// Output width in pixels [default: 1024; with --wcs, the header's NAXIS1].
    #[arg(long, allow_hyphen_values = true, value_parser = side)]
    pub width: Option<usize>,
    /// Output height in pixels [default: the width, or half of it for fields wider than
    /// 180°; with --wcs, the header's NAXIS2].
    #[arg(long, allow_hyphen_values = true, value_parser = side)]
    pub height: Option<usize>,
    /// FITS projection code: AZP SZP TAN STG SIN ARC ZPN ZEA AIR NCP CYP CEA CAR MER SFL PAR MOL
    /// AIT COP COE COD COO BON PCO TSC CSC QSC HPX XPH [default: TAN, or AIT for fields wider
    /// than 180°]. Conics and BON take their standard parallel as ±45° (a --wcs header sets PV2_1).
    #[arg(long, value_name = "CODE")]
    pub projection: Option<Projection>,
    /// Rotation of the image, degrees East of North.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub rotation: f64,
    /// Take the whole output WCS from a header: a FITS file, a text header (one card per line,
    /// as astropy's Header.totextfile writes) or a JSON object of cards. --width and --height
    /// give the size when the header has no NAXIS1/NAXIS2, and override it when it has.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["lon", "lat", "fov", "projection", "rotation"])]
    pub wcs: Option<PathBuf>,
    /// Force the HiPS tile order instead of choosing it from the pixel scale.
    #[arg(long, allow_hyphen_values = true, value_parser = order)]
    pub order: Option<u8>,
    /// Frame of a HiPS cube to render, counted from 0 [default: the cube's first frame].
    #[arg(long, value_name = "K", conflicts_with_all = ["spectral", "frames"], value_parser = frame_index)]
    pub frame_index: Option<u32>,
    /// The frame of a HiPS cube nearest this value of its third axis (in the cube's unit).
    #[arg(long, value_name = "VALUE", allow_hyphen_values = true, conflicts_with = "frames", value_parser = finite)]
    pub spectral: Option<f64>,
    /// Frames A to B (inclusive) of a HiPS cube, written as one FITS cube with the third axis's
    /// WCS.
    #[arg(long, value_name = "A:B", value_parser = frame_range)]
    pub frames: Option<(u32, u32)>,
    /// Tile format to read: jpeg, png, webp or fits [default: the survey's first].
    #[arg(long, value_name = "FORMAT")]
    pub tile_format: Option<TileFormat>,
    /// Sampling between tile pixels: bilinear, bicubic (smoother, more exact on smooth data) or
    /// nearest.
    #[arg(long, default_value_t = Interpolation::Bilinear)]
    pub interpolation: Interpolation,
    /// Painter: projective (tiles mapped through homographies, fast) or precise (every pixel
    /// projected on its own, the reference).
    #[arg(long, default_value_t = Painter::Projective)]
    pub painter: Painter,
    /// Output file; its extension (.fits, .png, .jpg) picks the format.
    #[arg(short, long, value_name = "FILE", required_unless_present = "dry_run")]
    pub output: Option<PathBuf>,
    /// Write the run report as JSON: stage timings, CPU time, peak memory, tiles, and the
    /// image's statistics.
    #[arg(long, value_name = "FILE.json")]
    pub report: Option<PathBuf>,
    /// Sample the process's CPU use and resident memory every 100 ms during the render and
    /// write the timeline as CSV (seconds, cpu_percent, rss_mib, stage).
    #[arg(long, value_name = "FILE.csv")]
    pub profile: Option<PathBuf>,
    /// Draw that timeline as a PNG, the stages shaded (with or without --profile).
    #[arg(long, value_name = "FILE.png")]
    pub profile_plot: Option<PathBuf>,
    /// Print the plan (order, tiles, estimated bytes, resolution against the data's) and stop,
    /// fetching no tile.
    #[arg(long)]
    pub dry_run: bool,
    /// Fail when any tile fails to download, is cut short or does not decode, instead of
    /// falling back to its parent.
    #[arg(long)]
    pub strict: bool,
    /// Write the image even if no pixel received data (otherwise that is an error).
    #[arg(long)]
    pub allow_empty: bool,
    #[command(flatten)]
    pub display: DisplayArgs,
    #[command(flatten)]
    pub fetch: FetchArgs,
}

/// `hipscut serve`: where to listen, what to serve, and the limits.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0: any free one).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// A survey to serve, as ID=DIR|URL, or DIR|URL named by its creator_did (repeatable).
    /// With --hipslist, every survey of the list is served by its ID too. The embedded
    /// surveys are always served. Requests can name nothing else.
    #[arg(long, value_name = "[ID=]DIR|URL")]
    pub survey: Vec<String>,
    /// An origin whose pages may fetch images (repeatable; * for any).
    #[arg(long, value_name = "ORIGIN")]
    pub cors_origin: Vec<String>,
    /// The most pixels of one image (width × height).
    #[arg(long, default_value_t = 25_000_000, value_parser = clap::value_parser!(u64).range(1..=150_000_000))]
    pub max_pixels: u64,
    /// The widest field of view, degrees.
    #[arg(long, default_value_t = 360.0)]
    pub max_fov: f64,
    /// The longest one render may take, seconds (its answer is then 504).
    #[arg(long, default_value_t = 60.0, value_parser = seconds)]
    pub render_time: f64,
    /// Renders at once [default: one per core].
    #[arg(long, default_value_t = 0)]
    pub max_renders: usize,
    /// Requests that may wait for a render; beyond them, 503 with Retry-After [default: 8 per
    /// render slot].
    #[arg(long)]
    pub max_queue: Option<usize>,
    /// How long browsers and proxies may keep an image, seconds (Cache-Control).
    #[arg(long, default_value_t = 86_400)]
    pub max_age: u64,
    /// Bytes of decoded tiles kept in memory between requests.
    #[arg(long, default_value = "512M", value_parser = parse_size)]
    pub decoded_cache: u64,
    #[command(flatten)]
    pub fetch: FetchArgs,
}

impl ServeArgs {
    fn options(&self) -> Result<ServeOptions> {
        if !(self.max_fov > 0.0 && self.max_fov <= 360.0) {
            anyhow::bail!(
                "--max-fov must be above 0 and at most 360, not {}",
                self.max_fov
            );
        }
        let mut options = ServeOptions::default();
        options.listen = self.listen;
        options.surveys = self.survey.iter().map(|s| named_survey(s)).collect();
        options.serve_list = self.fetch.hipslist.is_some();
        options.cors_origins = self.cors_origin.clone();
        options.max_pixels = self.max_pixels;
        options.max_fov = self.max_fov;
        options.render_time = Duration::from_secs_f64(self.render_time);
        options.max_renders = self.max_renders;
        options.max_queue = self.max_queue;
        options.max_age = Duration::from_secs(self.max_age);
        Ok(options)
    }
}

/// `ID=LOCATION` as `(Some(ID), LOCATION)`, a bare location as `(None, LOCATION)` (an `=` in
/// a URL's query is not taken for the ID's).
fn named_survey(s: &str) -> (Option<String>, String) {
    match s.split_once('=') {
        Some((id, location)) if !id.contains("://") && !id.trim().is_empty() => {
            (Some(id.trim().to_string()), location.trim().to_string())
        }
        _ => (None, s.trim().to_string()),
    }
}

/// `hipscut batch`: the list, where outputs go, and the defaults of the columns rows lack.
#[derive(clap::Args, Debug)]
pub struct BatchArgs {
    /// The field list: CSV or JSON Lines, - for standard input.
    #[arg(required_unless_present = "merge_reports")]
    pub list: Option<PathBuf>,
    /// Instead of rendering, join the reports of these shards' folders into --out-dir's.
    #[arg(long, value_name = "DIR", num_args = 1.., conflicts_with = "list")]
    pub merge_reports: Vec<PathBuf>,
    /// Where outputs, batch-report.jsonl and batch-manifest.jsonl go.
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
    /// Default column values, as `COLUMN=VALUE` (any column; the flags below set the common
    /// ones); a row's own column wins.
    #[arg(long = "set", value_name = "COLUMN=VALUE")]
    pub set: Vec<String>,
    /// Default survey: a directory, URL, ID or embedded:NAME.
    #[arg(long)]
    pub survey: Option<String>,
    /// Default RGB composite: three surveys, R,G,B.
    #[arg(long, value_name = "R,G,B")]
    pub rgb: Option<String>,
    /// Default frame: icrs, galactic or ecliptic.
    #[arg(long)]
    pub frame: Option<String>,
    /// Default field of view, degrees.
    #[arg(long, allow_hyphen_values = true)]
    pub fov: Option<String>,
    /// Default width, pixels.
    #[arg(long)]
    pub width: Option<String>,
    /// Default height, pixels.
    #[arg(long)]
    pub height: Option<String>,
    /// Default projection code.
    #[arg(long)]
    pub projection: Option<String>,
    /// Default rotation, degrees East of North.
    #[arg(long, allow_hyphen_values = true)]
    pub rotation: Option<String>,
    /// Default output format: png, jpg or fits.
    #[arg(long)]
    pub format: Option<String>,
    /// Default stretch.
    #[arg(long)]
    pub stretch: Option<String>,
    /// Default minimum cut (a value, a percentile, or three).
    #[arg(long, allow_hyphen_values = true)]
    pub min_cut: Option<String>,
    /// Default maximum cut.
    #[arg(long, allow_hyphen_values = true)]
    pub max_cut: Option<String>,
    /// Default colormap.
    #[arg(long)]
    pub cmap: Option<String>,
    /// Default painter.
    #[arg(long)]
    pub painter: Option<String>,
    /// Default tile order.
    #[arg(long)]
    pub order: Option<String>,
    /// Render fields whose output is already there.
    #[arg(long)]
    pub force: bool,
    /// Stop at the first failed field.
    #[arg(long)]
    pub fail_fast: bool,
    /// Render only the rows whose index is K modulo N [default: from a Slurm job array, or a
    /// Kubernetes indexed Job with --shard-count].
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// The number of shards of a Kubernetes indexed Job (JOB_COMPLETION_INDEX gives K).
    #[arg(long, value_name = "N")]
    pub shard_count: Option<u64>,
    /// Fields rendered at once.
    #[arg(long, default_value_t = 8, value_parser = concurrency)]
    pub jobs: u32,
    #[command(flatten)]
    pub fetch: FetchArgs,
}

impl BatchArgs {
    /// The defaults of every row: the render flags, then `--set`.
    fn defaults(&self) -> Result<Vec<(String, String)>> {
        let mut defaults = Vec::new();
        let flags = [
            ("survey", &self.survey),
            ("rgb", &self.rgb),
            ("frame", &self.frame),
            ("fov", &self.fov),
            ("width", &self.width),
            ("height", &self.height),
            ("projection", &self.projection),
            ("rotation", &self.rotation),
            ("format", &self.format),
            ("stretch", &self.stretch),
            ("min_cut", &self.min_cut),
            ("max_cut", &self.max_cut),
            ("cmap", &self.cmap),
            ("painter", &self.painter),
            ("order", &self.order),
        ];
        for (column, value) in flags {
            if let Some(value) = value {
                defaults.push((column.to_string(), value.clone()));
            }
        }
        for pair in &self.set {
            let (column, value) = pair
                .split_once('=')
                .with_context(|| format!("--set `{pair}` is not COLUMN=VALUE"))?;
            defaults.push((column.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
        Ok(defaults)
    }

    /// The shard to render: --shard, else the scheduler's environment.
    fn shard(&self) -> Result<Option<(u64, u64)>> {
        let env = |k: &str| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let (k, n) = if let Some(spec) = &self.shard {
            let (k, n) = spec.split_once('/').unwrap_or((spec, ""));
            (k.trim().parse().ok(), n.trim().parse().ok())
        } else if let (Some(id), Some(count)) =
            (env("SLURM_ARRAY_TASK_ID"), env("SLURM_ARRAY_TASK_COUNT"))
        {
            (
                Some(id.saturating_sub(env("SLURM_ARRAY_TASK_MIN").unwrap_or(0))),
                Some(count),
            )
        } else if let (Some(index), Some(count)) = (env("JOB_COMPLETION_INDEX"), self.shard_count) {
            (Some(index), Some(count))
        } else {
            return Ok(None);
        };
        match (k, n) {
            (Some(k), Some(n)) if n > 0 && k < n => Ok(Some((k, n))),
            _ => anyhow::bail!("the shard must be K/N with 0 ≤ K < N"),
        }
    }
}

/// How PNG and JPEG outputs show the values (hips2fits's names and defaults).
#[derive(clap::Args, Debug)]
#[command(next_help_heading = "Display (PNG and JPEG)")]
pub struct DisplayArgs {
    /// Stretch between the cuts: linear, sqrt, log, asinh or power.
    #[arg(long, default_value_t = Stretch::Linear)]
    pub stretch: Stretch,
    /// The value shown at the bottom of the colormap: a number, or a percentile of the image
    /// such as 0.5% [default: 0.5% for survey values; 0 for 8-bit picture tiles].
    #[arg(long, value_name = "CUT", allow_hyphen_values = true)]
    pub min_cut: Option<Cuts>,
    /// The value shown at the top: a number or a percentile [default: 99.5%, or 255].
    #[arg(long, value_name = "CUT", allow_hyphen_values = true)]
    pub max_cut: Option<Cuts>,
    /// `survey`: cut at the survey's own hips_pixel_cut.
    #[arg(long, value_name = "survey", value_parser = ["survey"], conflicts_with_all = ["min_cut", "max_cut"])]
    pub cut: Option<String>,
    /// Colormap of single-band data, by its matplotlib name (Greys_r, gray, viridis, magma,
    /// inferno, plasma, cividis, cubehelix, hot, turbo, RdBu, …; any with _r) [default:
    /// Greys_r for survey values, gray for picture tiles].
    #[arg(long, value_name = "NAME")]
    pub cmap: Option<Colormap>,
    /// Run the colormap from high to low.
    #[arg(long)]
    pub inverted: bool,
    /// Show one band of a colour survey: r, g or b.
    #[arg(long)]
    pub band: Option<Band>,
    /// Bits per channel: 8, or 16 for grey PNG of single-band data.
    #[arg(long, default_value_t = Depth::Eight)]
    pub depth: Depth,
    /// Colour of no-data pixels in JPEG (PNG makes them transparent): black, white, grey or
    /// #rrggbb.
    #[arg(long, value_name = "COLOUR", default_value_t = Rgb::default())]
    pub background: Rgb,
}

impl DisplayArgs {
    fn display(&self) -> Display {
        let mut display = Display::default().stretch(self.stretch);
        display.min_cut = self.min_cut.unwrap_or_default();
        display.max_cut = self.max_cut.unwrap_or_default();
        if self.cut.is_some() {
            display = display.cuts(Cut::Survey, Cut::Survey);
        }
        display.colormap = self.cmap;
        display.inverted = self.inverted;
        display.band = self.band;
        display.depth = self.depth;
        display.background = self.background;
        display
    }
}

/// How surveys are fetched (shared by every command that opens one).
#[derive(clap::Args, Debug)]
pub struct FetchArgs {
    /// Requests in flight at once to one host.
    #[arg(long, default_value_t = 16, allow_hyphen_values = true, value_parser = concurrency)]
    pub concurrency: u32,
    /// Further attempts after a failed request (5xx, timeout, reset, truncated body).
    #[arg(long, default_value_t = 3, allow_hyphen_values = true, value_parser = retries)]
    pub retries: u32,
    /// Limit for one request, in seconds.
    #[arg(long, default_value_t = 30.0, allow_hyphen_values = true, value_parser = seconds)]
    pub timeout: f64,
    /// Disk cache folder [default: $XDG_CACHE_HOME/hipscut or ~/.cache/hipscut].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Neither read nor write the disk cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Disk cache size cap (bytes, or with a K, M or G suffix); least recently used files go
    /// first.
    #[arg(long, default_value = "2G", value_parser = parse_size)]
    pub cache_size: u64,
    /// HiPS list (file or URL) to resolve survey IDs with [default: a built-in list].
    #[arg(long, value_name = "FILE|URL")]
    pub hipslist: Option<String>,
    /// Sesame name resolver for --target [default: CDS's].
    #[arg(long, value_name = "URL")]
    pub sesame: Option<String>,
    /// The longest the whole command may take, in seconds: opening the survey, fetching with
    /// every fallback, and painting (0: no limit).
    #[arg(long, default_value_t = 120.0, allow_hyphen_values = true, value_parser = seconds_or_zero)]
    pub deadline: f64,
}

/// The longest accepted time limit: a day.
const MAX_SECONDS: f64 = 86_400.0;

/// A whole number in `lo..=hi`, with a message that gives the range (also for negative input,
/// which clap would otherwise take for an unknown flag).
fn whole_in(s: &str, lo: i64, hi: i64) -> Result<i64, String> {
    match s.trim().parse::<i64>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => Err(format!("`{s}` is not a whole number from {lo} to {hi}")),
    }
}

fn side(s: &str) -> Result<usize, String> {
    whole_in(s, 1, hipscut::MAX_SIDE as i64).map(|n| n as usize)
}

fn order(s: &str) -> Result<u8, String> {
    whole_in(s, 0, 29).map(|n| n as u8)
}

fn frame_index(s: &str) -> Result<u32, String> {
    whole_in(s, 0, i64::from(u32::MAX)).map(|n| n as u32)
}

/// `A:B`, two frame indices.
fn frame_range(s: &str) -> Result<(u32, u32), String> {
    let (a, b) = s
        .split_once(':')
        .ok_or_else(|| format!("`{s}` is not A:B (two frame indices)"))?;
    Ok((frame_index(a)?, frame_index(b)?))
}

/// A finite number.
fn finite(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("`{s}` is not a finite number")),
    }
}

fn concurrency(s: &str) -> Result<u32, String> {
    whole_in(s, 1, 1024).map(|n| n as u32)
}

fn retries(s: &str) -> Result<u32, String> {
    whole_in(s, 0, 20).map(|n| n as u32)
}

/// A number of seconds above 0 and at most a day.
fn seconds(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(t) if t > 0.0 && t <= MAX_SECONDS => Ok(t),
        _ => Err(format!(
            "`{s}` is not a number of seconds above 0 and at most {MAX_SECONDS}"
        )),
    }
}

/// [`seconds`], or 0 for "no limit".
fn seconds_or_zero(s: &str) -> Result<f64, String> {
    if s.trim().parse::<f64>() == Ok(0.0) {
        return Ok(0.0);
    }
    seconds(s).map_err(|e| format!("{e} (or 0 for no limit)"))
}

/// Parses `2G`, `500M`, `64K` or a plain number of bytes.
fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, unit) = match s.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((k, _)) => (&s[..k], s[k..].to_ascii_uppercase()),
        None => (s, String::new()),
    };
    let n: f64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a size"))?;
    let scale = match unit.trim_end_matches('B') {
        "" => 1.0,
        "K" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        _ => return Err(format!("`{s}`: unknown unit (use K, M or G)")),
    };
    if !(n >= 0.0 && n.is_finite()) {
        return Err(format!("`{s}` is not a size"));
    }
    Ok((n * scale) as u64)
}

impl FetchArgs {
    fn options(&self) -> OpenOptions {
        OpenOptions {
            fetch: FetchOptions {
                concurrency: self.concurrency as usize,
                retries: self.retries,
                timeout: Duration::from_secs_f64(self.timeout),
                cache_dir: self.cache_dir.clone(),
                use_cache: !self.no_cache,
                cache_size: self.cache_size,
                ..FetchOptions::default()
            },
            hipslist: self.hipslist.clone(),
            sesame: self.sesame.clone(),
            deadline: self.deadline().map(|d| std::time::Instant::now() + d),
        }
    }

    /// The deadline as a duration (`None` for no limit).
    fn deadline(&self) -> Option<Duration> {
        (self.deadline > 0.0).then(|| Duration::from_secs_f64(self.deadline))
    }
}

impl RenderArgs {
    /// The survey or surveys to render from.
    fn sources(&self) -> hipscut::Result<Sources> {
        match &self.rgb {
            Some(list) => Sources::rgb(list),
            None => Ok(Sources::One(self.survey.clone())),
        }
    }

    /// The library request these arguments make; reads the --wcs header.
    fn request(&self) -> hipscut::Result<RenderRequest> {
        let field = match &self.wcs {
            Some(path) => {
                let mut header = WcsHeader::from_file(path)?;
                if let Some(w) = self.width {
                    header = header.width(w);
                }
                if let Some(h) = self.height {
                    header = header.height(h);
                }
                Field::Wcs(header)
            }
            None => {
                let mut view = View::default().frame(self.frame).rotation(self.rotation);
                view.centre = match (&self.lon, &self.lat) {
                    (Some(lon), Some(lat)) => {
                        Some((parse_longitude(lon, self.frame)?, parse_latitude(lat)?))
                    }
                    _ => None,
                };
                view.fov = self.fov;
                if let Some(name) = &self.target {
                    let target = resolve_target(name, &self.fetch.options())?;
                    if let TargetSource::Table { reason } = &target.source {
                        eprintln!("hipscut: {reason}; {name} is taken from the built-in table");
                    }
                    view = view.aim_at(&target);
                }
                view.width = self.width;
                view.height = self.height;
                view.projection = self.projection;
                Field::View(view)
            }
        };
        let mut request = RenderRequest::new(field)
            .interpolation(self.interpolation)
            .painter(self.painter)
            .strict(self.strict)
            .allow_empty(self.allow_empty)
            .display(self.display.display());
        request.order = self.order;
        request.tile_format = self.tile_format;
        request.frames = self.frames;
        request.cube_frame = match (self.frame_index, self.spectral) {
            (Some(k), _) => Some(CubeFrame::Index(k)),
            (None, Some(v)) => Some(CubeFrame::Value(v)),
            (None, None) => None,
        };
        request.deadline = self.fetch.deadline();
        Ok(request)
    }
}

/// Runs one command.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Render(args) => match &args.output {
            Some(output) if !args.dry_run => render_command(&args, output, cli.quiet),
            _ => dry_run(&args),
        },
        Command::Batch(args) => batch_command(&args, cli.quiet),
        Command::Serve(args) => serve_command(&args),
        Command::Surveys { words, fetch } => {
            let found =
                Survey::search(&words, &fetch.options()).context("cannot read the HiPS list")?;
            print!("{}", survey_table(&found));
            if found.is_empty() {
                eprintln!("no survey of the list matches {}", words.join(" "));
            }
            Ok(())
        }
        Command::Survey { location, fetch } => {
            let waiting = |notice: &str| eprintln!("hipscut: {notice}");
            let survey = Survey::open_watched(location.as_deref(), &fetch.options(), &waiting)
                .with_context(|| {
                    format!(
                        "cannot open survey {}",
                        location.as_deref().unwrap_or("(embedded)")
                    )
                })?;
            print!("{}", survey.describe());
            Ok(())
        }
    }
}

/// Renders and writes the output, then reports.
fn render_command(args: &RenderArgs, output: &Path, quiet: bool) -> Result<()> {
    let started = std::time::Instant::now();
    // The side files are checked before any work, so that a bad name costs no render.
    for path in [&args.report, &args.profile, &args.profile_plot]
        .into_iter()
        .flatten()
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if !dir.is_dir() || path.is_dir() {
            anyhow::bail!(
                "cannot write {}: no such folder, or it is a folder",
                path.display()
            );
        }
    }
    let open = args.fetch.options();
    let profiler = (args.profile.is_some() || args.profile_plot.is_some())
        .then(|| Profiler::start(std::time::Duration::from_millis(100)));
    let mut bars = Bars::new(quiet).with_profiler(profiler);
    let rendered = args
        .request()
        .and_then(|request| render_to_file(&args.sources()?, &open, &request, output, &bars));
    bars.finish();
    let rendered = rendered.with_context(|| format!("cannot render {}", output.display()))?;
    let report = RunReport::of(&rendered, started.elapsed());
    if let Some(samples) = bars.take_profile() {
        if let Some(path) = &args.profile {
            write_profile_csv(&samples, path)
                .with_context(|| format!("cannot write the profile {}", path.display()))?;
        }
        if let Some(path) = &args.profile_plot {
            write_profile_plot(&samples, path)
                .with_context(|| format!("cannot draw the profile {}", path.display()))?;
        }
    }
    if let Some(path) = &args.report {
        report
            .write_json(path)
            .with_context(|| format!("cannot write the report {}", path.display()))?;
    }
    eprintln!("{}", summary(output, &rendered));
    if !quiet {
        eprintln!("{}", report.summary());
    }
    for warning in &rendered.warnings {
        eprintln!("warning: {warning}");
    }
    for failure in &rendered.stats.failures {
        eprintln!("warning: {failure}");
    }
    Ok(())
}

/// Runs a batch and reports it.
fn batch_command(args: &BatchArgs, quiet: bool) -> Result<()> {
    let Some(list) = &args.list else {
        let (ok, skipped, failed) = merge_reports(&args.merge_reports, &args.out_dir)
            .context("cannot merge the reports")?;
        eprintln!("merged: {ok} rendered, {skipped} already there, {failed} failed");
        return Ok(());
    };
    let engine = Engine::new(EngineOptions::fetching_as(&args.fetch.options()))?;
    let mut batch = BatchOptions::new(&args.out_dir);
    batch.defaults = args.defaults()?;
    batch.force = args.force;
    batch.fail_fast = args.fail_fast;
    batch.shard = args.shard()?;
    batch.in_flight = args.jobs as usize;
    let bar = std::sync::Arc::new(FieldBar::new(quiet));
    let summary = run_batch(&engine, list, &batch, bar.clone());
    bar.finish();
    let summary = summary.with_context(|| format!("cannot run the batch {}", list.display()))?;
    engine.settle_cache();
    let (_, rss) = hipscut::process_usage();
    if !quiet || summary.failed > 0 {
        eprintln!(
            "{} field(s): {} rendered, {} already there, {} failed, in {:.1} s ({:.1} fields/s, \
             {:.2} tiles fetched a field, peak RSS {} MiB)",
            summary.fields,
            summary.rendered,
            summary.skipped,
            summary.failed,
            summary.seconds,
            summary.rendered as f64 / summary.seconds.max(1e-9),
            summary.tiles_fetched as f64 / summary.rendered.max(1) as f64,
            rss.map_or(0, |b| b >> 20)
        );
    }
    if summary.failed > 0 {
        return Err(hipscut::Error::FieldsFailed {
            failed: summary.failed,
            fields: summary.fields,
            report: args
                .out_dir
                .join(hipscut::BATCH_REPORT)
                .display()
                .to_string(),
        }
        .into());
    }
    Ok(())
}

/// Serves until SIGTERM or Ctrl-C, logging one line per request.
fn serve_command(args: &ServeArgs) -> Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let options = args.options()?;
    let mut engine_options = EngineOptions::fetching_as(&args.fetch.options());
    engine_options.decoded_cache_bytes = args.decoded_cache;
    let engine = Engine::new(engine_options)?;
    hipscut::serve_blocking(engine, options, |address| {
        eprintln!("hipscut: serving on http://{address}/ (Ctrl-C to stop)");
    })
    .context("cannot serve")
}

/// Prints what the render would do, for each survey.
fn dry_run(args: &RenderArgs) -> Result<()> {
    let request = args.request()?;
    let locations = match args.sources()? {
        Sources::One(location) => vec![location],
        Sources::Rgb(three) => three.into_iter().map(Some).collect(),
    };
    for location in locations {
        let name = location.as_deref().unwrap_or("the embedded survey");
        let survey = Survey::open_with(location.as_deref(), &args.fetch.options())
            .with_context(|| format!("cannot open survey {name}"))?;
        let plan = hipscut::plan(&survey, &request)
            .with_context(|| format!("cannot plan the render from {name}"))?;
        println!(
            "{name}: order {}, {} {} tiles, about {} kB; output pixels {:.3}″, the survey's \
             finest {:.3}″ ({:.2}× finer)",
            plan.order,
            plan.tiles,
            plan.tile_format,
            plan.estimated_bytes.div_ceil(1000),
            plan.output_pixel_deg * 3600.0,
            plan.data_pixel_deg * 3600.0,
            plan.oversampling()
        );
        if plan.allsky_first {
            println!(
                "  the order-{} Allsky is read instead (the field wants an order below the \
                 survey's first)",
                plan.order
            );
        }
        if plan.outside_coverage > 0 {
            println!(
                "  {} tiles outside the survey's coverage (Moc.fits) are not asked for",
                plan.outside_coverage
            );
        }
        if let Some(warning) = plan.resolution_warning() {
            println!("warning: {warning}");
        }
    }
    Ok(())
}

/// The command-line flag that changes the outcome of an error, if one does (the library's
/// messages do not name flags).
pub fn hint(e: &hipscut::Error) -> Option<&'static str> {
    use hipscut::Error as E;
    match e {
        E::Deadline { .. } => Some("a slower server needs a longer --deadline (0: none)"),
        E::StrictFailure { .. } => {
            Some("without --strict, failed tiles fall back to their parents")
        }
        E::EmptyRender { .. } => Some("--allow-empty accepts an empty image"),
        E::HeaderWithoutSize { .. } => Some("give the size with --width and --height"),
        _ => None,
    }
}

/// The surveys as a table: ID, title, frame, orders, formats and regime.
fn survey_table(records: &[HipsRecord]) -> String {
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let orders = |r: &HipsRecord| match r.orders {
        (min, Some(max)) => format!("{}..{max}", min.unwrap_or(0)),
        _ => "-".into(),
    };
    let rows: Vec<[String; 6]> = records
        .iter()
        .map(|r| {
            [
                r.id.clone(),
                or_dash(&r.title),
                or_dash(&r.frame),
                orders(r),
                or_dash(&r.formats),
                or_dash(&r.regime),
            ]
        })
        .collect();
    let header = ["ID", "title", "frame", "orders", "formats", "regime"].map(String::from);
    let widths: Vec<usize> = (0..6)
        .map(|c| {
            std::iter::once(&header)
                .chain(&rows)
                .map(|row| row[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// The one-line report of a render.
fn summary(output: &std::path::Path, r: &Rendered) -> String {
    let s = &r.stats;
    let mut parts = Vec::new();
    for (n, what) in [
        (s.fetched, "fetched"),
        (s.from_cache, "from cache"),
        (s.local, "read"),
        (s.missing, "missing"),
        (s.outside_coverage, "outside the coverage, not asked for"),
        (s.failed, "failed"),
    ] {
        if n > 0 || what == "failed" {
            parts.push(format!("{n} {what}"));
        }
    }
    if s.retried > 0 {
        parts.push(format!("{} retried", s.retried));
    }
    if s.allsky_used {
        parts.push("Allsky used".into());
    }
    format!(
        "wrote {} ({}×{}, order {}, {} tiles: {})",
        output.display(),
        r.geometry.width,
        r.geometry.height,
        r.order,
        r.tile_format.name(),
        parts.join(", ")
    )
}
