//! The library's errors as the Python exceptions of `hipscut.errors`, one class per kind,
//! carrying the library's message.

use hipscut::{Error, ErrorKind};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// The `hipscut.errors` class for `kind`.
fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::BadRequest => "BadRequest",
        ErrorKind::Unreachable => "Unreachable",
        ErrorKind::NotFound => "NotFound",
        ErrorKind::Partial => "PartialFailure",
        _ => "HipscutError",
    }
}

/// An exception of class `name` holding `message`.
fn raise(name: &str, message: String) -> PyErr {
    Python::attach(|py| {
        let made = py
            .import("hipscut.errors")
            .and_then(|module| module.getattr(name))
            .and_then(|class| class.call1((message.clone(),)));
        match made {
            Ok(exception) => PyErr::from_value(exception),
            // The package's Python half is missing: still say what failed.
            Err(_) => PyRuntimeError::new_err(message),
        }
    })
}

/// The library's error as its Python exception.
pub(crate) fn to_py(error: Error) -> PyErr {
    let message = match &error {
        // The class says it is a bad request; the message says what.
        Error::InvalidParameter(message) => message.clone(),
        other => other.to_string(),
    };
    raise(class_name(error.kind()), message)
}

/// A bad argument, found before the library was called.
pub(crate) fn bad(message: impl Into<String>) -> PyErr {
    raise("BadRequest", message.into())
}

/// A bug in the bindings.
pub(crate) fn internal(message: impl Into<String>) -> PyErr {
    raise("HipscutError", message.into())
}
