//! The connections being served, and which one gives way when there is no room.
//!
//! Every connection is admitted here before anything is read from it. Room is counted per
//! client address (an IPv6 /64) and in all; when either is full, the newcomer takes the
//! place of a connection that is doing nothing: first the oldest one that has not completed
//! a request yet (half-open: a silent client, a TLS handshake or an HTTP/2 preface that
//! never finishes), then the oldest idle one (no request in flight; a browser simply opens
//! another). A connection with a request in flight is never pushed out, and neither is the
//! peer link: once a connection has shown itself as the peer link (mutual TLS) it moves to
//! its own few reserved places, which browsers and anonymous clients can never take. When
//! nothing can give way, a newcomer may still wait in a small probation area until its TLS
//! handshake shows whether it is the peer link; anything else there is closed.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::Notify;

/// Places kept for peer-link connections (the Slave's poll, heartbeats, a takeover call).
pub const PEER_PLACES: usize = 16;
/// Connections that may wait, over the limits, to show they are the peer link.
pub const PROBATION: usize = 16;

/// What a connection is doing, updated by its requests.
#[derive(Default)]
pub struct Activity {
    /// Requests begun on the connection.
    pub requests: AtomicU64,
    /// Requests whose answer (body included) is not finished.
    pub in_flight: AtomicUsize,
    /// When the last request began or ended (ms since the connection was admitted).
    pub last_ms: AtomicU64,
    started: Option<Instant>,
}

impl Activity {
    fn new() -> Activity {
        Activity { started: Some(Instant::now()), ..Default::default() }
    }

    fn touch(&self) {
        let ms = self.started.map(|s| s.elapsed().as_millis()).unwrap_or(0);
        self.last_ms.store(u64::try_from(ms).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Marks a request begun; the guard marks it ended when dropped (with its answer).
    pub fn begin(self: &Arc<Self>) -> InFlight {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.touch();
        InFlight(self.clone())
    }

    /// Milliseconds since anything happened on the connection.
    pub fn idle_ms(&self) -> u64 {
        let now = self.started.map(|s| s.elapsed().as_millis()).unwrap_or(0);
        u64::try_from(now).unwrap_or(u64::MAX).saturating_sub(self.last_ms.load(Ordering::Relaxed))
    }

    fn half_open(&self) -> bool {
        self.requests.load(Ordering::Relaxed) == 0
    }

    fn idle(&self) -> bool {
        self.in_flight.load(Ordering::Relaxed) == 0
    }
}

pub struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Within the limits; may give way to a newcomer while doing nothing.
    General,
    /// Over the limits, waiting to show it is the peer link.
    Probation,
    /// The peer link's reserved places.
    Peer,
}

struct Entry {
    client: IpAddr,
    place: Place,
    since: Instant,
    activity: Arc<Activity>,
    kill: Arc<Notify>,
}

#[derive(Default)]
struct Table {
    next: u64,
    entries: HashMap<u64, Entry>,
    per_client: HashMap<IpAddr, usize>,
    general: usize,
    probation: usize,
    peer: usize,
}

impl Table {
    fn count(&mut self, place: Place, client: IpAddr, delta: isize) {
        let n = match place {
            Place::General => &mut self.general,
            Place::Probation => &mut self.probation,
            Place::Peer => &mut self.peer,
        };
        *n = n.saturating_add_signed(delta);
        if place == Place::General {
            let c = self.per_client.entry(client).or_insert(0);
            *c = c.saturating_add_signed(delta);
            if *c == 0 {
                self.per_client.remove(&client);
            }
        }
    }

    fn remove(&mut self, id: u64) -> Option<Entry> {
        let e = self.entries.remove(&id)?;
        self.count(e.place, e.client, -1);
        Some(e)
    }

    /// The connection that gives way: half-open before idle, older before newer; only from
    /// `client` when given.
    fn victim(&self, client: Option<IpAddr>) -> Option<u64> {
        self.entries
            .iter()
            .filter(|(_, e)| e.place == Place::General && client.is_none_or(|c| e.client == c) && e.activity.idle())
            .min_by_key(|(_, e)| (!e.activity.half_open(), e.since))
            .map(|(id, _)| *id)
    }
}

/// The connections of one listener.
pub struct Conns {
    table: Mutex<Table>,
    max: usize,
    max_per_client: usize,
}

/// A connection's admission: its place is given back when dropped.
pub struct Admitted {
    conns: Arc<Conns>,
    id: u64,
    pub activity: Arc<Activity>,
    /// Notified when the connection must give way (close it at once).
    pub kill: Arc<Notify>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.conns.lock().remove(self.id);
    }
}

impl Conns {
    pub fn new(max: usize, max_per_client: usize) -> Arc<Conns> {
        Arc::new(Conns { table: Mutex::new(Table::default()), max, max_per_client })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Admits a new connection from `client` (a client key, see `domain::throttle`), pushing
    /// out one that does nothing if needed; `None`: no room at all (close it).
    pub fn admit(self: &Arc<Self>, client: IpAddr, trusted_proxy: bool) -> Option<(Admitted, Place)> {
        let mut t = self.lock();
        let mut pushed_out = Vec::new();
        // A trusted reverse proxy carries many clients: only the global cap applies to it.
        let per_client = if trusted_proxy { usize::MAX } else { self.max_per_client };
        let full_client = t.per_client.get(&client).copied().unwrap_or(0) >= per_client;
        if full_client {
            if let Some(v) = t.victim(Some(client)) {
                pushed_out.extend(t.remove(v));
            }
        }
        let client_room = t.per_client.get(&client).copied().unwrap_or(0) < per_client;
        if client_room && t.general >= self.max {
            if let Some(v) = t.victim(None) {
                pushed_out.extend(t.remove(v));
            }
        }
        let place = if client_room && t.general < self.max {
            Place::General
        } else if t.probation < PROBATION {
            Place::Probation
        } else {
            return None;
        };
        for e in pushed_out {
            e.kill.notify_one();
        }
        t.next += 1;
        let id = t.next;
        let (activity, kill) = (Arc::new(Activity::new()), Arc::new(Notify::new()));
        t.entries.insert(id, Entry { client, place, since: Instant::now(), activity: activity.clone(), kill: kill.clone() });
        t.count(place, client, 1);
        Some((Admitted { conns: self.clone(), id, activity, kill }, place))
    }

    /// Moves a connection that showed itself as the peer link to the peer link's reserved
    /// places; `false` when they are all taken (close it).
    pub fn to_peer(&self, a: &Admitted) -> bool {
        let mut t = self.lock();
        let Some((client, place)) = t.entries.get(&a.id).map(|e| (e.client, e.place)) else { return false };
        if place == Place::Peer {
            return true;
        }
        if t.peer >= PEER_PLACES {
            return false;
        }
        t.count(place, client, -1);
        t.count(Place::Peer, client, 1);
        if let Some(e) = t.entries.get_mut(&a.id) {
            e.place = Place::Peer;
        }
        true
    }

    #[cfg(test)]
    fn admit_test(self: &Arc<Self>, client: IpAddr) -> Option<(Admitted, Place)> {
        self.admit(client, false)
    }

    /// Connections admitted and not yet closed.
    pub fn open(&self) -> usize {
        self.lock().entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    #[test]
    fn when_full_the_oldest_half_open_connection_gives_way_and_a_busy_one_never_does() {
        let conns = Conns::new(3, 3);
        let (busy, _) = conns.admit_test(ip(1)).expect("room");
        let _request = busy.activity.begin();
        let (idle, _) = conns.admit_test(ip(1)).expect("room");
        drop(idle.activity.begin());
        let (half_open, _) = conns.admit_test(ip(2)).expect("room");
        // Full: the half-open one gives way before the idle one, the busy one never.
        let (_a, place) = conns.admit_test(ip(3)).expect("pushed one out");
        assert_eq!(place, Place::General);
        assert!(!conns.lock().entries.contains_key(&half_open.id), "the half-open connection stayed");
        drop(_a.activity.begin());
        let (_b, place) = conns.admit_test(ip(3)).expect("pushed the idle one out");
        assert_eq!(place, Place::General);
        assert!(!conns.lock().entries.contains_key(&idle.id));
        assert!(conns.lock().entries.contains_key(&busy.id), "a busy connection was pushed out");
    }

    #[test]
    fn one_address_at_its_limit_pushes_out_its_own_and_nobody_else_s() {
        let conns = Conns::new(10, 2);
        let (other, _) = conns.admit_test(ip(9)).expect("room");
        let (first, _) = conns.admit_test(ip(1)).expect("room");
        let (_second, _) = conns.admit_test(ip(1)).expect("room");
        let (_third, place) = conns.admit_test(ip(1)).expect("its own oldest gave way");
        assert_eq!(place, Place::General);
        assert!(!conns.lock().entries.contains_key(&first.id));
        assert!(conns.lock().entries.contains_key(&other.id), "another address's connection was pushed out");
    }

    #[test]
    fn the_peer_link_has_places_nobody_else_can_take() {
        let conns = Conns::new(2, 2);
        let mut busy = Vec::new();
        for i in 0..2 {
            let (a, _) = conns.admit_test(ip(i)).expect("room");
            busy.push((a.activity.begin(), a));
        }
        // Full of busy connections: a newcomer waits in probation, and becomes the peer link.
        let (peer, place) = conns.admit_test(ip(7)).expect("probation");
        assert_eq!(place, Place::Probation);
        assert!(conns.to_peer(&peer));
        let mut waiting = Vec::new();
        for _ in 0..PROBATION {
            waiting.push(conns.admit_test(ip(8)).expect("probation").0);
        }
        assert!(conns.admit_test(ip(8)).is_none(), "probation is bounded");
        drop(waiting);
        for _ in 0..PEER_PLACES - 1 {
            let (p, _) = conns.admit_test(ip(7)).expect("probation");
            assert!(conns.to_peer(&p));
            std::mem::forget(p);
        }
        let (one_more, _) = conns.admit_test(ip(7)).expect("probation");
        assert!(!conns.to_peer(&one_more), "more peer-link connections than places");
        drop(peer);
        assert!(conns.to_peer(&one_more), "a place given back is taken again");
    }
}
