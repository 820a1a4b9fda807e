//! A refused or failed request as hips2fits answers it: a status and a JSON body with a
//! `title` and a `description` (the two fields astroquery prints).

use crate::error::{Error, ErrorKind};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Why a request gets no image.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub status: StatusCode,
    pub title: String,
    pub description: String,
    /// Seconds after which to try again (503).
    pub retry_after: Option<u32>,
}

impl Problem {
    pub(crate) fn new(status: StatusCode, title: &str, description: impl Into<String>) -> Self {
        Problem {
            status,
            title: title.to_string(),
            description: description.into(),
            retry_after: None,
        }
    }

    /// A parameter is missing or wrong.
    pub(crate) fn bad_parameter(title: &str, description: impl Into<String>) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, title, description)
    }

    /// The image asked for is above the server's limit.
    pub(crate) fn too_large(description: String) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, "Image too large", description)
    }

    /// Every render slot and queue place is taken.
    pub(crate) fn busy(retry_after: u32) -> Self {
        Problem {
            retry_after: Some(retry_after),
            ..Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Server busy",
                "every render slot and every place in the queue is taken; try again shortly",
            )
        }
    }

    /// A library error, its status from its kind.
    pub(crate) fn of(error: &Error) -> Self {
        let (status, title) = match (error.kind(), error) {
            (_, Error::Deadline { .. }) => (StatusCode::GATEWAY_TIMEOUT, "Render too slow"),
            (_, Error::EmptyRender { .. }) => (StatusCode::NOT_FOUND, "No data"),
            (ErrorKind::BadRequest, _) => (StatusCode::BAD_REQUEST, "Bad request"),
            (ErrorKind::NotFound, _) => (StatusCode::NOT_FOUND, "Not found"),
            (ErrorKind::Unreachable, _) => (StatusCode::BAD_GATEWAY, "Survey unreachable"),
            (ErrorKind::Internal | ErrorKind::Partial, _) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "Internal error")
            }
        };
        Problem::new(status, title, error.to_string())
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"title": self.title, "description": self.description});
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
