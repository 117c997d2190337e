//! Store calls from async code: on tokio's blocking pool (the engine, the alarm book's
//! writer, and the server's own tasks).

use domain::store::Store;
use domain::DomainError;

/// Runs a (blocking) store call on tokio's blocking pool; a task that failed is a storage
/// error.
pub async fn blocking<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&Store) -> Result<T, DomainError> + Send + 'static,
) -> Result<T, DomainError> {
    let s = store.clone();
    tokio::task::spawn_blocking(move || f(&s))
        .await
        .unwrap_or_else(|e| Err(DomainError::Storage(format!("store task failed: {e}"))))
}
