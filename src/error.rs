//! The library's typed errors: each names the problem and the input that caused it.

use std::path::PathBuf;

/// Everything that can stop a render or a survey inspection.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{reason}: the survey at {location} has no readable `properties` file")]
    SurveyUnreachable { location: String, reason: String },
    #[error("survey properties are malformed: {0}")]
    Properties(String),
    #[error("unsupported survey location `{0}`: give a directory, a file:// or http(s):// URL, a survey ID, or nothing for the embedded survey")]
    UnsupportedLocation(String),
    #[error("unknown survey ID `{id}`; the closest known IDs are: {closest}")]
    UnknownSurveyId { id: String, closest: String },
    #[error("survey ID `{id}` is ambiguous: it names {candidates}")]
    AmbiguousSurveyId { id: String, candidates: String },
    #[error("cannot read the HiPS list {location}: {reason}")]
    HipsList { location: String, reason: String },
    #[error("{count} tile(s) failed and --strict is set; first: {first}")]
    StrictFailure { count: usize, first: String },
    #[error("tile format `{wanted}` is not offered by this survey (it has: {offered})")]
    TileFormatNotOffered { wanted: String, offered: String },
    #[error("cannot decode tile {what}: {reason}")]
    Decode { what: String, reason: String },
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    #[error("invalid WCS header: {0}")]
    InvalidWcs(String),
    #[error("unknown projection `{0}` (supported: {known})", known = crate::geometry::PROJECTION_CODES.join(" "))]
    UnknownProjection(String),
    #[error("projection `{0}` is not supported: its mapping disagrees with wcslib (supported: {known})", known = crate::geometry::PROJECTION_CODES.join(" "))]
    RefusedProjection(String),
    #[error("unsupported output file `{0}`: the name must end in .fits, .png or .jpg")]
    UnsupportedOutput(PathBuf),
    #[error("the render did not finish before its deadline (--deadline): {awaited} file(s) were still awaited from {hosts}")]
    Deadline { awaited: usize, hosts: String },
    #[error("{0}")]
    Internal(String),
    #[error("no output pixel received data from {survey} in the field {field} ({tiles}); the survey has nothing there at the chosen order (--allow-empty accepts an empty image)")]
    EmptyRender {
        survey: String,
        field: String,
        tiles: String,
    },
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
    pub(crate) fn decode(what: impl std::fmt::Display, reason: impl std::fmt::Display) -> Self {
        Error::Decode {
            what: what.to_string(),
            reason: reason.to_string(),
        }
    }
    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidParameter(msg.into())
    }
}
