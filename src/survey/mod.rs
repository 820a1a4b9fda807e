//! A HiPS survey: its properties and the source its files are read from.

mod properties;
mod source;

pub use properties::{Properties, RawProperties};
pub use source::{DirSource, EmbeddedSource, TileSource, DEFAULT_EMBEDDED};

use crate::error::{Error, Result};
use std::path::PathBuf;

/// An opened survey: where it is, what it is, and how to read its tiles.
pub struct Survey {
    pub location: String,
    pub properties: Properties,
    pub source: Box<dyn TileSource>,
}

impl Survey {
    /// Opens a survey from a directory, a `file://` URL, `embedded:NAME`, or (with `None`) the
    /// embedded default survey.
    pub fn open(location: Option<&str>) -> Result<Survey> {
        let location = location.unwrap_or("").trim();
        let (label, source): (String, Box<dyn TileSource>) = if location.is_empty() {
            embedded_source(DEFAULT_EMBEDDED)?
        } else if let Some(name) = location.strip_prefix("embedded:") {
            embedded_source(name)?
        } else if let Some(path) = location.strip_prefix("file://") {
            dir_source(PathBuf::from(path), location)?
        } else if location.contains("://") {
            return Err(Error::UnsupportedLocation(location.to_string()));
        } else {
            dir_source(PathBuf::from(location), location)?
        };
        Self::from_source(label, source)
    }

    /// Reads `properties` through `source` and builds the survey.
    pub fn from_source(location: String, source: Box<dyn TileSource>) -> Result<Survey> {
        let bytes = source
            .read("properties")
            .map_err(|e| Error::SurveyUnreachable {
                location: location.clone(),
                reason: e.to_string(),
            })?
            .ok_or_else(|| Error::SurveyUnreachable {
                location: location.clone(),
                reason: "no such file".into(),
            })?;
        let text = String::from_utf8_lossy(&bytes);
        let properties = Properties::parse(&text)?;
        Ok(Survey {
            location,
            properties,
            source,
        })
    }

    /// A multi-line human description: title, ID, orders, formats, frame, credits.
    pub fn describe(&self) -> String {
        let p = &self.properties;
        let mut out = String::new();
        let mut line = |k: &str, v: String| out.push_str(&format!("{k:<14}{v}\n"));
        line("location", self.location.clone());
        line("title", p.title.clone().unwrap_or_else(|| "(none)".into()));
        line("id", p.id.clone().unwrap_or_else(|| "(none)".into()));
        line("orders", format!("{}..{}", p.order_min, p.order_max));
        line("tile width", format!("{} px", p.tile_width));
        let formats: Vec<&str> = p.formats.iter().map(|f| f.name()).collect();
        line("tile formats", formats.join(" "));
        line("frame", p.frame.name().to_string());
        line("colour", if p.colour { "yes" } else { "no" }.to_string());
        let depth = p.order_max + p.tile_depth();
        line(
            "resolution",
            format!(
                "{:.4}\" per pixel at the deepest order",
                crate::plan::cell_size_deg(depth) * 3600.0
            ),
        );
        if let (Some(ra), Some(dec)) = (p.initial_ra, p.initial_dec) {
            let fov = p
                .initial_fov
                .map(|f| format!(", fov {f}°"))
                .unwrap_or_default();
            line("initial view", format!("ra {ra}°, dec {dec}°{fov}"));
        }
        for m in &p.mirrors {
            line("mirror", m.clone());
        }
        for c in &p.copyright {
            line("credit", c.clone());
        }
        out
    }
}

fn embedded_source(name: &str) -> Result<(String, Box<dyn TileSource>)> {
    let source = EmbeddedSource::new(name).ok_or_else(|| {
        Error::UnsupportedLocation(format!(
            "embedded:{name} (embedded surveys: {})",
            EmbeddedSource::names().join(", ")
        ))
    })?;
    Ok((format!("embedded:{name}"), Box::new(source)))
}

fn dir_source(root: PathBuf, label: &str) -> Result<(String, Box<dyn TileSource>)> {
    if !root.is_dir() {
        return Err(Error::SurveyUnreachable {
            location: label.to_string(),
            reason: "not a directory".into(),
        });
    }
    Ok((label.to_string(), Box::new(DirSource { root })))
}
