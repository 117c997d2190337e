//! Live updates in the browser: one EventSource on `/events` for the whole app; each
//! `change` message bumps a counter that pages put in their resources' keys, so they load
//! again at once. The browser reconnects by itself when the connection drops.

use leptos::prelude::*;

/// Counts the changes announced by the server since the page loaded.
#[derive(Clone, Copy)]
pub struct LiveChanges(pub RwSignal<u64>);

/// The change counter (a constant 0 outside the app frame and during server rendering).
pub fn use_live_changes() -> RwSignal<u64> {
    use_context::<LiveChanges>().map(|l| l.0).unwrap_or_else(|| RwSignal::new(0))
}

/// Opens the event stream (browser only; call from an effect).
#[cfg(feature = "hydrate")]
pub fn connect(changes: RwSignal<u64>) {
    use futures::StreamExt;
    let Ok(mut source) = gloo_net::eventsource::futures::EventSource::new("/events") else { return };
    let Ok(mut stream) = source.subscribe("change") else { return };
    leptos::task::spawn_local(async move {
        while let Some(msg) = stream.next().await {
            if msg.is_ok() {
                changes.update(|n| *n = n.wrapping_add(1));
            }
        }
    });
    let source = send_wrapper::SendWrapper::new(source);
    on_cleanup(move || drop(source));
}
