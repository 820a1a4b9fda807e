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
    #[error("{count} tile(s) failed and strict mode is on; first: {first}")]
    StrictFailure { count: usize, first: String },
    #[error("tile format `{wanted}` is not offered by this survey (it has: {offered})")]
    TileFormatNotOffered { wanted: String, offered: String },
    #[error("cannot decode tile {what}: {reason}")]
    Decode { what: String, reason: String },
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    #[error("invalid WCS header: {0}")]
    InvalidWcs(String),
    #[error("the WCS header has no {key} and the request gives no size for it")]
    HeaderWithoutSize { key: &'static str },
    #[error("unknown projection `{code}` (supported: {supported})")]
    UnknownProjection { code: String, supported: String },
    #[error("projection `{code}` is not supported: its mapping disagrees with wcslib (supported: {supported})")]
    RefusedProjection { code: String, supported: String },
    #[error("unsupported output file `{0}`: the name must end in .fits, .png or .jpg")]
    UnsupportedOutput(PathBuf),
    #[error("the render did not finish before its deadline: {awaited} file(s) were still awaited from {hosts}")]
    Deadline { awaited: usize, hosts: String },
    #[error("{0}")]
    Internal(String),
    #[error("no output pixel received data from {survey} in the field {field} ({tiles}); the survey has nothing there at the chosen order")]
    EmptyRender {
        survey: String,
        field: String,
        tiles: String,
    },
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
    #[error("cannot encode the image as {format}: {reason}")]
    Encode {
        format: &'static str,
        reason: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an error is: the CLI maps kinds to exit statuses, a service to HTTP
/// statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request is wrong: a parameter, a header, a file name, a survey name.
    BadRequest,
    /// The survey could not be read as it should: unreachable, failing, too slow, broken.
    Unreachable,
    /// The request is fine but there is nothing to show: no survey by that ID, no data there.
    NotFound,
    /// A bug in hipscut.
    Internal,
}

impl ErrorKind {
    /// The process exit status for this kind (2 as for usage errors, then 3, 4; 70 is
    /// sysexits' EX_SOFTWARE).
    pub fn exit_status(self) -> u8 {
        match self {
            ErrorKind::BadRequest => 2,
            ErrorKind::Unreachable => 3,
            ErrorKind::NotFound => 4,
            ErrorKind::Internal => 70,
        }
    }
}

impl Error {
    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Io { .. }
            | Error::UnsupportedLocation(_)
            | Error::AmbiguousSurveyId { .. }
            | Error::TileFormatNotOffered { .. }
            | Error::InvalidParameter(_)
            | Error::InvalidWcs(_)
            | Error::HeaderWithoutSize { .. }
            | Error::UnknownProjection { .. }
            | Error::RefusedProjection { .. }
            | Error::UnsupportedOutput(_)
            | Error::Write { .. } => ErrorKind::BadRequest,
            Error::SurveyUnreachable { .. }
            | Error::Properties(_)
            | Error::HipsList { .. }
            | Error::StrictFailure { .. }
            | Error::Decode { .. }
            | Error::Deadline { .. } => ErrorKind::Unreachable,
            Error::UnknownSurveyId { .. } | Error::EmptyRender { .. } => ErrorKind::NotFound,
            Error::Internal(_) | Error::Encode { .. } => ErrorKind::Internal,
        }
    }

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
