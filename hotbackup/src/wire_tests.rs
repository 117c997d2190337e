//! The engine's transitions, two engines on one in-memory wire: no processes, no sockets
//! for the peer link (the way raft-rs steps its nodes). The wire can make one MCU refuse
//! connections (a crashed process), put another MCU on an address (an impostor), and play
//! a relay that shows its own certificate (to both sides). It checks certificates as mutual
//! TLS would: a call pinned to a fingerprint reaches only the MCU that holds it, and the
//! called MCU sees the caller's certificate (each engine has its own [`End`] of the wire).

use crate::transport::CallError;
use crate::peer::{self, Caller, HeartbeatCall, PeerCall};
use crate::transport::{Call, Exchange, Transport};
use crate::{HotBackup, Identity, PeerError};
use domain::change::{Change, Record};
use domain::hotbackup::{AlarmCode, LiveRole, PairFinish, PairStart, SyncStatus};
use domain::store::Store;
use domain::{HotBackupRole, HotBackupSettings, Role};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

const PW: &str = "wire-admin-pass";
const A: &str = "127.0.0.1:1";
const B: &str = "127.0.0.1:2";

#[derive(Default)]
struct Wire {
    mcus: Mutex<HashMap<String, HotBackup>>,
    down: Mutex<HashSet<String>>,
    /// Addresses behind a relay that shows this certificate fingerprint.
    relayed: Mutex<HashMap<String, String>>,
    /// Addresses whose calls get no answer (a partition, a frozen process).
    silent: Mutex<HashSet<String>>,
    /// MCUs (by address) cut off from their own network: their isolation check is silent.
    isolated: Mutex<HashSet<String>>,
    /// Notified when a short heartbeat (under the pair's 400 ms detection time) to a silent
    /// address begins: a Slave's last word with the Master before it takes over.
    last_word_to_silent: tokio::sync::Notify,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Wire {
    /// The MCU at `peer` and the certificate the connection shows.
    fn route(&self, peer: &str) -> Result<(HotBackup, String), CallError> {
        if lock(&self.down).contains(peer) {
            return Err(CallError::Down(peer.to_string()));
        }
        let hb = lock(&self.mcus).get(peer).cloned().ok_or_else(|| CallError::Unreachable(peer.to_string()))?;
        let shown = lock(&self.relayed).get(peer).cloned().unwrap_or_else(|| hb.inner.me.fingerprint.clone());
        Ok((hb, shown))
    }

    fn set_down(&self, peer: &str, down: bool) {
        let mut d = lock(&self.down);
        if down {
            d.insert(peer.to_string());
        } else {
            d.remove(peer);
        }
    }

    fn set_silent(&self, peer: &str, silent: bool) {
        let mut s = lock(&self.silent);
        if silent {
            s.insert(peer.to_string());
        } else {
            s.remove(peer);
        }
    }

    fn set_isolated(&self, at: &str, isolated: bool) {
        let mut s = lock(&self.isolated);
        if isolated {
            s.insert(at.to_string());
        } else {
            s.remove(at);
        }
    }

    /// Puts `hb` on address `peer` (instead of whatever answered there).
    fn place(&self, peer: &str, hb: &HotBackup) {
        lock(&self.mcus).insert(peer.to_string(), hb.clone());
    }
}

fn refused(e: PeerError) -> CallError {
    CallError::Refused { status: e.status(), message: e.to_string() }
}

/// One MCU's end of the wire: calls go out showing `me` as client certificate, from the
/// MCU at address `at` (a crashed one, down on the wire, calls nobody).
struct End {
    wire: Arc<Wire>,
    me: String,
    at: String,
}

impl Transport for End {
    /// The exchange as the TLS client and the server would make it: refused when the
    /// certificate shown is not the pinned one (any for the first pairing step), answered by
    /// the called MCU through the same table the server serves (`peer::dispatch`), which sees
    /// the caller's certificate (the relay's, if relayed).
    fn exchange<'a>(&'a self, x: Exchange<'a>) -> Call<'a, (Vec<u8>, String)> {
        Box::pin(async move {
            let wire = &self.wire;
            if x.path == HeartbeatCall::PATH && lock(&wire.silent).contains(x.peer) && x.timeout < Duration::from_millis(400) {
                wire.last_word_to_silent.notify_one();
            }
            if lock(&wire.down).contains(&self.at) {
                return Err(CallError::Unreachable(x.peer.to_string()));
            }
            if lock(&wire.silent).contains(x.peer) {
                tokio::time::sleep(x.timeout).await;
                return Err(CallError::Unreachable(x.peer.to_string()));
            }
            let (hb, shown) = wire.route(x.peer)?;
            if let Some(pin) = x.pin {
                if pin != shown {
                    return Err(CallError::CertChanged { peer: x.peer.to_string(), expected: pin.to_string(), got: shown });
                }
            }
            // A relay shows its own certificate to both sides.
            let fingerprint = lock(&wire.relayed).get(x.peer).cloned().unwrap_or_else(|| self.me.clone());
            let caller = Caller { fingerprint, credential: x.credential.map(str::to_string), guess: None };
            match tokio::time::timeout(x.timeout, peer::dispatch(&hb, x.path, &x.request, caller)).await {
                Ok(r) => r.map(|answer| (answer, shown)).map_err(refused),
                Err(_) => Err(CallError::Unreachable(x.peer.to_string())),
            }
        })
    }

    /// Up unless this MCU was cut off (an isolation check that gets no answer takes its
    /// 300 ms, as over TCP).
    fn network_up<'a>(&'a self, _witness: &'a str, _own: std::net::SocketAddr) -> std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send + 'a>> {
        Box::pin(async move {
            if lock(&self.wire.isolated).contains(&self.at) {
                tokio::time::sleep(Duration::from_millis(300)).await;
                return false;
            }
            true
        })
    }
}

struct Pair {
    a: HotBackup,
    b: HotBackup,
    wire: Arc<Wire>,
    _dirs: [tempfile::TempDir; 2],
}

/// Two engines on one wire, A enabled as Master and B as Slave, in sync.
async fn pair() -> Pair {
    pair_of([domain::McuModel::Cs2000, domain::McuModel::Cs2000]).await
}

/// [`pair`] with these models (A's, B's).
async fn pair_of(models: [domain::McuModel; 2]) -> Pair {
    let wire = Arc::new(Wire::default());
    let dirs = [tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir")];
    let mut engines = Vec::new();
    for (i, name) in ["MCU-A", "MCU-B"].into_iter().enumerate() {
        let store = Store::open(dirs[i].path()).expect("store");
        store.create_user("admin", PW, Role::Administrator).expect("admin");
        let me = Identity {
            name: name.into(),
            version: "1.0.0".into(),
            model: models[i],
            listen: [A, B][i].parse().expect("addr"),
            fingerprint: format!("FP-{name}"),
        };
        let at = [A, B][i].to_string();
        let transport: Arc<dyn Transport> = Arc::new(End { wire: wire.clone(), me: format!("FP-{name}"), at });
        let services = crate::mcu::Services::load(&store).await;
        engines.push(HotBackup::start_with(store, me, dirs[i].path().to_path_buf(), transport, &services).await.expect("engine"));
    }
    let (a, b) = (engines.remove(0), engines.remove(0));
    wire.mcus.lock().unwrap_or_else(|p| p.into_inner()).extend([(A.to_string(), a.clone()), (B.to_string(), b.clone())]);
    let settings = |role, peer: &str| HotBackupSettings { enabled: true, role, peer_address: peer.into(), heartbeat_ms: 50, detection_ms: 400, ..Default::default() };
    b.enable(settings(HotBackupRole::Slave, A), "admin", PW).await.expect("enable B as Slave");
    a.enable(settings(HotBackupRole::Master, B), "admin", PW).await.expect("enable A as Master");
    let p = Pair { a, b, wire, _dirs: dirs };
    until("A Master in sync", || async { p.a.status().await.sync_status == SyncStatus::Ok }).await;
    until("B Slave in sync", || async { p.b.status().await.sync_status == SyncStatus::Ok }).await;
    p
}

/// Waits (at most 10 s on the test's clock) until `cond` holds.
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
            recording_link_id: String::new(),
        }),
    }
}

fn names(hb: &HotBackup) -> Vec<String> {
    hb.inner.store.list::<domain::Profile>().expect("list").into_iter().map(|p| p.name).collect()
}

#[tokio::test(start_paused = true)]
async fn an_acknowledged_change_is_on_the_slave_and_the_slave_refuses_changes() {
    let p = pair().await;
    let c = p.a.commit_report(profile("Mirrored")).await.expect("commit");
    assert!(c.mirrored, "acknowledged while in sync means mirrored");
    assert_eq!(names(&p.b), vec!["Mirrored".to_string()], "on the Slave's disk when acknowledged");
    let refused = p.b.commit(profile("By hand on the Slave")).await.expect_err("G5");
    assert!(refused.to_string().contains(A), "names the Master: {refused}");
}

#[tokio::test(start_paused = true)]
async fn both_panels_warn_when_the_slave_could_not_carry_the_calls_the_master_has_up_now() {
    use domain::{Conference, Participant, ParticipantState};
    // A: a CS 1800 (60 video ports); B: a CS 2000 at its default 40.
    let p = pair_of([domain::McuModel::Cs1800, domain::McuModel::Cs2000]).await;
    let capacity = |hb: HotBackup| async move { hb.status().await.checks.into_iter().find(|c| c.guideline == "Capacity") };
    until("A checks the Slave's capacity", || async { capacity(p.a.clone()).await.is_some_and(|c| c.passed) }).await;
    let conference = Conference {
        id: "c1".into(), name: "Town hall".into(), numeric_id: "7001".into(), profile_id: String::new(), start_ms: 0, end_ms: None,
        source_id: None, locked: false, auto_extended: 0, owner: String::new(), chairperson_password: String::new(),
        conference_password: String::new(), entry_queue: false, recording: Default::default(),
    };
    p.a.commit(Change::Put { record: Record::Conference(conference) }).await.expect("conference");
    for i in 0..45 {
        let site = Participant {
            id: format!("p{i}"), conference_id: "c1".into(), name: format!("Site {i}"), address: format!("10.0.0.{i}"),
            protocol: domain::Protocol::H323, direction: domain::Direction::DialOut, state: ParticipantState::Connected,
            audio_muted: false, video_muted: false, chairperson: false, disconnect_cause: None, ivr_path: Vec::new(),
            home_conference_id: None, stamps: Default::default(),
        };
        p.a.commit(Change::Put { record: Record::Participant(site) }).await.expect("participant");
    }
    for (who, hb) in [("A (Master)", p.a.clone()), ("B (Slave)", p.b.clone())] {
        until(&format!("{who} warns"), || async { capacity(hb.clone()).await.is_some_and(|c| !c.passed) }).await;
        let c = capacity(hb.clone()).await.expect("check");
        assert!(c.reason.contains("MCU-B (the Slave) has 40 video") && c.reason.contains("would drop 5 call(s)"), "{who}: {}", c.reason);
    }
}

#[tokio::test(start_paused = true)]
async fn a_crashed_master_is_replaced_at_once_and_steps_down_when_it_comes_back() {
    let p = pair().await;
    p.a.commit(profile("Before")).await.expect("commit");
    // A's process "dies": its host refuses connections.
    p.wire.set_down(A, true);
    until("B takes over", || async { p.b.role() == LiveRole::Master }).await;
    let s = p.b.status().await;
    assert_eq!(s.epoch, 2);
    // Taken over because the host refused (no detection time waited out), not because the
    // Master was silent for the detection time ("has not answered for …").
    assert!(s.events.iter().any(|e| e.alarm && e.text.contains("refuses connections")), "{:?}", s.events);
    assert!(!s.events.iter().any(|e| e.text.contains("has not answered for")), "{:?}", s.events);
    // The takeover's reason is an active alarm on B until A is back.
    let active = |hb: &HotBackup| hb.alarms().book().active.iter().map(|a| a.code).collect::<Vec<_>>();
    assert!(active(&p.b).contains(&AlarmCode::NetworkIssue), "{:?}", p.b.alarms().book());
    assert_eq!(p.b.alarms().counts().unacknowledged, active(&p.b).len() as u32);
    p.b.commit(profile("After")).await.expect("the new Master takes changes");
    // A comes back still believing it is Master: it finds a Master with a higher epoch and
    // steps down, then mirrors the new Master.
    p.wire.set_down(A, false);
    until("A steps down", || async { p.a.role() == LiveRole::Slave }).await;
    until("A in sync", || async { p.a.status().await.sync_status == SyncStatus::Ok }).await;
    let mut got = names(&p.a);
    got.sort();
    assert_eq!(got, vec!["After".to_string(), "Before".to_string()]);
    // The pair works again: the conditions have ended on both; the history keeps them.
    until(&format!("B's alarms cleared ({:?})", p.b.alarms().book().active), || async { p.b.alarms().book().active.is_empty() }).await;
    until("A's alarms cleared", || async { p.a.alarms().book().active.is_empty() }).await;
    assert!(p.b.alarms().book().history.iter().any(|a| a.code == AlarmCode::NetworkIssue && a.cleared_ms.is_some()));
    assert!(p.a.alarms().book().history.iter().any(|a| a.code == AlarmCode::ConfigurationConflict), "A stepped down: {:?}", p.a.alarms().book());
}

#[tokio::test(start_paused = true)]
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
    // A planned switch-over is not an alarm on either MCU, and both name the new epoch.
    for (who, hb) in [("A", &p.a), ("B", &p.b)] {
        let s = hb.status().await;
        let alarms: Vec<_> = s.events.iter().filter(|e| e.alarm).map(|e| e.text.clone()).collect();
        assert!(alarms.is_empty(), "{who} raised {alarms:?}");
        let last = s.events.iter().find(|e| e.text.contains("switch-over")).map(|e| e.text.clone()).unwrap_or_default();
        assert!(last.contains(&format!("epoch {}", s.epoch)), "{who}: {last:?} at epoch {}", s.epoch);
    }
    // Only the Master can hand over.
    assert!(p.a.trigger_failover().await.is_err());
}

#[tokio::test(start_paused = true)]
async fn only_the_current_pairing_credential_opens_the_link_and_disable_revokes_it() {
    let p = pair().await;
    let held = p.a.st().link.clone();
    assert_eq!(held.pin, "FP-MCU-B", "A pinned B's certificate");
    p.b.authorize(Some(&held.credential), "FP-MCU-A").await.expect("the credential B issued to A");
    // Presented from another key (a copy of A's secrets on another host): refused, alarmed.
    assert!(!p.b.alarms().is_active(AlarmCode::PeerLinkRefused));
    assert!(p.b.authorize(Some(&held.credential), "FP-ELSEWHERE").await.is_err(), "a credential replayed from another certificate");
    assert!(p.b.alarms().is_active(AlarmCode::PeerLinkRefused), "no alarm for a replayed credential");
    // B keeps only its digest.
    let stored = p.b.inner.store.local::<crate::link::Issued>(crate::link::PEER_ISSUED).expect("issued");
    assert_eq!(stored.digest, domain::auth::token_digest(&held.credential));
    assert_eq!(stored.fingerprint, "FP-MCU-A");
    // A browser session of B's Administrator is not a peer credential.
    let session = p.b.inner.store.create_session("admin", 60_000).expect("session");
    assert!(p.b.authorize(Some(&session), "FP-MCU-A").await.is_err(), "a browser session opened the peer link");
    assert!(p.b.authorize(None, "FP-MCU-A").await.is_err());
    // Pairing again rotates it: the old one stops working.
    let again = p.a.pair_with(B, "admin", PW, Duration::from_secs(2)).await.expect("pair again");
    assert_ne!(again.credential, held.credential);
    assert!(p.b.authorize(Some(&held.credential), "FP-MCU-A").await.is_err(), "the previous credential still works");
    p.b.authorize(Some(&again.credential), "FP-MCU-A").await.expect("the new one");
    // Disabling B revokes what it issued and forgets what it held.
    p.b.disable().await.expect("disable");
    assert!(p.b.authorize(Some(&again.credential), "FP-MCU-A").await.is_err(), "a credential outlived disable");
    assert_eq!(p.b.st().link, crate::link::PeerLink::default());
}

#[tokio::test(start_paused = true)]
async fn a_wrong_password_or_a_relay_during_pairing_pairs_nothing() {
    let p = pair().await;
    let before = p.b.inner.store.local::<crate::link::Issued>(crate::link::PEER_ISSUED).expect("issued");
    let e = p.a.pair_with(B, "admin", "not-the-password", Duration::from_secs(2)).await.expect_err("wrong password");
    assert!(e.to_string().contains("G2"), "{e}");
    let e = p.a.pair_with(B, "nobody", PW, Duration::from_secs(2)).await.expect_err("unknown user");
    assert!(e.to_string().contains("G2"), "{e}");
    // Something relays the link and shows its own certificate: the key exchange fails.
    lock(&p.wire.relayed).insert(B.to_string(), "FP-RELAY".into());
    let e = p.a.pair_with(B, "admin", PW, Duration::from_secs(2)).await.expect_err("relayed");
    assert!(e.to_string().contains("G2"), "{e}");
    lock(&p.wire.relayed).clear();
    // Its own address given as the paired MCU's: refused, whoever's password.
    p.wire.place("127.0.0.1:3", &p.a);
    let e = p.a.pair_with("127.0.0.1:3", "admin", PW, Duration::from_secs(2)).await.expect_err("itself");
    assert!(e.to_string().contains("this MCU itself"), "{e}");
    let after = p.b.inner.store.local::<crate::link::Issued>(crate::link::PEER_ISSUED).expect("issued");
    assert_eq!(before, after, "a failed pairing changed B's credential");
    assert!(p.a.alarms().is_active(AlarmCode::PeerLinkRefused), "A raised no alarm for the refused proofs");
}

#[tokio::test(start_paused = true)]
async fn a_pairing_answer_never_used_counts_as_a_guess_and_step_two_needs_the_same_certificate() {
    let p = pair().await;
    // Step 1 only, as an attacker testing one password offline would: the answer is counted.
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let start = domain::pairing::ClientStart::new("a-guess-123").expect("start");
    let first = PairStart { user: "admin".into(), version: "1.0.0".into(), nonce: domain::pairing::random_hex(), request: start.request.clone() };
    let seen = outcomes.clone();
    p.b.serve_pair_start(first.clone(), "FP-ATTACKER", Box::new(move |proven| lock(&seen).push(proven))).await.expect("answered");
    assert!(lock(&outcomes).is_empty());
    // 17 more attempts push it out of the 16 kept: it is counted as a failed guess.
    for _ in 0..17 {
        let again = PairStart { nonce: domain::pairing::random_hex(), ..first.clone() };
        p.b.serve_pair_start(again, "FP-ATTACKER", Box::new(|_| {})).await.expect("answered");
    }
    assert_eq!(*lock(&outcomes), vec![false]);
    // A proper step 1 from A, then step 2 from another certificate: refused.
    let client = domain::pairing::ClientStart::new(PW).expect("start");
    let nonce = domain::pairing::random_hex();
    let s = PairStart { user: "admin".into(), version: "1.0.0".into(), nonce: nonce.clone(), request: client.request.clone() };
    let answer = p.b.serve_pair_start(s, "FP-MCU-A", Box::new(|_| {})).await.expect("answered");
    let ctx = domain::pairing::context("FP-MCU-A", "FP-MCU-B");
    let last = domain::pairing::client_finish(client, "admin", PW, &answer.response, &ctx).expect("B proved itself");
    let f = PairFinish { user: "admin".into(), initiator_nonce: nonce, responder_nonce: answer.nonce, finalization: last };
    let e = p.b.serve_pair_finish(f, "FP-OTHER").await.expect_err("another certificate");
    assert_eq!(e.status(), 401);
}

/// A third MCU, Master of its own data with a higher epoch, to put on a paired address.
async fn impostor(dir: &std::path::Path) -> HotBackup {
    let store = Store::open(dir).expect("store");
    store.create_user("admin", PW, Role::Administrator).expect("admin");
    for _ in 0..3 {
        store.promote().expect("epoch");
    }
    store.apply(profile("Planted by the impostor")).expect("data");
    let settings = HotBackupSettings { enabled: true, role: HotBackupRole::Master, peer_address: A.into(), heartbeat_ms: 50, detection_ms: 400, ..Default::default() };
    store.set_local(domain::store::keys::HOT_BACKUP, &settings).expect("settings");
    let me = Identity {
        name: "IMPOSTOR".into(),
        version: "1.0.0".into(),
        model: domain::McuModel::Cs2000,
        listen: "127.0.0.1:9".parse().expect("addr"),
        fingerprint: "FP-IMPOSTOR".into(),
    };
    let end = End { wire: Arc::new(Wire::default()), me: "FP-IMPOSTOR".into(), at: String::new() };
    let services = crate::mcu::Services::load(&store).await;
    HotBackup::start_with(store, me, dir.to_path_buf(), Arc::new(end), &services).await.expect("impostor")
}

#[tokio::test(start_paused = true)]
async fn a_host_that_merely_answers_on_the_paired_address_can_neither_depose_the_master_nor_feed_the_slave() {
    let p = pair().await;
    p.a.commit(profile("Real")).await.expect("commit");
    let dir = tempfile::tempdir().expect("dir");
    let fake = impostor(dir.path()).await;
    assert_eq!(fake.role(), LiveRole::Master);
    // On B's address: the Master probes it and finds a "Master" with a higher epoch.
    p.wire.place(B, &fake);
    until("A raises the certificate alarm", || async {
        p.a.status().await.events.iter().any(|e| e.alarm && e.text.contains("8203") && e.text.contains("FP-IMPOSTOR") && e.text.contains("FP-MCU-B"))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(p.a.role(), LiveRole::Master, "the impostor made the Master step down");
    // On A's address (B back on its own): the Slave does not take the impostor's data.
    p.wire.place(B, &p.b);
    p.wire.place(A, &fake);
    until("B raises the certificate alarm", || async {
        p.b.status().await.events.iter().any(|e| e.alarm && e.text.contains("8203") && e.text.contains("FP-IMPOSTOR"))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!names(&p.b).contains(&"Planted by the impostor".to_string()), "the Slave installed the impostor's data");
    assert_eq!(names(&p.b), vec!["Real".to_string()]);
}

#[tokio::test(start_paused = true)]
async fn a_pairing_lost_in_an_upgrade_asks_for_enabling_again() {
    let p = pair().await;
    // What an earlier version's stored link reads as: nothing. Then the Master's process
    // goes away (which a paired Slave takes over from at once).
    p.b.st().link = crate::link::PeerLink::default();
    p.wire.set_down(A, true);
    until("B asks to pair again", || async {
        p.b.status().await.events.iter().any(|e| e.alarm && e.text.contains("holds no pairing") && e.text.contains("enable Hot Backup again"))
    })
    .await;
    // Knowing nothing it can trust about its peer, it does not take over.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(p.b.role(), LiveRole::Slave, "an MCU without a pairing took over");
}

#[tokio::test(start_paused = true)]
async fn a_silent_master_is_replaced_after_the_detection_time_and_a_split_brain_heals_with_an_export() {
    let p = pair().await;
    p.a.commit(profile("Before")).await.expect("commit");
    // A partition: both alive, neither hears the other. No refusal, so the Slave waits
    // out the detection time (400 ms here) before it takes over.
    p.wire.set_silent(A, true);
    p.wire.set_silent(B, true);
    let t0 = Instant::now();
    until("B takes over", || async { p.b.role() == LiveRole::Master }).await;
    // On the test's clock: not before the detection time; at the latest when the poll under
    // way as the silence began has timed out (400 ms + its 50 ms wait), one begun after the
    // silence has too, and the last word with the Master (100 ms) got no answer either.
    let took = t0.elapsed();
    assert!(took >= Duration::from_millis(400), "took over after {took:?}, before the detection time");
    assert!(took <= Duration::from_millis(1_050), "took over only after {took:?}");
    assert!(p.b.status().await.events.iter().any(|e| e.alarm && e.text.contains("has not answered")), "{:?}", p.b.status().await.events);
    // A carries on alone (its Slave is silent), B takes changes as the new Master.
    let on_a = p.a.commit_report(profile("Only on A")).await.expect("A alone");
    assert!(!on_a.mirrored, "a change made while the Slave is silent is not mirrored");
    p.b.commit(profile("On B")).await.expect("B as Master");
    // Heal: the lower epoch (A) steps down, exports what B lacks, and takes B's state.
    p.wire.set_silent(A, false);
    p.wire.set_silent(B, false);
    until("A steps down", || async { p.a.role() == LiveRole::Slave }).await;
    until("A in sync", || async { p.a.status().await.sync_status == SyncStatus::Ok }).await;
    let mut got = names(&p.a);
    got.sort();
    assert_eq!(got, vec!["Before".to_string(), "On B".to_string()]);
    let exported: Vec<String> = std::fs::read_dir(&p.a.inner.data_dir)
        .expect("data dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("hot-backup-diverged-"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    assert_eq!(exported.len(), 1, "one export file");
    assert!(exported[0].contains("Only on A"), "{}", exported[0]);
    // The export is a one-off alarm: it stays until an Operator or above acknowledges it.
    let book = p.a.alarms().book();
    let export = book.active.iter().find(|a| a.code == AlarmCode::ChangesExported).expect("export alarm").clone();
    assert!(export.text.contains("hot-backup-diverged-"), "{}", export.text);
    assert!(p.a.alarms().acknowledge(export.id, "aud", domain::Role::Auditor).is_err(), "an Auditor cannot");
    p.a.alarms().acknowledge(export.id, "op", domain::Role::Operator).expect("an Operator can");
    assert!(!p.a.alarms().book().active.iter().any(|a| a.code == AlarmCode::ChangesExported));
}

#[tokio::test(start_paused = true)]
async fn a_backup_holds_neither_the_pairing_credential_nor_the_pairing_keys_and_records() {
    let p = pair().await;
    let held = p.a.st().link.clone();
    assert!(!held.credential.is_empty());
    let folder = p.a.inner.store.path().parent().expect("data folder").to_path_buf();
    let secrets: serde_json::Value = serde_json::from_slice(&std::fs::read(folder.join("secrets.json")).expect("secrets file")).expect("json");
    let keys = secrets["opaque_keys"].as_str().expect("keys").to_string();
    let record = secrets["records"]["admin"].as_str().expect("admin's record").to_string();
    assert!(secrets.to_string().contains(&held.credential), "the credential is kept in the secrets file");
    let out = tempfile::tempdir().expect("dir");
    let copy = out.path().join("copy.sqlite3");
    p.a.inner.store.backup_to(&copy).expect("backup");
    let text = String::from_utf8_lossy(&std::fs::read(&copy).expect("backup file")).into_owned();
    for (what, secret) in [("credential", &held.credential), ("OPAQUE keys", &keys), ("registration record", &record)] {
        assert!(!text.contains(secret.as_str()), "the backup holds the {what}");
    }
    // Nor does the database itself (nor its write-ahead log).
    for file in ["mcu.sqlite3", "mcu.sqlite3-wal"] {
        let bytes = std::fs::read(folder.join(file)).unwrap_or_default();
        assert!(!String::from_utf8_lossy(&bytes).contains(held.credential.as_str()), "{file} holds the credential");
    }
}

#[tokio::test(start_paused = true)]
async fn a_master_restarting_while_its_slave_takes_over_acknowledges_nothing_with_the_old_epoch() {
    use std::sync::atomic::Ordering;
    let p = pair().await;
    // The Master's process goes away; the Slave's takeover is held between its decision
    // and its promotion (the window seed 411305093 of the fault suite hit).
    let gate = p.b.inner.promotion_gate.write().await;
    p.wire.set_down(A, true);
    until("B decided to take over", || async { p.b.inner.promotion_waiting.load(Ordering::SeqCst) }).await;
    // A restarts as Master: a fresh Master side, and its start-up probe finds B still a
    // Slave of epoch 1.
    p.wire.set_down(A, false);
    let settings = p.a.settings();
    p.a.enter(LiveRole::Master, settings, crate::state::Entry::default());
    p.a.master_probe().await;
    assert_eq!(p.a.role(), LiveRole::Master);
    // A change on A meanwhile; then B's promotion goes through (epoch 2).
    let a = p.a.clone();
    let change = tokio::spawn(async move { a.commit_report(profile("Made on the restarted Master")).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(gate);
    until("B is Master", || async { p.b.role() == LiveRole::Master }).await;
    let answer = change.await.expect("task");
    // A did not acknowledge it as Master of epoch 1 beside a Master of epoch 2.
    match answer {
        Ok(c) => panic!("the restarted Master acknowledged seq {} (epoch {}) while its Slave took over", c.entry.seq, c.entry.epoch),
        Err(e) => assert!(e.to_string().contains("no longer the Master") || e.to_string().contains("Slave"), "{e}"),
    }
    until("A stepped down", || async { p.a.role() == LiveRole::Slave }).await;
}

#[tokio::test(start_paused = true)]
async fn a_slave_isolated_just_before_its_last_word_with_the_master_does_not_take_over() {
    let p = pair().await;
    let mut settings = p.b.settings();
    settings.isolation_address = "127.0.0.1:7".into();
    p.b.update_settings(settings).await.expect("isolation address");
    // The Master falls silent: after the detection time the Slave finds its own network up
    // and has one last word with the Master...
    p.wire.set_silent(A, true);
    tokio::time::timeout(Duration::from_secs(5), p.wire.last_word_to_silent.notified()).await.expect("the Slave's last word");
    // ...during which the Slave is cut off from everything (the fault suite's seed
    // 418458015: an isolation beginning 34 ms after the previous one ended).
    p.wire.set_isolated(B, true);
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(p.b.role(), LiveRole::Slave, "an isolated Slave took over");
}
