//! RGB composites: three single-band surveys rendered on one pixel grid, one per colour.

use crate::error::{Error, Result};
use crate::pipeline::workers::Workers;
use crate::pipeline::Progress;
use crate::raster::Raster;
use crate::render::{render_on, BandSource, Bands, Provenance, Rendered};
use crate::request::{Field, RenderRequest, WcsHeader};
use crate::survey::Survey;
use std::sync::Arc;
use std::time::Instant;

/// The surveys an image is made from: one, or three combined as red, green and blue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sources {
    /// One survey (`None`: the embedded one).
    One(Option<String>),
    /// Three single-band surveys, shown as red, green and blue.
    Rgb([String; 3]),
}

impl Sources {
    /// Parses `--rgb`'s `SURVEY_R,SURVEY_G,SURVEY_B`.
    pub fn rgb(list: &str) -> Result<Sources> {
        let parts: Vec<&str> = list.split(',').map(str::trim).collect();
        match parts[..] {
            [r, g, b] if !r.is_empty() && !g.is_empty() && !b.is_empty() => {
                Ok(Sources::Rgb([r.into(), g.into(), b.into()]))
            }
            _ => Err(Error::invalid(format!(
                "`{list}` is not three surveys (red, green, blue) separated by commas"
            ))),
        }
    }
}

/// Renders `request` from three single-band surveys as red, green and blue, concurrently on
/// `workers`, giving up at `until`.
pub(crate) async fn render_rgb_on(
    workers: &Arc<Workers>,
    surveys: [&Survey; 3],
    request: &RenderRequest,
    progress: &dyn Progress,
    until: Option<Instant>,
) -> Result<Rendered> {
    let [r, g, b] = surveys;
    let band = band_request(r, request)?;
    let (red, green, blue) = tokio::join!(
        render_on(workers, r, &band, progress, until),
        render_on(workers, g, &band, progress, until),
        render_on(workers, b, &band, progress, until)
    );
    combine([red?, green?, blue?], surveys, request)
}

/// The request each band is rendered with: the same pixel grid (the field as resolved for the
/// red survey, as a WCS header), and no empty-image error (a band may lack coverage where the
/// others have it). Without a requested order, each band reads the order its survey's
/// resolution asks for.
fn band_request(red: &Survey, request: &RenderRequest) -> Result<RenderRequest> {
    let geometry = request.field.geometry(red)?;
    let header = WcsHeader::from_cards(geometry.cards.clone())
        .width(geometry.width)
        .height(geometry.height);
    // The bands are combined as values.
    let mut band = request.clone().allow_empty(true).for_picture(false);
    band.field = Field::Wcs(header);
    Ok(band)
}

/// Combines three single-band renders into one composite image.
fn combine(
    bands: [Rendered; 3],
    surveys: [&Survey; 3],
    request: &RenderRequest,
) -> Result<Rendered> {
    for (band, survey) in bands.iter().zip(surveys) {
        if band.image.channels != 1 {
            return Err(Error::invalid(format!(
                "{} is a colour survey: a composite takes single-band surveys",
                survey.location
            )));
        }
    }
    let [r, g, b] = bands;
    let data: Vec<f32> = (r.image.data.iter().zip(&g.image.data).zip(&b.image.data))
        .flat_map(|((&r, &g), &b)| [r, g, b])
        .collect();
    if !request.allow_empty && data.iter().all(|v| v.is_nan()) {
        return Err(Error::EmptyRender {
            survey: surveys.map(|s| s.location.as_str()).join(", "),
            field: r.geometry.describe(),
            tiles: "no band has data there".into(),
        });
    }
    let source = |band: &Rendered| BandSource {
        values: band.bands == Bands::Values,
        pixel_cut: band.provenance.pixel_cut,
    };
    let bands_of = Bands::Composite([source(&r), source(&g), source(&b)]);
    let mut stats = r.stats.clone();
    for other in [&g.stats, &b.stats] {
        stats.add(other);
    }
    Ok(Rendered {
        image: Raster {
            width: r.image.width,
            height: r.image.height,
            channels: 3,
            data,
        },
        provenance: provenance([&r, &g, &b]),
        bands: bands_of,
        stats,
        warnings: unique(
            [&r, &g, &b]
                .iter()
                .flat_map(|band| band.warnings.iter().cloned()),
        ),
        ..r
    })
}

/// The three surveys' provenance, band by band.
fn provenance(bands: [&Rendered; 3]) -> Provenance {
    let joined = |f: &dyn Fn(&Provenance) -> Option<String>| {
        let parts: Vec<String> = bands
            .iter()
            .zip(["R", "G", "B"])
            .filter_map(|(band, colour)| Some(format!("{colour}: {}", f(&band.provenance)?)))
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    };
    Provenance {
        survey_id: joined(&|p| p.survey_id.clone()),
        title: joined(&|p| p.title.clone()),
        copyright: unique(
            bands
                .iter()
                .flat_map(|band| band.provenance.copyright.iter().cloned()),
        ),
        pixel_cut: None,
        release_date: bands[0].provenance.release_date.clone(),
    }
}

/// The items in their first order, each once.
fn unique<T: PartialEq>(items: impl Iterator<Item = T>) -> Vec<T> {
    items.fold(Vec::new(), |mut all, item| {
        if !all.contains(&item) {
            all.push(item);
        }
        all
    })
}
