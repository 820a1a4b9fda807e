//! A render described by the keywords of `hipscut.render` (as strings, from the Python
//! layer), checked with the library's own parsers, each error naming its keyword.

use hipscut::{
    parse_latitude, parse_longitude, Colormap, CubeFrame, Cuts, Display, Engine, Error, Field,
    Frame, Progress, RenderRequest, Rendered, Result, Sources, View, WcsHeader, MAX_SIDE,
};
use hipscut::{OutputFormat, Projection};
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// The keywords a spec may hold.
const KEYWORDS: &[&str] = &[
    "ra",
    "dec",
    "target",
    "coordsys",
    "fov",
    "width",
    "height",
    "projection",
    "rotation_angle",
    "wcs",
    "order",
    "interpolation",
    "painter",
    "tile_format",
    "strict",
    "allow_empty",
    "frame_index",
    "spectral",
    "frames",
    "deadline",
    "stretch",
    "min_cut",
    "max_cut",
    "cmap",
    "inverted",
    "band",
    "depth",
    "background",
];

/// Keywords that a `wcs` header already answers.
const VIEW_ONLY: &[&str] = &[
    "ra",
    "dec",
    "target",
    "coordsys",
    "fov",
    "projection",
    "rotation_angle",
];

/// A checked render: the request, and the name to aim at if one was given.
pub(crate) struct Spec {
    request: RenderRequest,
    target: Option<String>,
}

/// `key: what is wrong`, without the library's "invalid parameter" prefix (the exception's
/// class says so).
fn named(key: &str, error: &dyn std::fmt::Display) -> String {
    let message = error.to_string();
    let what = message
        .strip_prefix("invalid parameter: ")
        .unwrap_or(&message);
    format!("{key}: {what}")
}

/// The keywords of a spec, each parsed with its name in the error.
struct Keywords(HashMap<String, String>);

impl Keywords {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    fn parsed<T: FromStr>(&self, key: &str) -> Result<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        self.get(key)
            .map(|v| {
                v.parse::<T>()
                    .map_err(|e| Error::InvalidParameter(named(key, &e)))
            })
            .transpose()
    }

    /// A finite number.
    fn number(&self, key: &str) -> Result<Option<f64>> {
        match self.parsed::<f64>(key)? {
            Some(x) if !x.is_finite() => Err(Error::InvalidParameter(format!(
                "{key} must be a finite number, not {x}"
            ))),
            x => Ok(x),
        }
    }

    /// An image side, 1 to MAX_SIDE pixels.
    fn side(&self, key: &str) -> Result<Option<usize>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (1..=MAX_SIDE).contains(&n) => Ok(Some(n)),
                _ => Err(Error::InvalidParameter(format!(
                    "{key} must be a whole number of pixels from 1 to {MAX_SIDE}, not {v}"
                ))),
            },
        }
    }

    fn flag(&self, key: &str) -> Result<bool> {
        match self.get(key) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(v) => Err(Error::InvalidParameter(format!(
                "{key} must be True or False, not {v}"
            ))),
        }
    }
}

impl Spec {
    /// Checks every keyword of `map`.
    pub(crate) fn new(map: HashMap<String, String>) -> Result<Spec> {
        if let Some(unknown) = map.keys().find(|k| !KEYWORDS.contains(&k.as_str())) {
            return Err(Error::InvalidParameter(format!(
                "unknown keyword `{unknown}` (known: {})",
                KEYWORDS.join(", ")
            )));
        }
        let keywords = Keywords(map);
        let target = keywords.get("target").map(str::to_string);
        let field = field_of(&keywords)?;
        let mut request = RenderRequest::new(field)
            .display(display_of(&keywords)?)
            .strict(keywords.flag("strict")?)
            .allow_empty(keywords.flag("allow_empty")?);
        request.order = keywords.parsed("order")?;
        if let Some(interpolation) = keywords.parsed("interpolation")? {
            request = request.interpolation(interpolation);
        }
        if let Some(painter) = keywords.parsed("painter")? {
            request = request.painter(painter);
        }
        request.tile_format = keywords.parsed("tile_format")?;
        request.cube_frame = cube_frame_of(&keywords)?;
        request.frames = frames_of(&keywords)?;
        if let Some(seconds) = keywords.number("deadline")? {
            if !(seconds > 0.0 && seconds <= 86_400.0) {
                return Err(Error::InvalidParameter(format!(
                    "deadline must be above 0 and at most a day (86400 s), not {seconds}"
                )));
            }
            request = request.deadline(Duration::from_secs_f64(seconds));
        }
        Ok(Spec { request, target })
    }

    /// The request, aimed at its target (found through the engine) if it names one.
    fn request(&self, engine: &Engine) -> Result<RenderRequest> {
        let mut request = self.request.clone();
        if let (Some(name), Field::View(view)) = (&self.target, &request.field) {
            let target = engine.target_blocking(name)?;
            request.field = Field::View(view.clone().aim_at(&target));
        }
        Ok(request)
    }

    pub(crate) fn render(&self, engine: &Engine, survey: Option<&str>) -> Result<Rendered> {
        let request = self.request(engine)?;
        let survey = engine.survey_blocking(survey)?;
        engine.render_blocking(&survey, &request)
    }

    pub(crate) fn render_bytes(
        &self,
        engine: &Engine,
        survey: Option<&str>,
        format: OutputFormat,
    ) -> Result<Vec<u8>> {
        self.request.display.check_for(format)?;
        encoded(engine, survey, &self.request(engine)?, format)
    }

    pub(crate) fn render_file(
        &self,
        engine: &Engine,
        survey: Option<String>,
        output: &Path,
    ) -> Result<()> {
        let request = self.request(engine)?;
        let sources = Sources::One(survey);
        engine.render_file_blocking(&sources, &request, output, &Quiet)?;
        Ok(())
    }
}

/// Renders `request` from `survey` and encodes it as `format`, in memory.
pub(crate) fn encoded(
    engine: &Engine,
    survey: Option<&str>,
    request: &RenderRequest,
    format: OutputFormat,
) -> Result<Vec<u8>> {
    let survey = engine.survey_blocking(survey)?;
    let request = &request.clone().for_picture(format != OutputFormat::Fits);
    let rendered = engine.render_blocking(&survey, request)?;
    let mut bytes = Vec::new();
    rendered.encode(format, &mut bytes)?;
    Ok(bytes)
}

/// No progress is shown from Python.
struct Quiet;

impl Progress for Quiet {}

/// The field: a `wcs` header (sized by `width` and `height` where given), or a view.
fn field_of(keywords: &Keywords) -> Result<Field> {
    let (width, height) = (keywords.side("width")?, keywords.side("height")?);
    if let Some(text) = keywords.get("wcs") {
        if let Some(key) = VIEW_ONLY.iter().find(|k| keywords.get(k).is_some()) {
            return Err(Error::InvalidParameter(format!(
                "{key} cannot be given with wcs, which sets the whole field"
            )));
        }
        let mut header = WcsHeader::parse(text.as_bytes())
            .map_err(|e| Error::InvalidParameter(named("wcs", &e)))?;
        if let Some(w) = width {
            header = header.width(w);
        }
        if let Some(h) = height {
            header = header.height(h);
        }
        return Ok(Field::Wcs(header));
    }
    let frame: Frame = keywords.parsed("coordsys")?.unwrap_or_default();
    let mut view = View::default().frame(frame);
    view.centre = match (keywords.get("ra"), keywords.get("dec")) {
        (Some(_), Some(_)) if keywords.get("target").is_some() => {
            return Err(Error::InvalidParameter(
                "give a target or ra and dec, not both".into(),
            ))
        }
        (Some(ra), Some(dec)) => Some((
            parse_longitude(ra, frame).map_err(|e| Error::InvalidParameter(named("ra", &e)))?,
            parse_latitude(dec).map_err(|e| Error::InvalidParameter(named("dec", &e)))?,
        )),
        (None, None) => None,
        _ => {
            return Err(Error::InvalidParameter(
                "give both ra and dec, or neither".into(),
            ))
        }
    };
    view.fov = keywords.number("fov")?;
    view.width = width;
    view.height = height;
    view.projection = keywords.parsed::<Projection>("projection")?;
    view.rotation = keywords.number("rotation_angle")?.unwrap_or(0.0);
    Ok(Field::View(view))
}

/// How PNG and JPEG encodings show the values.
fn display_of(keywords: &Keywords) -> Result<Display> {
    let mut display = Display::default();
    if let Some(stretch) = keywords.parsed("stretch")? {
        display = display.stretch(stretch);
    }
    display.min_cut = keywords.parsed::<Cuts>("min_cut")?.unwrap_or_default();
    display.max_cut = keywords.parsed::<Cuts>("max_cut")?.unwrap_or_default();
    display.colormap = keywords.parsed::<Colormap>("cmap")?;
    display.inverted = keywords.flag("inverted")?;
    display.band = keywords.parsed("band")?;
    if let Some(depth) = keywords.parsed("depth")? {
        display.depth = depth;
    }
    if let Some(background) = keywords.parsed("background")? {
        display.background = background;
    }
    Ok(display)
}

/// The frame of a HiPS cube: `frame_index` or `spectral`.
fn cube_frame_of(keywords: &Keywords) -> Result<Option<CubeFrame>> {
    match (
        keywords.parsed::<u32>("frame_index")?,
        keywords.number("spectral")?,
    ) {
        (Some(_), Some(_)) => Err(Error::InvalidParameter(
            "give frame_index or spectral, not both".into(),
        )),
        (Some(k), None) => Ok(Some(CubeFrame::Index(k))),
        (None, Some(v)) => Ok(Some(CubeFrame::Value(v))),
        (None, None) => Ok(None),
    }
}

/// `frames`, `first:last`, frames of a cube stacked.
fn frames_of(keywords: &Keywords) -> Result<Option<(u32, u32)>> {
    let Some(text) = keywords.get("frames") else {
        return Ok(None);
    };
    let bad = || {
        Error::InvalidParameter(format!(
            "frames must be (first, last) frame indices with first ≤ last, not {text}"
        ))
    };
    let (a, b) = text.split_once(':').ok_or_else(bad)?;
    match (a.trim().parse::<u32>(), b.trim().parse::<u32>()) {
        (Ok(a), Ok(b)) if a <= b => Ok(Some((a, b))),
        _ => Err(bad()),
    }
}
