//! hips2fits's query parameters made into a render: which survey, the request, the format.
//! Every value is checked here, with a message that names the parameter, before any work.

use super::problem::Problem;
use crate::coordinates::{parse_latitude, parse_longitude};
use crate::display::{Colormap, Cuts, Display, Stretch};
use crate::encode::OutputFormat;
use crate::geometry::{Frame, Projection, MAX_SIDE};
use crate::request::{Field, RenderRequest, View, WcsHeader};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

/// What a request may ask for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The most output pixels, width × height.
    pub max_pixels: u64,
    /// The widest field of view, degrees.
    pub max_fov: f64,
    /// The longest one render may take, survey opening and fetching included.
    pub render_time: Duration,
}

/// A checked request: the survey asked for, the render, and the output format.
#[derive(Debug, Clone)]
pub(crate) struct Query {
    /// The `hips` parameter, as given.
    pub hips: String,
    pub request: RenderRequest,
    pub format: OutputFormat,
}

/// A hips2fits query made into a render, to run it in-process (the Python package's
/// `hipscut.hips2fits`): the parameters, checks and messages of `hipscut serve`, with
/// hipscut's own limits rather than a server's (up to [`crate::MAX_PIXELS`] pixels, any field
/// of view, a day to render).
///
/// ```
/// use hipscut::{Hips2fitsQuery, OutputFormat};
///
/// let pairs: Vec<(String, String)> = [
///     ("hips", "CDS/P/DSS2/red"), ("ra", "83.63"), ("dec", "22.01"), ("fov", "0.5"),
///     ("width", "300"), ("height", "200"), ("projection", "TAN"), ("format", "png"),
/// ]
/// .into_iter()
/// .map(|(k, v)| (k.to_string(), v.to_string()))
/// .collect();
/// let query = Hips2fitsQuery::parse(&pairs)?;
/// assert_eq!((query.hips.as_str(), query.format), ("CDS/P/DSS2/red", OutputFormat::Png));
/// # Ok::<(), hipscut::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Hips2fitsQuery {
    /// The `hips` parameter: the survey's ID, URL or folder.
    pub hips: String,
    /// The render asked for.
    pub request: RenderRequest,
    /// The output format (`format`, FITS by default).
    pub format: OutputFormat,
}

impl Hips2fitsQuery {
    /// Checks hips2fits's parameters (`hips`, `ra`, `dec`, `fov`, `width`, `height`,
    /// `projection`, `coordsys`, `rotation_angle` or `wcs`, and `format`, `stretch`, `min_cut`,
    /// `max_cut`, `cmap`, `inverted`); a bad one is an error that names it.
    pub fn parse(pairs: &[(String, String)]) -> crate::Result<Self> {
        let limits = Limits {
            max_pixels: crate::MAX_PIXELS as u64,
            max_fov: 360.0,
            render_time: Duration::from_secs(86_400),
        };
        let query = parse(pairs, &limits).map_err(|p| crate::Error::invalid(p.description))?;
        Ok(Hips2fitsQuery {
            hips: query.hips,
            request: query.request,
            format: query.format,
        })
    }
}

/// The parameters hips2fits takes (other names are ignored, as hips2fits does).
const KNOWN: &[&str] = &[
    "hips",
    "width",
    "height",
    "projection",
    "fov",
    "ra",
    "dec",
    "coordsys",
    "rotation_angle",
    "wcs",
    "format",
    "stretch",
    "min_cut",
    "max_cut",
    "cmap",
    "inverted",
];

/// The parameters by name; a name given twice is refused rather than one of them picked.
struct Params(HashMap<&'static str, String>);

impl Params {
    fn of(pairs: &[(String, String)]) -> Result<Params, Problem> {
        let mut map = HashMap::new();
        for (name, value) in pairs {
            let Some(known) = KNOWN.iter().find(|k| **k == name.as_str()) else {
                continue;
            };
            if map.insert(*known, value.trim().to_string()).is_some() {
                return Err(Problem::bad_parameter(
                    "Parameter given twice",
                    format!("`{name}` is given more than once"),
                ));
            }
        }
        Ok(Params(map))
    }

    /// The value of `name`, empty values counting as absent (as HTML forms send them).
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    fn required(&self, name: &str, why: &str) -> Result<&str, Problem> {
        self.get(name).ok_or_else(|| {
            Problem::bad_parameter("Missing parameter", format!("`{name}` is required{why}"))
        })
    }

    /// A parsed value, the parser's message prefixed by the parameter's name.
    fn parsed<T: FromStr>(&self, name: &str) -> Result<Option<T>, Problem>
    where
        T::Err: std::fmt::Display,
    {
        self.get(name)
            .map(|v| {
                v.parse::<T>()
                    .map_err(|e| Problem::bad_parameter("Bad parameter", format!("`{name}`: {e}")))
            })
            .transpose()
    }

    /// A finite number.
    fn number(&self, name: &str) -> Result<Option<f64>, Problem> {
        self.get(name)
            .map(|v| match v.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(x),
                _ => Err(Problem::bad_parameter(
                    "Bad number",
                    format!("`{name}` must be a number, not `{v}`"),
                )),
            })
            .transpose()
    }

    /// An image side in pixels.
    fn side(&self, name: &str) -> Result<Option<usize>, Problem> {
        self.get(name)
            .map(|v| match v.parse::<usize>() {
                Ok(n) if (1..=MAX_SIDE).contains(&n) => Ok(n),
                _ => Err(Problem::bad_parameter(
                    "Bad number",
                    format!("`{name}` must be a whole number from 1 to {MAX_SIDE}, not `{v}`"),
                )),
            })
            .transpose()
    }

    fn flag(&self, name: &str) -> Result<bool, Problem> {
        match self.get(name).map(str::to_ascii_lowercase).as_deref() {
            None | Some("false" | "0" | "no" | "off") => Ok(false),
            Some("true" | "1" | "yes" | "on") => Ok(true),
            Some(other) => Err(Problem::bad_parameter(
                "Bad parameter",
                format!("`{name}` must be true or false, not `{other}`"),
            )),
        }
    }
}

/// Checks hips2fits's parameters and makes the render they ask for.
pub(crate) fn parse(pairs: &[(String, String)], limits: &Limits) -> Result<Query, Problem> {
    let params = Params::of(pairs)?;
    let hips = params
        .required(
            "hips",
            ": the ID of a survey this server serves (see /surveys)",
        )?
        .to_string();
    let field = match params.get("wcs") {
        Some(json) => Field::Wcs(header_of(json, &params)?),
        None => Field::View(view_of(&params, limits)?),
    };
    check_size(&field, limits)?;
    let format = params
        .parsed::<OutputFormat>("format")?
        .unwrap_or(OutputFormat::Fits);
    let display = display_of(&params)?;
    display
        .check_for(format)
        .map_err(|e| Problem::bad_parameter("Bad parameter", e.to_string()))?;
    let request = RenderRequest::new(field)
        .display(display)
        .deadline(limits.render_time)
        .for_picture(format != OutputFormat::Fits);
    Ok(Query {
        hips,
        request,
        format,
    })
}

/// The view of `ra`, `dec`, `fov`, `width`, `height`, `projection`, `coordsys` and
/// `rotation_angle`.
fn view_of(params: &Params, limits: &Limits) -> Result<View, Problem> {
    let without_wcs = " unless `wcs` gives the whole field";
    let frame = params.parsed::<Frame>("coordsys")?.unwrap_or_default();
    let ra = params.required("ra", without_wcs)?;
    let dec = params.required("dec", without_wcs)?;
    let bad = |name: &str, e: crate::Error| {
        Problem::bad_parameter("Bad parameter", format!("`{name}`: {e}"))
    };
    let lon = parse_longitude(ra, frame).map_err(|e| bad("ra", e))?;
    let lat = parse_latitude(dec).map_err(|e| bad("dec", e))?;
    params.required("fov", without_wcs)?;
    let fov = params.number("fov")?.unwrap_or_default();
    if !(fov > 0.0 && fov <= limits.max_fov) {
        return Err(Problem::bad_parameter(
            "Bad parameter",
            format!(
                "`fov` must be above 0 and at most {} degrees, not {fov}",
                limits.max_fov
            ),
        ));
    }
    let mut view = View::default()
        .frame(frame)
        .centre(lon, lat)
        .fov(fov)
        .rotation(params.number("rotation_angle")?.unwrap_or(0.0));
    params.required("width", without_wcs)?;
    params.required("height", without_wcs)?;
    view.width = params.side("width")?;
    view.height = params.side("height")?;
    view.projection = params.parsed::<Projection>("projection")?;
    Ok(view)
}

/// The header of `wcs` (a JSON object of cards, as astroquery sends `WCS.to_header()`), sized
/// by `width` and `height` where they are given.
fn header_of(json: &str, params: &Params) -> Result<WcsHeader, Problem> {
    let mut header = WcsHeader::parse(json.as_bytes())
        .map_err(|e| Problem::bad_parameter("Bad WCS", format!("`wcs`: {e}")))?;
    if let Some(w) = params.side("width")? {
        header = header.width(w);
    }
    if let Some(h) = params.side("height")? {
        header = header.height(h);
    }
    Ok(header)
}

/// Refuses an image above the server's pixel limit, and a WCS that cannot make one.
fn check_size(field: &Field, limits: &Limits) -> Result<(), Problem> {
    let (width, height) = match field {
        Field::View(view) => (view.width.unwrap_or(1), view.height.unwrap_or(1)),
        Field::Wcs(header) => {
            let geometry = header
                .geometry()
                .map_err(|e| Problem::bad_parameter("Bad WCS", format!("`wcs`: {e}")))?;
            (geometry.width, geometry.height)
        }
    };
    let pixels = width as u64 * height as u64;
    if pixels > limits.max_pixels {
        return Err(Problem::too_large(format!(
            "{width}×{height} is {pixels} pixels; this server renders at most {} per image",
            limits.max_pixels
        )));
    }
    Ok(())
}

/// hips2fits's display parameters: `stretch`, `min_cut`, `max_cut`, `cmap`, `inverted`.
fn display_of(params: &Params) -> Result<Display, Problem> {
    let mut display =
        Display::default().stretch(params.parsed::<Stretch>("stretch")?.unwrap_or_default());
    display.min_cut = params.parsed::<Cuts>("min_cut")?.unwrap_or_default();
    display.max_cut = params.parsed::<Cuts>("max_cut")?.unwrap_or_default();
    display.colormap = params.parsed::<Colormap>("cmap")?;
    display.inverted = params.flag("inverted")?;
    Ok(display)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_pixels: 1_000_000,
        max_fov: 180.0,
        render_time: Duration::from_secs(10),
    };

    fn pairs(query: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }

    fn problem(query: &str) -> Problem {
        match parse(&pairs(query), &LIMITS) {
            Ok(q) => panic!("{query} was accepted: {q:?}"),
            Err(p) => p,
        }
    }

    const FIELD: &str = "hips=A/P/B&ra=10&dec=-20&fov=1&width=30&height=20";

    #[test]
    fn a_field_in_hips2fits_terms() {
        let q = parse(
            &pairs(&format!(
                "{FIELD}&projection=SIN&coordsys=galactic&rotation_angle=30&format=png\
                 &stretch=asinh&min_cut=1%25&max_cut=99%25&cmap=viridis&inverted=true&_=7"
            )),
            &LIMITS,
        )
        .unwrap();
        assert_eq!(q.hips, "A/P/B");
        assert_eq!(q.format, OutputFormat::Png);
        let Field::View(view) = &q.request.field else {
            panic!("a view was expected")
        };
        assert_eq!(view.centre, Some((10.0, -20.0)));
        assert_eq!((view.width, view.height), (Some(30), Some(20)));
        assert_eq!(view.projection, Some(Projection::Sin));
        assert_eq!((view.frame, view.rotation), (Frame::Galactic, 30.0));
        let d = &q.request.display;
        assert_eq!(d.stretch, Stretch::Asinh);
        assert_eq!(d.min_cut, Cuts::All(crate::display::Cut::Percentile(1.0)));
        assert!(d.inverted && d.colormap.is_some());
        assert_eq!(q.request.deadline, Some(LIMITS.render_time));
    }

    #[test]
    fn each_bad_parameter_is_named() {
        for (query, title, names) in [
            (
                "ra=1&dec=2&fov=1&width=2&height=2",
                "Missing parameter",
                "`hips`",
            ),
            (
                "hips=A/P/B&dec=2&fov=1&width=2&height=2",
                "Missing parameter",
                "`ra`",
            ),
            (
                "hips=A/P/B&ra=1&dec=2&fov=1&height=2",
                "Missing parameter",
                "`width`",
            ),
            (
                "hips=A/P/B&ra=x&dec=2&fov=1&width=2&height=2",
                "Bad parameter",
                "`ra`",
            ),
            (
                "hips=A/P/B&ra=1&dec=91&fov=1&width=2&height=2",
                "Bad parameter",
                "`dec`",
            ),
            (
                "hips=A/P/B&ra=1&dec=2&fov=abc&width=2&height=2",
                "Bad number",
                "`fov`",
            ),
            (
                "hips=A/P/B&ra=1&dec=2&fov=200&width=2&height=2",
                "Bad parameter",
                "`fov`",
            ),
            (
                "hips=A/P/B&ra=1&dec=2&fov=NaN&width=2&height=2",
                "Bad number",
                "`fov`",
            ),
            (
                "hips=A/P/B&ra=1&dec=2&fov=1&width=-2&height=2",
                "Bad number",
                "`width`",
            ),
            (
                "hips=A/P/B&ra=1&dec=2&fov=1&width=2.5&height=2",
                "Bad number",
                "`width`",
            ),
            (
                "hips=A/P/B&ra=1&dec=2&fov=1&width=2&height=2&ra=3",
                "Parameter given twice",
                "`ra`",
            ),
        ] {
            let p = problem(query);
            assert_eq!(
                (p.status.as_u16(), p.title.as_str()),
                (400, title),
                "{query}"
            );
            assert!(p.description.contains(names), "{query}: {}", p.description);
        }
        for (extra, names) in [
            ("projection=XYZ", "XYZ"),
            ("coordsys=fk4", "`coordsys`"),
            ("format=gif", "`format`"),
            ("stretch=cube", "`stretch`"),
            ("min_cut=low", "`min_cut`"),
            ("cmap=nope", "`cmap`"),
            ("inverted=maybe", "`inverted`"),
            ("rotation_angle=x", "`rotation_angle`"),
        ] {
            let p = problem(&format!("{FIELD}&{extra}"));
            assert_eq!(p.status.as_u16(), 400, "{extra}");
            assert!(p.description.contains(names), "{extra}: {}", p.description);
        }
    }

    #[test]
    fn too_large_an_image_is_refused_before_any_work() {
        let p = problem("hips=A/P/B&ra=1&dec=2&fov=1&width=2000&height=1000");
        assert_eq!(
            (p.status.as_u16(), p.title.as_str()),
            (400, "Image too large")
        );
        assert!(
            p.description.contains("2000000 pixels"),
            "{}",
            p.description
        );
        let wcs = r#"{"NAXIS1": 5000, "NAXIS2": 5000, "CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN",
            "CRVAL1": 0, "CRVAL2": 0, "CRPIX1": 2500, "CRPIX2": 2500, "CDELT1": -0.001,
            "CDELT2": 0.001}"#;
        let p = problem(&format!("hips=A/P/B&wcs={}", urlencode(wcs)));
        assert_eq!(p.title, "Image too large");
    }

    #[test]
    fn a_wcs_as_astroquery_sends_it() {
        let wcs = r#"{"WCSAXES": 2, "CRPIX1": 50.5, "CRPIX2": 25.5, "CDELT1": -0.01,
            "CDELT2": 0.01, "CUNIT1": "deg", "CUNIT2": "deg", "CTYPE1": "GLON-AIT",
            "CTYPE2": "GLAT-AIT", "CRVAL1": 0.0, "CRVAL2": 0.0, "LONPOLE": 0.0,
            "LATPOLE": 90.0, "MJDREF": 0.0, "NAXIS1": 100, "NAXIS2": 50}"#;
        let q = parse(
            &pairs(&format!("hips=A/P/B&wcs={}", urlencode(wcs))),
            &LIMITS,
        )
        .unwrap();
        assert!(matches!(q.request.field, Field::Wcs(_)));
        for bad in ["{", "[1, 2]", r#"{"NAXIS1": 10}"#] {
            let p = problem(&format!("hips=A/P/B&wcs={}", urlencode(bad)));
            assert_eq!(
                (p.status.as_u16(), p.title.as_str()),
                (400, "Bad WCS"),
                "{bad}"
            );
        }
    }

    fn urlencode(s: &str) -> String {
        form_urlencoded::byte_serialize(s.as_bytes()).collect()
    }
}
