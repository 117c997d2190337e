//! The server's own tasks (scheduler, redial, watch, exports) reach the store here.

use domain::store::Store;

/// Runs a (blocking) store call on tokio's blocking pool, for the server's own tasks.
pub(crate) async fn blocking<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&Store) -> Result<T, domain::DomainError> + Send + 'static,
) -> Result<T, domain::DomainError> {
    let s = store.clone();
    tokio::task::spawn_blocking(move || f(&s))
        .await
        .unwrap_or_else(|e| Err(domain::DomainError::Storage(format!("store task failed: {e}"))))
}
