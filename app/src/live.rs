//! Live updates in the browser: one EventSource on `/events` for the whole app. Each
//! `change` message bumps a counter that pages put in their resources' keys, so they load
//! again at once; each `hb` message (a Hot Backup event or role change) fetches the shared
//! Hot Backup state again, which is also refreshed every second or two. The browser
//! reconnects by itself when the connection drops.

use crate::api::LiveHb;
use leptos::prelude::*;

/// Counts the changes announced by the server since the page loaded.
#[derive(Clone, Copy)]
pub struct LiveChanges(pub RwSignal<u64>);

/// The change counter (a constant 0 outside the app frame and during server rendering).
pub fn use_live_changes() -> RwSignal<u64> {
    use_context::<LiveChanges>().map(|l| l.0).unwrap_or_else(|| RwSignal::new(0))
}

/// The Hot Backup state every page of the frame shares (badge, read-only mode, banner,
/// the Hot Backup page's panel): one snapshot, so they always change together.
#[derive(Clone, Copy)]
pub struct HbLive {
    pub snap: RwSignal<Option<LiveHb>>,
    /// The Hot Backup page is shown: fetch the event log and checks too, every second.
    pub full: RwSignal<bool>,
    /// The session ended while the page was open (idle limit, logout elsewhere, user
    /// changed): the frame says so and offers the login.
    pub ended: RwSignal<bool>,
}

pub fn use_hb_live() -> HbLive {
    use_context::<HbLive>().unwrap_or_else(|| HbLive { snap: RwSignal::new(None), full: RwSignal::new(false), ended: RwSignal::new(false) })
}

/// Whether this MCU is a Slave now, made once for the frame ([`provide_read_only`]).
#[derive(Clone, Copy)]
struct ReadOnly(Signal<bool>);

/// Made once by the frame: every control that reads it shares one signal that lives as long
/// as the page. (One made per row would belong to that row's render, and a row re-rendered
/// by a live update could read it after it was dropped.)
pub fn provide_read_only(hb: HbLive) {
    provide_context(ReadOnly(Signal::derive(move || hb.snap.with(|s| s.as_ref().is_some_and(|l| l.read_only())))));
}

/// Whether this MCU is a Slave now: its synced state is read-only (G5).
pub fn use_read_only() -> Signal<bool> {
    match use_context::<ReadOnly>() {
        Some(r) => r.0,
        None => Signal::stored(false),
    }
}

/// Opens the event stream and keeps the Hot Backup state fresh (browser only; call from
/// an effect).
#[cfg(feature = "hydrate")]
pub fn connect(changes: RwSignal<u64>, hb: HbLive, since: Option<u64>) {
    use futures::StreamExt;
    use std::cell::Cell;
    use std::rc::Rc;

    // One fetch at a time; a request while one is out is served by one more afterwards.
    let (busy, again) = (Rc::new(Cell::new(false)), Rc::new(Cell::new(false)));
    let refresh = send_wrapper::SendWrapper::new(Rc::new(move || fetch_live(hb, busy.clone(), again.clone())));

    let url = match since {
        Some(n) => format!("/events?since={n}"),
        None => "/events".to_string(),
    };
    let Ok(mut source) = gloo_net::eventsource::futures::EventSource::new(&url) else { return };
    if let Ok(mut stream) = source.subscribe("change") {
        leptos::task::spawn_local(async move {
            while let Some(msg) = stream.next().await {
                if msg.is_ok() {
                    changes.update(|n| *n = n.wrapping_add(1));
                }
            }
        });
    }
    if let Ok(mut stream) = source.subscribe("hb") {
        let refresh = refresh.clone();
        leptos::task::spawn_local(async move {
            while let Some(msg) = stream.next().await {
                if msg.is_ok() {
                    refresh();
                }
            }
        });
    }
    // Lag and the peer's state change without events: every second on the Hot Backup
    // page, every other second elsewhere.
    let tick = Rc::new(Cell::new(0u32));
    let every = {
        let refresh = refresh.clone();
        move || {
            tick.set(tick.get().wrapping_add(1));
            if hb.ended.get_untracked() {
                return;
            }
            if hb.full.get_untracked() || tick.get().is_multiple_of(2) {
                refresh();
            }
        }
    };
    if let Ok(h) = set_interval_with_handle(every, std::time::Duration::from_secs(1)) {
        on_cleanup(move || h.clear());
    }
    // Arriving on the Hot Backup page: its event log at once.
    Effect::new(move |was: Option<bool>| {
        let full = hb.full.get();
        if full && was == Some(false) {
            refresh();
        }
        full
    });
    let source = send_wrapper::SendWrapper::new(source);
    on_cleanup(move || drop(source));
}

#[cfg(feature = "hydrate")]
fn fetch_live(hb: HbLive, busy: std::rc::Rc<std::cell::Cell<bool>>, again: std::rc::Rc<std::cell::Cell<bool>>) {
    if busy.replace(true) {
        again.set(true);
        return;
    }
    leptos::task::spawn_local(async move {
        loop {
            again.set(false);
            match crate::api::get_live(hb.full.get_untracked()).await {
                Ok(l) => {
                    if hb.snap.with_untracked(|s| s.as_ref() != Some(&l)) {
                        hb.snap.set(Some(l));
                    }
                }
                Err(crate::error::AppError::NotLoggedIn) => hb.ended.set(true),
                Err(_) => {}
            }
            if !again.get() {
                break;
            }
        }
        busy.set(false);
    });
}
