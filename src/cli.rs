//! The command line: argument definitions and their translation into library calls.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use hipscut::geometry::Frame;
use hipscut::paint::Interpolation;
use hipscut::tile::TileFormat;
use hipscut::{render_to_file, RenderRequest, Survey};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "hipscut",
    version,
    about = "Render sky images from HiPS surveys"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Render a field of the sky into a FITS, PNG or JPEG image.
    Render(RenderArgs),
    /// Describe a survey: title, orders, tile formats, frame, credits.
    Survey {
        /// Survey directory, file:// URL or embedded:NAME (default: the embedded survey).
        location: Option<String>,
    },
}

#[derive(clap::Args, Debug)]
pub struct RenderArgs {
    /// Survey directory, file:// URL or embedded:NAME [default: the embedded Mellinger survey].
    #[arg(long, value_name = "DIR|URL")]
    pub survey: Option<String>,
    /// Longitude of the image centre, degrees in --frame [default: the survey's initial view].
    #[arg(long, allow_hyphen_values = true)]
    pub lon: Option<f64>,
    /// Latitude of the image centre, degrees in --frame [default: the survey's initial view].
    #[arg(long, allow_hyphen_values = true)]
    pub lat: Option<f64>,
    /// Frame of --lon/--lat and of the output WCS.
    #[arg(long, value_enum, default_value_t = FrameArg::Icrs)]
    pub frame: FrameArg,
    /// Field of view across the larger side, degrees [default: the survey's initial fov].
    #[arg(long, allow_hyphen_values = true)]
    pub fov: Option<f64>,
    /// Output width in pixels [default: 1024].
    #[arg(long)]
    pub width: Option<usize>,
    /// Output height in pixels [default: the width, or half of it for all-sky fields].
    #[arg(long)]
    pub height: Option<usize>,
    /// FITS projection code (TAN, SIN, AIT, MOL, CAR, ZEA, …) [default: TAN, or AIT for fields
    /// wider than 180°].
    #[arg(long, value_name = "CODE")]
    pub projection: Option<String>,
    /// Rotation of the image, degrees East of North.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub rotation: f64,
    /// Take the whole output WCS from a header: a FITS file, a text header (one card per line)
    /// or a JSON object of cards.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["lon", "lat", "fov", "width", "height", "projection"])]
    pub wcs: Option<PathBuf>,
    /// Force the HiPS tile order instead of choosing it from the pixel scale.
    #[arg(long)]
    pub order: Option<u8>,
    /// Tile format to read [default: the survey's first].
    #[arg(long, value_enum)]
    pub tile_format: Option<TileFormatArg>,
    /// Sampling between tile pixels.
    #[arg(long, value_enum, default_value_t = InterpolationArg::Bilinear)]
    pub interpolation: InterpolationArg,
    /// Output file; its extension (.fits, .png, .jpg) picks the format.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum FrameArg {
    Icrs,
    Galactic,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum TileFormatArg {
    Jpg,
    Png,
    Fits,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum InterpolationArg {
    Nearest,
    Bilinear,
}

impl RenderArgs {
    fn request(&self) -> RenderRequest {
        RenderRequest {
            lon: self.lon,
            lat: self.lat,
            frame: Some(match self.frame {
                FrameArg::Icrs => Frame::Icrs,
                FrameArg::Galactic => Frame::Galactic,
            }),
            fov: self.fov,
            width: self.width,
            height: self.height,
            projection: self.projection.clone(),
            rotation: self.rotation,
            wcs_file: self.wcs.clone(),
            order: self.order,
            tile_format: self.tile_format.map(|f| match f {
                TileFormatArg::Jpg => TileFormat::Jpeg,
                TileFormatArg::Png => TileFormat::Png,
                TileFormatArg::Fits => TileFormat::Fits,
            }),
            interpolation: match self.interpolation {
                InterpolationArg::Nearest => Interpolation::Nearest,
                InterpolationArg::Bilinear => Interpolation::Bilinear,
            },
        }
    }
}

/// Runs one command.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Render(args) => {
            let rendered = render_to_file(args.survey.as_deref(), &args.request(), &args.output)
                .with_context(|| format!("cannot render {}", args.output.display()))?;
            let s = &rendered.stats;
            eprintln!(
                "wrote {} ({}×{}, order {}, {} tiles: {} loaded, {} missing, {} failed{})",
                args.output.display(),
                rendered.geometry.width,
                rendered.geometry.height,
                rendered.order,
                rendered.tile_format.name(),
                s.loaded,
                s.missing,
                s.failed,
                if s.allsky_used { ", Allsky used" } else { "" }
            );
            for failure in &rendered.failures {
                eprintln!("warning: {failure}");
            }
            Ok(())
        }
        Command::Survey { location } => {
            let survey = Survey::open(location.as_deref()).with_context(|| {
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
