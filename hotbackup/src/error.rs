//! What the peer endpoints answer when they refuse, with the HTTP status each maps to.

use domain::DomainError;

/// Errors of the peer endpoints, with the HTTP status they map to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Internal(String),
    /// Too many logins being checked at once; try again shortly.
    #[error("{0}")]
    Busy(String),
}

impl PeerError {
    pub fn status(&self) -> u16 {
        match self {
            PeerError::BadRequest(_) => 400,
            PeerError::Unauthorized(_) => 401,
            PeerError::Conflict(_) => 409,
            PeerError::Busy(_) => 429,
            PeerError::Internal(_) => 500,
        }
    }
}

impl From<DomainError> for PeerError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Storage(m) => {
                tracing::error!(error = %m, "storage failure on the peer link");
                PeerError::Internal("storage failure on the paired MCU".into())
            }
            DomainError::Busy(m) => PeerError::Busy(m),
            other => PeerError::Conflict(other.to_string()),
        }
    }
}
