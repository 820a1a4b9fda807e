//! What a render asks for: the field (a view, or a whole WCS header) and how to paint it.

use crate::display::Display;
use crate::error::Result;
use crate::fits::Cards;
use crate::geometry::{
    parse_header_bytes, read_header_file, Frame, FrameRotation, OutputGeometry, Projection,
    ResolvedView,
};
use crate::paint::{Interpolation, Painter};
use crate::survey::Survey;
use crate::target::Target;
use crate::tile::TileFormat;
use std::path::Path;
use std::time::Duration;

/// Fields wider than this (degrees) get AIT when no projection is named: TAN cannot show them.
const WIDE_FIELD_DEG: f64 = 180.0;
/// The output width when a request names none.
pub const DEFAULT_WIDTH: usize = 1024;
/// The field of view when neither the request nor the survey names one, degrees.
pub const DEFAULT_FOV: f64 = 1.0;

/// What to render, and how. Build it from a [`Field`] and chain the settings that differ from
/// the defaults:
///
/// ```
/// use hipscut::{Painter, Projection, RenderRequest, View};
/// use std::time::Duration;
///
/// let request = RenderRequest::new(
///     View::default()
///         .centre(83.63, 22.01)
///         .fov(0.5)
///         .size(512, 512)
///         .projection(Projection::Sin),
/// )
/// .painter(Painter::Precise)
/// .deadline(Duration::from_secs(60));
/// assert_eq!(request.painter, Painter::Precise);
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RenderRequest {
    /// The field: a view, or a WCS header.
    pub field: Field,
    /// The HiPS order to read (`None`: chosen from the output pixel scale).
    pub order: Option<u8>,
    /// The tile format to read (`None`: the survey's first).
    pub tile_format: Option<TileFormat>,
    /// Sampling between tile pixels (bilinear by default).
    pub interpolation: Interpolation,
    /// The painter (projective by default).
    pub painter: Painter,
    /// Fail if any tile failed to fetch, was cut short or did not decode, instead of falling
    /// back to its parents.
    pub strict: bool,
    /// The longest the whole render may take, fallbacks included (`None`: no limit).
    pub deadline: Option<Duration>,
    /// Accept an image in which no pixel received data (otherwise it is an error).
    pub allow_empty: bool,
    /// How PNG and JPEG outputs show the values.
    pub display: Display,
    /// Which frame of a HiPS cube to render (`None`: the cube's `hips_cube_firstframe`).
    pub cube_frame: Option<CubeFrame>,
    /// Frames `first..=last` of a HiPS cube, stacked into one image of as many channels: a
    /// FITS cube whose third axis is the cube's.
    pub frames: Option<(u32, u32)>,
    /// The render is for a PNG or JPEG picture: where the picture shows the 8-bit levels of
    /// picture tiles as they are (colour tiles, or grey ones with the plain display), they are
    /// painted as such, in a quarter of the memory of values. The [`Rendered`](crate::Rendered)
    /// then holds no values (its `image` is empty), only what `encode` and `write_file` need
    /// for PNG and JPEG.
    pub for_picture: bool,
}

/// A frame of a HiPS cube: by index, or by a value of its third axis (the nearest frame).
///
/// ```
/// use hipscut::{CubeFrame, RenderRequest, View};
/// // The frame nearest 1420.4 (in the cube's unit, e.g. MHz).
/// let one = RenderRequest::new(View::default()).cube_frame(CubeFrame::Value(1420.4));
/// // Frames 10 to 19, stacked into one FITS cube.
/// let stack = RenderRequest::new(View::default()).frames(10, 19);
/// assert_eq!((one.cube_frame, stack.frames), (Some(CubeFrame::Value(1420.4)), Some((10, 19))));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CubeFrame {
    /// Frame `k`, counted from 0.
    Index(u32),
    /// The frame whose third-axis value (`data_cube_crval3`…) is nearest.
    Value(f64),
}

impl RenderRequest {
    /// A request for `field`, every other setting at its default.
    pub fn new(field: impl Into<Field>) -> Self {
        RenderRequest {
            field: field.into(),
            ..RenderRequest::default()
        }
    }

    /// Renders for a PNG or JPEG picture (see [`RenderRequest::for_picture`]).
    ///
    /// ```
    /// use hipscut::{render, OutputFormat, RenderRequest, Survey, View};
    /// let survey = Survey::open(None)?;
    /// let request = RenderRequest::new(View::default().fov(40.0).size(32, 32)).for_picture(true);
    /// let rendered = render(&survey, &request)?;
    /// assert!(rendered.image.data.is_empty());
    /// let mut png = Vec::new();
    /// rendered.encode(OutputFormat::Png, &mut png)?;
    /// assert!(png.starts_with(b"\x89PNG"));
    /// # Ok::<(), hipscut::Error>(())
    /// ```
    pub fn for_picture(mut self, yes: bool) -> Self {
        self.for_picture = yes;
        self
    }

    /// Renders this frame of a HiPS cube.
    pub fn cube_frame(mut self, frame: CubeFrame) -> Self {
        self.cube_frame = Some(frame);
        self
    }

    /// Renders frames `first..=last` of a HiPS cube into a FITS cube.
    pub fn frames(mut self, first: u32, last: u32) -> Self {
        self.frames = Some((first, last));
        self
    }

    /// Reads tiles of this order rather than the one the pixel scale asks for.
    pub fn order(mut self, order: u8) -> Self {
        self.order = Some(order);
        self
    }

    /// Reads tiles of this format rather than the survey's first.
    pub fn tile_format(mut self, format: TileFormat) -> Self {
        self.tile_format = Some(format);
        self
    }

    /// Samples tile pixels this way.
    pub fn interpolation(mut self, interpolation: Interpolation) -> Self {
        self.interpolation = interpolation;
        self
    }

    /// Paints with this painter.
    pub fn painter(mut self, painter: Painter) -> Self {
        self.painter = painter;
        self
    }

    /// Fails rather than falls back when a tile fails.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Gives the whole render at most this long.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Shows PNG and JPEG outputs this way.
    pub fn display(mut self, display: Display) -> Self {
        self.display = display;
        self
    }

    /// Accepts an image in which no pixel received data.
    pub fn allow_empty(mut self, allow: bool) -> Self {
        self.allow_empty = allow;
        self
    }
}

/// The field of an image: a [`View`] described the way people ask for it, or a whole WCS
/// header as FITS files and astropy describe it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Field {
    /// Centre, field of view, size, projection, rotation and frame, defaults from the survey.
    View(View),
    /// A WCS header giving every card of the output's celestial WCS.
    Wcs(WcsHeader),
}

impl Default for Field {
    fn default() -> Self {
        Field::View(View::default())
    }
}

impl From<View> for Field {
    fn from(view: View) -> Self {
        Field::View(view)
    }
}

impl From<WcsHeader> for Field {
    fn from(header: WcsHeader) -> Self {
        Field::Wcs(header)
    }
}

impl Field {
    /// The output geometry this field asks of `survey` (whose initial view fills the gaps).
    pub fn geometry(&self, survey: &Survey) -> Result<OutputGeometry> {
        match self {
            Field::View(view) => OutputGeometry::from_view(&view.resolve(survey)),
            Field::Wcs(header) => header.geometry(),
        }
    }
}

/// A view of the sky. `None` takes the survey's initial view (`hips_initial_ra`, `_dec`,
/// `_fov`) or the documented defaults: a 1° field ([`DEFAULT_FOV`]), 1024 px wide
/// ([`DEFAULT_WIDTH`]), square, TAN, north up, in ICRS; a field wider than 180° defaults to
/// AIT and half as high as wide.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct View {
    /// The centre (longitude, latitude), degrees in `frame`.
    pub centre: Option<(f64, f64)>,
    /// The frame of the centre and of the output WCS.
    pub frame: Frame,
    /// The field of view across the larger side, degrees.
    pub fov: Option<f64>,
    /// The width, pixels.
    pub width: Option<usize>,
    /// The height, pixels.
    pub height: Option<usize>,
    /// The map projection.
    pub projection: Option<Projection>,
    /// The position angle of the image's up direction, degrees East of North.
    pub rotation: f64,
}

impl View {
    /// Centres the view on (`lon`, `lat`), degrees in the view's frame.
    pub fn centre(mut self, lon: f64, lat: f64) -> Self {
        self.centre = Some((lon, lat));
        self
    }

    /// Sets the frame of the centre and of the output.
    pub fn frame(mut self, frame: Frame) -> Self {
        self.frame = frame;
        self
    }

    /// Sets the field of view across the larger side, degrees.
    pub fn fov(mut self, fov: f64) -> Self {
        self.fov = Some(fov);
        self
    }

    /// Sets the image size, pixels.
    pub fn size(mut self, width: usize, height: usize) -> Self {
        self.width = Some(width);
        self.height = Some(height);
        self
    }

    /// Sets the projection.
    pub fn projection(mut self, projection: Projection) -> Self {
        self.projection = Some(projection);
        self
    }

    /// Rotates the image: its up direction points this many degrees East of North.
    pub fn rotation(mut self, degrees: f64) -> Self {
        self.rotation = degrees;
        self
    }

    /// Centres the view on `target` (in the view's frame) and, without a field of view of its
    /// own, frames the object with a margin (1.5 times its size, at least 1′) where its size
    /// is known.
    pub fn aim_at(mut self, target: &Target) -> Self {
        self.centre = Some(target.centre_in(self.frame));
        self.fov = self
            .fov
            .or(target.size_deg.map(|s| (s * 1.5).max(1.0 / 60.0)));
        self
    }

    /// The view with its gaps filled from `survey`'s initial view and the defaults.
    pub(crate) fn resolve(&self, survey: &Survey) -> ResolvedView {
        let p = &survey.properties;
        let frame = self.frame;
        let (lon, lat) = match self.centre {
            Some(centre) => centre,
            None => match (p.initial_ra, p.initial_dec) {
                (Some(ra), Some(dec)) => FrameRotation::new(Frame::Icrs, frame).apply_deg(ra, dec),
                _ => (0.0, 0.0),
            },
        };
        let fov = self.fov.or(p.initial_fov).unwrap_or(DEFAULT_FOV);
        let wide = fov > WIDE_FIELD_DEG;
        let projection = self.projection.unwrap_or(if wide {
            Projection::Ait
        } else {
            Projection::Tan
        });
        let width = self.width.unwrap_or(DEFAULT_WIDTH);
        let height = self
            .height
            .unwrap_or(if wide { (width / 2).max(1) } else { width });
        ResolvedView {
            lon,
            lat,
            fov,
            width,
            height,
            projection,
            rotation: self.rotation,
            frame,
        }
    }
}

/// A WCS header: the cards of a FITS file's primary header, of a text header (one card per
/// line, as astropy's `Header.totextfile` writes) or of a JSON object (as hips2fits's `wcs=`
/// parameter and astroquery send it). The image size is NAXIS1 × NAXIS2, unless
/// [`WcsHeader::width`] and [`WcsHeader::height`] override it.
///
/// ```
/// use hipscut::WcsHeader;
/// let json = r#"{"CTYPE1": "GLON-CAR", "CTYPE2": "GLAT-CAR", "CRVAL1": 0, "CRVAL2": 0,
///                "CDELT1": -0.01, "CDELT2": 0.01, "CRPIX1": 50.5, "CRPIX2": 25.5}"#;
/// let header = WcsHeader::parse(json.as_bytes())?.width(100).height(50);
/// assert_eq!(header.cards().len(), 8);
/// # Ok::<(), hipscut::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct WcsHeader {
    cards: Cards,
    width: Option<usize>,
    height: Option<usize>,
}

impl WcsHeader {
    /// Reads a header file in any of the three forms, with a size bound.
    pub fn from_file(path: &Path) -> Result<Self> {
        Ok(Self::from_cards(read_header_file(path)?))
    }

    /// Parses a header held in memory, in any of the three forms.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        Ok(Self::from_cards(parse_header_bytes(bytes)?))
    }

    /// A header from cards already parsed: (keyword, value) pairs, strings unquoted.
    pub fn from_cards(cards: Cards) -> Self {
        WcsHeader {
            cards,
            width: None,
            height: None,
        }
    }

    /// The header's cards.
    pub fn cards(&self) -> &Cards {
        &self.cards
    }

    /// Makes the image this many pixels wide, whatever NAXIS1 says.
    pub fn width(mut self, width: usize) -> Self {
        self.width = Some(width);
        self
    }

    /// Makes the image this many pixels high, whatever NAXIS2 says.
    pub fn height(mut self, height: usize) -> Self {
        self.height = Some(height);
        self
    }

    /// The output geometry the header describes.
    pub fn geometry(&self) -> Result<OutputGeometry> {
        OutputGeometry::from_header(&self.cards, self.width, self.height)
    }
}
