//! The one error type of the domain. Every message is written for the person at the page:
//! it says what is wrong and, where it helps, what to do instead. Nothing internal leaks
//! through `Display` except for [`DomainError::Storage`], which the web layer logs and replaces.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    /// A value typed by the user is not acceptable; `field` names the form field.
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    /// The user's role does not allow the action.
    #[error("{0}")]
    Forbidden(String),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The action conflicts with the current state (a duplicate name, the last Administrator...).
    #[error("{0}")]
    Conflict(String),
    /// Login refused (wrong credentials or throttled); deliberately vague about which.
    #[error("{0}")]
    LoginRefused(String),
    /// The database failed. The text is for the log only.
    #[error("storage error: {0}")]
    Storage(String),
}

impl DomainError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        DomainError::Invalid { field, message: message.into() }
    }
}

#[cfg(feature = "store")]
impl From<rusqlite::Error> for DomainError {
    fn from(e: rusqlite::Error) -> Self {
        DomainError::Storage(e.to_string())
    }
}

#[cfg(feature = "store")]
impl From<serde_json::Error> for DomainError {
    fn from(e: serde_json::Error) -> Self {
        DomainError::Storage(format!("stored record does not decode: {e}"))
    }
}
