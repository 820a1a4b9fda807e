//! The surveys a server renders: those named at start-up, the IDs of its HiPS list, and the
//! embedded ones. A request names one by ID and never gives a URL or a path, so it cannot
//! make the server fetch or read anything else.

use super::problem::Problem;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::fetch::EmbeddedSource;
use axum::http::StatusCode;
use serde::Serialize;
use std::collections::BTreeMap;

/// A survey a request may name.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Entry {
    /// The ID requests give as `hips`.
    pub id: String,
    /// Its title, where known.
    pub title: Option<String>,
    /// Where the engine opens it from (not shown to clients).
    #[serde(skip)]
    pub location: String,
}

/// The surveys, by lower-case ID.
#[derive(Debug, Default)]
pub(crate) struct Catalogue {
    entries: BTreeMap<String, Entry>,
}

/// An ID as requests may write it: without `ivo://`, case-insensitive.
fn key(id: &str) -> String {
    id.trim().trim_start_matches("ivo://").to_ascii_lowercase()
}

impl Catalogue {
    /// Opens every survey of `named` (`(ID, location)`; without an ID, the survey's own
    /// `creator_did` names it), then adds the HiPS list's IDs when `with_list`, and the
    /// embedded surveys. A survey that does not open stops the start-up.
    pub(crate) async fn open(
        engine: &Engine,
        named: &[(Option<String>, String)],
        with_list: bool,
    ) -> Result<Catalogue> {
        let mut catalogue = Catalogue::default();
        for name in EmbeddedSource::names() {
            let location = format!("embedded:{name}");
            let survey = engine.survey(Some(&location)).await?;
            let title = survey.properties.title.clone();
            catalogue.add(location.clone(), title, location);
        }
        if with_list {
            for record in engine.hipslist().await? {
                let location = format!("id:{}", record.id);
                catalogue.add(record.id, record.title, location);
            }
        }
        for (id, location) in named {
            let survey = engine.survey(Some(location)).await?;
            let id = match id.clone().or_else(|| survey.properties.id.clone()) {
                Some(id) if !key(&id).is_empty() => id.trim_start_matches("ivo://").to_string(),
                _ => {
                    return Err(Error::invalid(format!(
                    "survey {location} has no creator_did to name it by: give it as ID={location}"
                )))
                }
            };
            let title = survey.properties.title.clone();
            catalogue.add(id, title, location.clone());
        }
        Ok(catalogue)
    }

    fn add(&mut self, id: String, title: Option<String>, location: String) {
        let entry = Entry {
            id: id.clone(),
            title,
            location,
        };
        self.entries.insert(key(&id), entry);
    }

    /// The surveys, sorted by ID.
    pub(crate) fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    /// The survey a request names by `hips`; a URL or a path is refused.
    pub(crate) fn find(&self, hips: &str) -> std::result::Result<&Entry, Problem> {
        if let Some(entry) = self.entries.get(&key(hips)) {
            return Ok(entry);
        }
        let looks_like_place = hips.contains("://")
            || hips.starts_with(['/', '.', '~', '\\'])
            || hips.contains("..")
            || hips.contains('\\');
        if looks_like_place {
            return Err(Problem::bad_parameter(
                "Not a survey ID",
                format!(
                    "`hips` must be the ID of a survey this server serves (see /surveys), \
                     not a URL or a path: `{hips}`"
                ),
            ));
        }
        Err(Problem::new(
            StatusCode::NOT_FOUND,
            "Unknown HiPS",
            format!("no survey `{hips}` is served here (see /surveys)"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_found_and_places_refused() {
        let mut c = Catalogue::default();
        c.add("CDS/P/DSS2/red".into(), None, "/data/dss".into());
        assert_eq!(c.find("cds/p/dss2/RED").unwrap().location, "/data/dss");
        assert_eq!(c.find("ivo://CDS/P/DSS2/red").unwrap().id, "CDS/P/DSS2/red");
        for place in [
            "http://evil.example/hips",
            "file:///etc",
            "/etc",
            "../secret",
            "./DSS",
            "~/x",
            "C:\\x",
        ] {
            let p = c.find(place).unwrap_err();
            assert_eq!(
                (p.status.as_u16(), p.title.as_str()),
                (400, "Not a survey ID")
            );
        }
        let p = c.find("CDS/P/2MASS/K").unwrap_err();
        assert_eq!((p.status.as_u16(), p.title.as_str()), (404, "Unknown HiPS"));
    }
}
