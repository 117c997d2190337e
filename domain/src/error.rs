//! The one error type of the domain. Every message is written for the person at the page:
//! it says what is wrong and, where it helps, what to do instead. Nothing internal leaks
//! through `Display` except for [`DomainError::Storage`], which the web layer logs and replaces.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    /// A value typed by the user is not acceptable; `field` names the form field.
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    /// Several fields of one form are wrong: each with its message, in form order.
    #[error("{}", .0.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join(" "))]
    Fields(Vec<(&'static str, String)>),
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
    /// Too much work at once (password checks); try again shortly.
    #[error("{0}")]
    Busy(String),
    /// The disk is full: nothing of the change was written.
    #[error("{0}")]
    DiskFull(String),
    /// The database failed. The text is for the log only.
    #[error("storage error: {0}")]
    Storage(String),
}

impl DomainError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        DomainError::Invalid { field, message: message.into() }
    }
}

/// Collects the field errors of one form, so the page shows all of them at once rather
/// than the first: `check` each field's result, then `finish` (or give up with
/// `into_error` when a value is missing).
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    /// The value, or `None` with its message kept (an error that is not about a field is
    /// kept as a message for the whole form).
    pub fn check<T>(&mut self, r: Result<T, DomainError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(e);
                None
            }
        }
    }

    pub fn add(&mut self, e: DomainError) {
        match e {
            DomainError::Invalid { field, message } => self.0.push((field, message)),
            DomainError::Fields(v) => self.0.extend(v),
            other => self.0.push(("", other.to_string())),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok` when no field was wrong.
    pub fn finish(self) -> Result<(), DomainError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.into_error())
        }
    }

    /// The error for what was collected (one field: `Invalid`; several: `Fields`).
    pub fn into_error(mut self) -> DomainError {
        match self.0.len() {
            0 => DomainError::invalid("", "The form is incomplete."),
            1 => {
                let (field, message) = self.0.remove(0);
                DomainError::Invalid { field, message }
            }
            _ => DomainError::Fields(self.0),
        }
    }
}

#[cfg(feature = "store")]
impl From<rusqlite::Error> for DomainError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(f, _) = &e {
            if f.code == rusqlite::ErrorCode::DiskFull {
                return DomainError::DiskFull(
                    "The MCU's disk is full: the change was not saved (nothing of it was written). \
                     Free space in the data folder, then try again."
                        .into(),
                );
            }
        }
        DomainError::Storage(e.to_string())
    }
}

#[cfg(feature = "store")]
impl From<serde_json::Error> for DomainError {
    fn from(e: serde_json::Error) -> Self {
        DomainError::Storage(format!("stored record does not decode: {e}"))
    }
}
