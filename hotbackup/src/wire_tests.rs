//! The engine's transitions, two engines on one in-memory wire: no processes, no sockets
//! for the peer link (the way raft-rs steps its nodes). The wire can make one MCU refuse
//! connections (a crashed process) and bring it back.

use crate::client::CallError;
use crate::transport::{Call, Transport};
use crate::{HotBackup, Identity, PeerError};
use domain::change::{Change, Record};
use domain::hotbackup::{Heartbeat, LiveRole, LogBatch, PeerFacts, PeerLogin, PeerToken, Snapshot, SyncStatus, Takeover};
use domain::store::Store;
use domain::{HotBackupRole, HotBackupSettings, Role};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PW: &str = "wire-admin-pass";
const A: &str = "127.0.0.1:1";
const B: &str = "127.0.0.1:2";

#[derive(Default)]
struct Wire {
    mcus: Mutex<HashMap<String, HotBackup>>,
    down: Mutex<HashSet<String>>,
}

impl Wire {
    fn route(&self, peer: &str) -> Result<HotBackup, CallError> {
        if self.down.lock().unwrap_or_else(|p| p.into_inner()).contains(peer) {
            return Err(CallError::Down(peer.to_string()));
        }
        self.mcus.lock().unwrap_or_else(|p| p.into_inner()).get(peer).cloned().ok_or_else(|| CallError::Unreachable(peer.to_string()))
    }

    fn set_down(&self, peer: &str, down: bool) {
        let mut d = self.down.lock().unwrap_or_else(|p| p.into_inner());
        if down {
            d.insert(peer.to_string());
        } else {
            d.remove(peer);
        }
    }
}

fn refused(e: PeerError) -> CallError {
    CallError::Refused { status: e.status(), message: e.to_string() }
}

/// Runs `f` against the MCU at `peer`, within `timeout`, as the HTTP client would.
fn call<'a, T: Send + 'a, F>(wire: &'a Wire, peer: &'a str, timeout: Duration, f: impl FnOnce(HotBackup) -> F + Send + 'a) -> Call<'a, T>
where
    F: std::future::Future<Output = Result<T, PeerError>> + Send + 'a,
{
    Box::pin(async move {
        let hb = wire.route(peer)?;
        match tokio::time::timeout(timeout, f(hb)).await {
            Ok(r) => r.map_err(refused),
            Err(_) => Err(CallError::Unreachable(peer.to_string())),
        }
    })
}

impl Transport for Wire {
    fn login<'a>(&'a self, peer: &'a str, login: &'a PeerLogin, timeout: Duration) -> Call<'a, PeerToken> {
        call(self, peer, timeout, move |hb| async move { hb.peer_login(login.clone()).await })
    }

    fn heartbeat<'a>(&'a self, peer: &'a str, token: &'a str, timeout: Duration) -> Call<'a, Heartbeat> {
        call(self, peer, timeout, move |hb| async move {
            hb.authorize(Some(token)).await?;
            hb.heartbeat().await
        })
    }

    fn facts<'a>(&'a self, peer: &'a str, token: &'a str, timeout: Duration) -> Call<'a, PeerFacts> {
        call(self, peer, timeout, move |hb| async move {
            hb.authorize(Some(token)).await?;
            hb.facts().await
        })
    }

    fn log<'a>(&'a self, peer: &'a str, token: &'a str, after: u64, wait: Duration, timeout: Duration) -> Call<'a, LogBatch> {
        call(self, peer, timeout + wait, move |hb| async move {
            hb.authorize(Some(token)).await?;
            hb.serve_log(after, wait).await
        })
    }

    fn snapshot<'a>(&'a self, peer: &'a str, token: &'a str, timeout: Duration) -> Call<'a, Snapshot> {
        call(self, peer, timeout, move |hb| async move {
            hb.authorize(Some(token)).await?;
            hb.serve_snapshot().await
        })
    }

    fn takeover<'a>(&'a self, peer: &'a str, token: &'a str, t: &'a Takeover, timeout: Duration) -> Call<'a, Heartbeat> {
        call(self, peer, timeout, move |hb| async move {
            hb.authorize(Some(token)).await?;
            hb.serve_takeover(t.clone()).await
        })
    }
}

struct Pair {
    a: HotBackup,
    b: HotBackup,
    wire: Arc<Wire>,
    _dirs: [tempfile::TempDir; 2],
    _listeners: [std::net::TcpListener; 2],
}

/// Two engines on one wire, A enabled as Master and B as Slave, in sync.
async fn pair() -> Pair {
    let wire = Arc::new(Wire::default());
    let dirs = [tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir")];
    // Each MCU's own address answers (its own network is up).
    let listeners = [std::net::TcpListener::bind("127.0.0.1:0").expect("bind"), std::net::TcpListener::bind("127.0.0.1:0").expect("bind")];
    let mut engines = Vec::new();
    for (i, name) in ["MCU-A", "MCU-B"].into_iter().enumerate() {
        let store = Store::open(dirs[i].path()).expect("store");
        store.create_user("admin", PW, Role::Administrator).expect("admin");
        let me = Identity {
            name: name.into(),
            version: "1.0.0".into(),
            has_port_configuration: true,
            listen: listeners[i].local_addr().expect("addr"),
        };
        let transport: Arc<dyn Transport> = wire.clone();
        engines.push(HotBackup::start_with(store, me, dirs[i].path().to_path_buf(), transport).await.expect("engine"));
    }
    let (a, b) = (engines.remove(0), engines.remove(0));
    wire.mcus.lock().unwrap_or_else(|p| p.into_inner()).extend([(A.to_string(), a.clone()), (B.to_string(), b.clone())]);
    let settings = |role, peer: &str| HotBackupSettings { enabled: true, role, peer_address: peer.into(), heartbeat_ms: 50, detection_ms: 400, ..Default::default() };
    b.enable(settings(HotBackupRole::Slave, A), "admin", PW).await.expect("enable B as Slave");
    a.enable(settings(HotBackupRole::Master, B), "admin", PW).await.expect("enable A as Master");
    let p = Pair { a, b, wire, _dirs: dirs, _listeners: listeners };
    until("A Master in sync", || async { p.a.status().await.sync_status == SyncStatus::Ok }).await;
    until("B Slave in sync", || async { p.b.status().await.sync_status == SyncStatus::Ok }).await;
    p
}

/// Waits (at most 10 s) until `cond` holds.
async fn until<F: std::future::Future<Output = bool>>(what: &str, cond: impl Fn() -> F) {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(10) {
        if cond().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{what}: not within 10 s");
}

fn profile(name: &str) -> Change {
    Change::Put {
        record: Record::Profile(domain::Profile {
            id: domain::store::new_id(),
            name: name.into(),
            line_rate_kbps: 1920,
            resolution: domain::Resolution::Hd720,
            encryption: false,
            layout: "auto".into(),
            auto_terminate: false,
        }),
    }
}

fn names(hb: &HotBackup) -> Vec<String> {
    hb.inner.store.list::<domain::Profile>().expect("list").into_iter().map(|p| p.name).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledged_change_is_on_the_slave_and_the_slave_refuses_changes() {
    let p = pair().await;
    let c = p.a.commit_report(profile("Mirrored")).await.expect("commit");
    assert!(c.mirrored, "acknowledged while in sync means mirrored");
    assert_eq!(names(&p.b), vec!["Mirrored".to_string()], "on the Slave's disk when acknowledged");
    let refused = p.b.commit(profile("By hand on the Slave")).await.expect_err("G5");
    assert!(refused.to_string().contains(A), "names the Master: {refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_master_is_replaced_at_once_and_steps_down_when_it_comes_back() {
    let p = pair().await;
    p.a.commit(profile("Before")).await.expect("commit");
    // A's process "dies": its host refuses connections.
    p.wire.set_down(A, true);
    let t0 = Instant::now();
    until("B takes over", || async { p.b.role() == LiveRole::Master }).await;
    assert!(t0.elapsed() < Duration::from_millis(400), "a refusal needs no detection time: {:?}", t0.elapsed());
    let s = p.b.status().await;
    assert_eq!(s.epoch, 2);
    assert!(s.events.iter().any(|e| e.alarm && e.text.contains("refuses connections")), "{:?}", s.events);
    p.b.commit(profile("After")).await.expect("the new Master takes changes");
    // A comes back still believing it is Master: it finds a Master with a higher epoch and
    // steps down, then mirrors the new Master.
    p.wire.set_down(A, false);
    until("A steps down", || async { p.a.role() == LiveRole::Slave }).await;
    until("A in sync", || async { p.a.status().await.sync_status == SyncStatus::Ok }).await;
    let mut got = names(&p.a);
    got.sort();
    assert_eq!(got, vec!["After".to_string(), "Before".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planned_switch_over_swaps_the_roles_and_loses_nothing() {
    let p = pair().await;
    for i in 0..5 {
        p.a.commit(profile(&format!("P{i}"))).await.expect("commit");
    }
    p.a.trigger_failover().await.expect("switch-over");
    assert_eq!(p.a.role(), LiveRole::Slave);
    assert_eq!(p.b.role(), LiveRole::Master);
    until("B in sync with its new Slave", || async { p.b.status().await.sync_status == SyncStatus::Ok }).await;
    let c = p.b.commit_report(profile("On B")).await.expect("commit on the new Master");
    assert!(c.mirrored);
    assert_eq!(names(&p.a).len(), 6, "{:?}", names(&p.a));
    // Only the Master can hand over.
    assert!(p.a.trigger_failover().await.is_err());
}
