//! HiPS lists (the registry of surveys: `properties` records separated by blank lines) and the
//! resolution of survey IDs such as `CDS/P/DSS2/color` through them.

use super::RawProperties;
use crate::error::{Error, Result};

/// A small list of well-known surveys, used when no `--hipslist` is given.
pub(crate) const BUILTIN: &str = include_str!("builtin_hipslist.txt");

/// One survey of a HiPS list: its ID, what it is, and where it is served. Fields the list
/// does not give are `None`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct HipsRecord {
    /// The ID, without `ivo://`.
    pub id: String,
    /// `obs_title`.
    pub title: Option<String>,
    /// The main URL, then the mirrors.
    pub urls: Vec<String>,
    /// `hips_frame`.
    pub frame: Option<String>,
    /// `hips_order_min` and `hips_order`.
    pub orders: (Option<u8>, Option<u8>),
    /// `hips_tile_format`.
    pub formats: Option<String>,
    /// `obs_regime`: optical, infrared, radio, …
    pub regime: Option<String>,
}

impl HipsRecord {
    /// Whether every word begins a word (ignoring case) of the ID, the title or the regime:
    /// `dss red` finds `CDS/P/DSS2/red`, not `DSS colored`.
    pub fn matches(&self, words: &[String]) -> bool {
        let tokens: Vec<String> = [Some(&self.id), self.title.as_ref(), self.regime.as_ref()]
            .into_iter()
            .flatten()
            .flat_map(|s| s.split(|c: char| !c.is_alphanumeric()))
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase)
            .collect();
        words.iter().all(|w| {
            let w = w.to_lowercase();
            tokens.iter().any(|t| t.starts_with(&w))
        })
    }
}

/// Parses a HiPS list; records without an ID or a service URL are skipped.
pub fn parse_list(text: &str) -> Vec<HipsRecord> {
    let mut records = Vec::new();
    let mut chunk = String::new();
    for line in text.lines().chain(std::iter::once("")) {
        if line.trim().is_empty() {
            if let Some(record) = record_of(&chunk) {
                records.push(record);
            }
            chunk.clear();
        } else {
            chunk.push_str(line);
            chunk.push('\n');
        }
    }
    records
}

fn record_of(chunk: &str) -> Option<HipsRecord> {
    let raw = RawProperties::parse(chunk);
    let id = raw
        .get("ID")
        .or_else(|| raw.get("creator_did"))
        .map(normalise_id)?;
    let urls: Vec<String> = raw
        .service_urls()
        .into_iter()
        .filter(|v| v.starts_with("http://") || v.starts_with("https://"))
        .collect();
    let text = |key: &str| raw.get(key).map(str::to_string);
    let order = |key: &str| raw.get(key).and_then(|v| v.trim().parse().ok());
    (!urls.is_empty()).then(|| HipsRecord {
        id,
        title: text("obs_title"),
        urls,
        frame: text("hips_frame"),
        orders: (order("hips_order_min"), order("hips_order")),
        formats: text("hips_tile_format"),
        regime: text("obs_regime"),
    })
}

/// `ivo://CDS/P/DSS2/color` and `CDS/P/DSS2/color` name the same survey.
fn normalise_id(id: &str) -> String {
    id.trim().trim_start_matches("ivo://").to_string()
}

/// Whether a `--survey` value looks like a survey ID (`AUTHORITY/P/NAME…`) rather than a path.
pub(crate) fn looks_like_id(s: &str) -> bool {
    let s = s.trim_start_matches("ivo://");
    s.split('/').count() >= 3
        && !s.starts_with(['.', '/', '~'])
        && s.split('/').all(|part| !part.is_empty())
        && !s.contains(char::is_whitespace)
}

/// The record whose ID is `query` (case-insensitive); an unknown ID lists the closest ones.
pub(crate) fn resolve<'r>(query: &str, records: &'r [HipsRecord]) -> Result<&'r HipsRecord> {
    let wanted = normalise_id(query).to_ascii_lowercase();
    let matches: Vec<&HipsRecord> = records
        .iter()
        .filter(|r| r.id.to_ascii_lowercase() == wanted)
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => {
            let mut scored: Vec<(usize, &str)> = records
                .iter()
                .map(|r| {
                    let id = r.id.to_ascii_lowercase();
                    let bonus = if id.contains(&wanted) || wanted.contains(&id) {
                        0
                    } else {
                        1
                    };
                    (bonus * 1000 + edit_distance(&id, &wanted), r.id.as_str())
                })
                .collect();
            scored.sort();
            let closest: Vec<&str> = scored.iter().take(5).map(|s| s.1).collect();
            Err(Error::UnknownSurveyId {
                id: query.to_string(),
                closest: closest.join(", "),
            })
        }
        many => Err(Error::AmbiguousSurveyId {
            id: query.to_string(),
            candidates: many
                .iter()
                .map(|r| r.urls[0].as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// Levenshtein distance.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_list_parses_and_resolves() {
        let records = parse_list(BUILTIN);
        assert!(records.len() >= 8);
        let dss = resolve("CDS/P/DSS2/color", &records).unwrap();
        assert!(dss.urls[0].starts_with("https://"));
        assert!(dss.urls.len() >= 2, "mirrors are listed");
        assert_eq!(resolve("ivo://cds/p/dss2/COLOR", &records).unwrap(), dss);
        let err = resolve("CDS/P/DSS2/colour", &records)
            .unwrap_err()
            .to_string();
        assert!(err.contains("CDS/P/DSS2/color"), "{err}");
    }

    #[test]
    fn ids_and_paths_are_told_apart() {
        assert!(looks_like_id("CDS/P/DSS2/color"));
        assert!(looks_like_id("ivo://CDS/P/2MASS/H"));
        assert!(!looks_like_id("./surveys/dss"));
        assert!(!looks_like_id("/data/hips/dss"));
        assert!(!looks_like_id("DSS2Red"));
    }

    #[test]
    fn records_need_an_id_and_a_url() {
        let list =
            "ID = A/P/x\nhips_service_url = http://h/x\nhips_service_url_1 = http://m/x/\n\n\
                    ID = B/P/y\n\ncreator_did = ivo://C/P/z\nhips_service_url = https://h/z\n";
        let records = parse_list(list);
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].urls, vec!["http://h/x", "http://m/x"]);
        assert_eq!(records[1].id, "C/P/z");
        assert!(matches!(
            resolve("Q/P/nothing", &records),
            Err(Error::UnknownSurveyId { .. })
        ));
    }
}
