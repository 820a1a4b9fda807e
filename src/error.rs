//! The library's typed errors: each names the problem and the input that caused it.

use std::path::PathBuf;

/// Everything that can stop a render or a survey inspection. [`Error::kind`] sorts them into
/// the few kinds a front answers differently.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A target name that neither Sesame nor the built-in table knows.
    #[error(
        "cannot find `{name}`: {reason}, and the built-in table of named objects does not know it"
    )]
    UnknownTarget {
        /// The name.
        name: String,
        /// Why Sesame did not answer.
        reason: String,
    },
    /// A local file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The survey's `properties` could not be read (after every retry and mirror).
    #[error("{reason}: the survey at {location} has no readable `properties` file")]
    SurveyUnreachable {
        /// The survey's location.
        location: String,
        /// The last failure.
        reason: String,
    },
    /// The survey's `properties` file is not a valid HiPS description.
    #[error("survey properties are malformed: {0}")]
    Properties(String),
    /// A survey location that is neither a folder, a URL, an ID nor an embedded name.
    #[error("unsupported survey location `{0}`: give a directory, a file:// or http(s):// URL, a survey ID, or nothing for the embedded survey")]
    UnsupportedLocation(String),
    /// A survey ID that the HiPS list does not hold.
    #[error("unknown survey ID `{id}`; the closest known IDs are: {closest}")]
    UnknownSurveyId {
        /// The ID asked for.
        id: String,
        /// The nearest IDs the list holds.
        closest: String,
    },
    /// A survey ID that several surveys of the HiPS list match.
    #[error("survey ID `{id}` is ambiguous: it names {candidates}")]
    AmbiguousSurveyId {
        /// The ID asked for.
        id: String,
        /// The surveys it matches.
        candidates: String,
    },
    /// The HiPS list could not be read.
    #[error("cannot read the HiPS list {location}: {reason}")]
    HipsList {
        /// Where the list was looked for.
        location: String,
        /// Why it could not be read.
        reason: String,
    },
    /// Tiles failed in a strict render.
    #[error("{count} tile(s) failed and strict mode is on; first: {first}")]
    StrictFailure {
        /// How many tiles failed.
        count: usize,
        /// The first failure.
        first: String,
    },
    /// The request asks for a tile format the survey does not offer.
    #[error("tile format `{wanted}` is not offered by this survey (it has: {offered})")]
    TileFormatNotOffered {
        /// The format asked for.
        wanted: String,
        /// The formats the survey offers.
        offered: String,
    },
    /// A tile or an Allsky that does not decode.
    #[error("cannot decode tile {what}: {reason}")]
    Decode {
        /// The tile.
        what: String,
        /// Why.
        reason: String,
    },
    /// A request parameter out of its range or unknown.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// A WCS header that cannot describe an output image.
    #[error("invalid WCS header: {0}")]
    InvalidWcs(String),
    /// A WCS header without the image size, in a request that gives none either.
    #[error("the WCS header has no {key} and the request gives no size for it")]
    HeaderWithoutSize {
        /// The card missing: NAXIS1 or NAXIS2.
        key: &'static str,
    },
    /// A projection code hipscut does not know.
    #[error("unknown projection `{code}` (supported: {supported})")]
    UnknownProjection {
        /// The code asked for.
        code: String,
        /// The supported codes.
        supported: String,
    },
    /// A wcslib projection not offered here (XPH).
    #[error("projection `{code}` is not supported yet (supported: {supported})")]
    RefusedProjection {
        /// The code asked for.
        code: String,
        /// The supported codes.
        supported: String,
    },
    /// An output file name whose extension names no supported format.
    #[error("unsupported output file `{0}`: the name must end in .fits, .png or .jpg")]
    UnsupportedOutput(PathBuf),
    /// The render's deadline passed.
    #[error("the render did not finish before its deadline: {awaited} file(s) were still awaited from {hosts}")]
    Deadline {
        /// Files still awaited.
        awaited: usize,
        /// The hosts they were awaited from.
        hosts: String,
    },
    /// A bug in hipscut.
    #[error("{0}")]
    Internal(String),
    /// No output pixel received data.
    #[error("no output pixel received data from {survey} in the field {field} ({tiles}); the survey has nothing there at the chosen order")]
    EmptyRender {
        /// The survey's location.
        survey: String,
        /// The field, described.
        field: String,
        /// What became of the tiles.
        tiles: String,
    },
    /// The output file could not be written.
    #[error("cannot write {path}: {reason}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Some fields of a batch failed (each is in the batch report).
    #[error("{failed} of {fields} field(s) failed; each failure is in {report}")]
    FieldsFailed {
        /// Fields that failed.
        failed: usize,
        /// Fields of the batch.
        fields: usize,
        /// The batch report.
        report: String,
    },
    /// The image could not be encoded (into memory or a writer).
    #[error("cannot encode the image as {format}: {reason}")]
    Encode {
        /// The format: FITS, PNG or JPEG.
        format: &'static str,
        /// Why.
        reason: String,
    },
}

/// The library's result type.
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
    /// Part of the work failed and the rest was done (a batch with failed fields).
    Partial,
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
            ErrorKind::Partial => 1,
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
            Error::UnknownSurveyId { .. }
            | Error::EmptyRender { .. }
            | Error::UnknownTarget { .. } => ErrorKind::NotFound,
            Error::Internal(_) | Error::Encode { .. } => ErrorKind::Internal,
            Error::FieldsFailed { .. } => ErrorKind::Partial,
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
