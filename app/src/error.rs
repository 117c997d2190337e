//! The error every server function returns: typed, serialisable, and worded for the page.
//! `field` on [`AppError::Invalid`] lets a form put the message next to the right input.

use leptos::server_fn::codec::Post;
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Error)]
pub enum AppError {
    #[error("You are not logged in, or your session has ended. Please log in.")]
    NotLoggedIn,
    #[error("{0}")]
    Forbidden(String),
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// Several fields of one form are wrong (field, message), each shown under its input.
    #[error("{}", fields_text(.0))]
    Fields(Vec<(String, String)>),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    LoginRefused(String),
    /// Too much at once (logins being checked, or too many failed logins from here); the
    /// answer is 429 with `Retry-After`.
    #[error("{message}")]
    Throttled { message: String, retry_after_s: u64 },
    #[error("The MCU could not complete the request; the details are in its log.")]
    Internal,
    /// The request did not get through, or the answer could not be read.
    #[error("Could not reach the MCU ({0}). Check the connection and try again.")]
    Transport(String),
}

fn fields_text(v: &[(String, String)]) -> String {
    format!("{} field(s) need attention: {}", v.len(), v.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join(" "))
}

impl AppError {
    /// The message for `field`, if this error is about that form field.
    pub fn for_field(&self, name: &str) -> Option<String> {
        match self {
            AppError::Invalid { field, message } if field == name => Some(message.clone()),
            AppError::Fields(v) => v.iter().find(|(f, _)| f == name).map(|(_, m)| m.clone()),
            _ => None,
        }
    }

    /// Whether the message belongs next to a field rather than above the form.
    pub fn is_field_error(&self) -> bool {
        matches!(self, AppError::Invalid { .. } | AppError::Fields(_))
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonText;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // A missing or malformed argument is bad input, not a broken server.
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => {
                AppError::Invalid { field: String::new(), message: format!("The form was incomplete or malformed: {m}") }
            }
            ServerFnErrorErr::ServerError(_) | ServerFnErrorErr::Registration(_) | ServerFnErrorErr::Response(_) => {
                AppError::Internal
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<domain::DomainError> for AppError {
    fn from(e: domain::DomainError) -> Self {
        use domain::DomainError as D;
        match e {
            D::Invalid { field, message } => AppError::Invalid { field: field.to_string(), message },
            D::Fields(v) => AppError::Fields(v.into_iter().map(|(f, m)| (f.to_string(), m)).collect()),
            D::Forbidden(m) => AppError::Forbidden(m),
            D::NotFound(m) => AppError::NotFound(m),
            D::Conflict(m) => AppError::Conflict(m),
            D::LoginRefused(m) => AppError::LoginRefused(m),
            D::Busy(message) => AppError::Throttled { message, retry_after_s: domain::auth::BUSY_RETRY_S },
            // Written for the page: nothing was saved, and what to do.
            D::DiskFull(m) => {
                tracing::error!("disk full: a change was refused");
                AppError::Conflict(m)
            }
            D::Storage(m) => {
                tracing::error!(error = %m, "storage failure");
                AppError::Internal
            }
        }
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    pub fn status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode as S;
        match self {
            AppError::NotLoggedIn | AppError::LoginRefused(_) => S::UNAUTHORIZED,
            AppError::Forbidden(_) => S::FORBIDDEN,
            AppError::Invalid { .. } | AppError::Fields(_) => S::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => S::CONFLICT,
            AppError::NotFound(_) => S::NOT_FOUND,
            AppError::Throttled { .. } => S::TOO_MANY_REQUESTS,
            AppError::Internal | AppError::Transport(_) => S::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Server functions' answers: JSON, as with Leptos's own `Json`, but read in the browser
/// through the same `serde_json` reader (`from_str`) that reads the data a server-rendered
/// page carries for hydration. With Leptos's codec every answer type was decoded by two
/// readers (`from_slice` after a call, `from_str` at hydration): two copies of each type's
/// decoder in the WASM. The wire format is unchanged.
pub type Json = Post<JsonText>;

/// The encoding behind [`Json`] (see there).
pub struct JsonText;

impl ContentType for JsonText {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonText {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonText {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

/// An answer that is not valid JSON for the expected type (or not UTF-8).
#[derive(Debug)]
pub struct JsonTextError(String);

impl std::fmt::Display for JsonTextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<T: serde::de::DeserializeOwned> Decodes<T> for JsonText {
    type Error = JsonTextError;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes).map_err(|e| JsonTextError(e.to_string()))?;
        serde_json::from_str(text).map_err(|e| JsonTextError(e.to_string()))
    }
}
