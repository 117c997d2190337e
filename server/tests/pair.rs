//! Two real MCU processes on loopback, each with its own temporary data folder: pairing,
//! replication, kill -9 of the Master, failover, rejoin, planned switch-over, G1/G2/G5/G6.
//! Every wait is bounded.

use faults::cluster::{Mcu as Process, Relay as LinkRelay};
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::time::{Duration, Instant};

/// A server process (the fault suite's `cluster::Mcu`) with calls that fail the test
/// instead of returning errors.
struct Mcu(Process);

impl Deref for Mcu {
    type Target = Process;
    fn deref(&self) -> &Process {
        &self.0
    }
}

impl DerefMut for Mcu {
    fn deref_mut(&mut self) -> &mut Process {
        &mut self.0
    }
}

fn free_port() -> u16 {
    faults::cluster::free_port().expect("free port")
}

impl Mcu {
    async fn start(name: &str, dir: &Path, version: &str) -> Mcu {
        Mcu(Process::start(Path::new(env!("CARGO_BIN_EXE_server")), name, dir, version).await.expect("start server"))
    }

    async fn spawn(&mut self) {
        self.0.spawn().await.expect("restart server");
    }

    async fn login(&mut self) {
        self.0.login().await.expect("login");
    }

    /// Calls a server function; returns (status, body).
    async fn api(&self, f: &str, form: &[(&str, &str)]) -> (u16, String) {
        let r = self.0.api(f, form).await.expect("api call");
        (r.status, r.body)
    }

    async fn enable(&self, role: &str, peer: &Mcu) -> (u16, String) {
        self.enable_at(role, &peer.addr()).await
    }

    async fn enable_at(&self, role: &str, peer_address: &str) -> (u16, String) {
        let r = self.0.enable_at(role, peer_address, 100, 800).await.expect("enable call");
        (r.status, r.body)
    }

    async fn conferences(&self) -> Vec<String> {
        let (s, body) = self.api("list_conferences", &[]).await;
        assert_eq!(s, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        let mut names: Vec<String> = v
            .as_array()
            .map(|a| a.iter().filter_map(|r| r["conference"]["name"].as_str().map(String::from)).collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Waits (bounded) until `/healthz` satisfies `pred`; returns how long it took.
    async fn wait_health(&self, what: &str, limit: Duration, pred: impl Fn(&serde_json::Value) -> bool) -> Duration {
        match self.0.wait_health(limit, pred).await {
            Ok(took) => took,
            Err(last) => panic!("{}: {what} not reached within {limit:?}; last /healthz: {last:?}", self.name),
        }
    }
}

/// The fault suite's loopback relay standing for the peer link (`cut` = partition).
struct Relay(LinkRelay);

impl Deref for Relay {
    type Target = LinkRelay;
    fn deref(&self) -> &LinkRelay {
        &self.0
    }
}

impl Relay {
    async fn start(target: u16) -> Relay {
        Relay(LinkRelay::start(target).await.expect("relay"))
    }
}

async fn paired(a_dir: &Path, b_dir: &Path) -> (Mcu, Mcu) {
    let a = Mcu::start("MCU-A", a_dir, "1.0.0").await;
    let b = Mcu::start("MCU-B", b_dir, "1.0.0").await;
    let (s, body) = b.enable("slave", &a).await;
    assert_eq!(s, 200, "enable slave: {body}");
    let (s, body) = a.enable("master", &b).await;
    assert_eq!(s, 200, "enable master: {body}");
    let ok = |role: &'static str| move |h: &serde_json::Value| h["role"] == role && h["sync_status"] == "ok";
    a.wait_health("Master in sync", Duration::from_secs(10), ok("master")).await;
    b.wait_health("Slave in sync", Duration::from_secs(10), ok("slave")).await;
    (a, b)
}

/// Waits (bounded) until the Hot Backup page's check `g` has `passed`.
async fn wait_check(m: &Mcu, g: &str, passed: bool) -> String {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(12) {
        let (_, body) = m.api("get_hot_backup", &[]).await;
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let found = v["status"]["checks"].as_array().and_then(|cs| cs.iter().find(|c| c["guideline"] == g).cloned());
        if let Some(c) = found {
            if c["passed"] == passed {
                return c["reason"].as_str().unwrap_or_default().to_string();
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{}: check {g} never became passed={passed}", m.name);
}

async fn add_conference(m: &Mcu, name: &str, id: &str) -> (u16, String) {
    m.api("add_conference", &[("name", name), ("numeric_id", id)]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicate_then_kill_the_master_then_rejoin() {
    let (da, db) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    let (mut a, b) = paired(da.path(), db.path()).await;

    let mut acked = Vec::new();
    for i in 0..20 {
        let name = format!("Conf {i:02}");
        let (s, body) = add_conference(&a, &name, &format!("{}", 1000 + i)).await;
        assert_eq!(s, 200, "{body}");
        acked.push(name);
    }
    // Acknowledged means on the Slave's disk already.
    assert_eq!(b.conferences().await, acked);
    let (ha, hb) = (a.health().await.expect("a"), b.health().await.expect("b"));
    assert_eq!(ha["digest"], hb["digest"]);
    // G5: the Slave refuses changes by hand, and says where to go.
    let (s, body) = add_conference(&b, "Sneaky", "999").await;
    assert_eq!(s, 403, "{body}");
    assert!(body.contains("Slave") && body.contains(&a.addr()), "{body}");

    // A participant calls in on the Master; the Slave has it too.
    let (s, body) = a.api("simulate_dial_in", &[("numeric_id", "1000"), ("name", "Lisbon room"), ("address", "10.9.8.7"), ("protocol", "h323")]).await;
    assert_eq!(s, 200, "{body}");
    let conf_id = {
        let (_, body) = b.api("list_conferences", &[]).await;
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        v.as_array()
            .and_then(|a| a.iter().find(|r| r["conference"]["numeric_id"] == "1000"))
            .and_then(|r| r["conference"]["id"].as_str().map(String::from))
            .expect("conference 1000 on the Slave")
    };
    let (_, body) = b.api("get_conference", &[("id", &conf_id)]).await;
    assert!(body.contains("Lisbon room") && body.contains("DialIn"), "{body}");
    // A second one calls in, and the operator disconnects it on purpose.
    let (s, body) = a.api("simulate_dial_in", &[("numeric_id", "1000"), ("name", "Porto room"), ("address", "10.9.8.6"), ("protocol", "h323")]).await;
    assert_eq!(s, 200, "{body}");
    let porto = {
        let (_, body) = a.api("get_conference", &[("id", &conf_id)]).await;
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        v["participants"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == "Porto room"))
            .and_then(|p| p["id"].as_str().map(String::from))
            .expect("Porto room")
    };
    let (s, body) = a.api("participant_action", &[("participant_id", &porto), ("action", "disconnect")]).await;
    assert_eq!(s, 200, "{body}");
    // A caller dials a number nothing holds: the Transit EQ's IVR gets no conference ID,
    // so it waits for an operator in the queue's holding place.
    let (s, body) = a.api("save_profile", &[("id", ""), ("name", "Std"), ("line_rate_kbps", "1920"), ("resolution", "hd720"), ("layout", "auto")]).await;
    assert_eq!(s, 200, "{body}");
    let (_, body) = a.api("get_profiles", &[]).await;
    let profiles: serde_json::Value = serde_json::from_str(&body).expect("json");
    let profile = profiles["profiles"][0]["id"].as_str().expect("profile").to_string();
    let eq = [("id", ""), ("name", "TransitEQ"), ("numeric_id", "7000"), ("profile_id", profile.as_str()), ("ivr_service_id", ""),
        ("conference_password", ""), ("chairperson_password", ""), ("transit", "on")];
    let (s, body) = a.api("save_entry_queue", &eq).await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = a.api("simulate_dial_in", &[("numeric_id", "5555"), ("name", "Lost caller"), ("address", "10.9.8.5"), ("protocol", "h323"), ("digits", "1#2#3")]).await;
    assert!(s == 200 && body.contains("awaiting operator assistance in 'TransitEQ'"), "{body}");
    acked.push("TransitEQ".into());
    acked.sort();

    // kill -9 the Master: the Slave takes over with every acknowledged change.
    a.kill9();
    let took = b.wait_health("takeover", Duration::from_secs(10), |h| h["role"] == "master").await;
    eprintln!("failover: Slave became Master {} ms after kill -9", took.as_millis());
    // While the calls ring again, the new Master shows them as Redialing, attempt 1 of 11.
    let t0 = Instant::now();
    loop {
        let (_, body) = b.api("get_conference", &[("id", &conf_id)]).await;
        if body.contains(r#"{"Redialing":{"attempt":1,"of":11}}"#) {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(5), "no Redialing status after the takeover: {body}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(b.health().await.expect("b")["epoch"], 2);
    assert_eq!(b.conferences().await, acked);
    let (s, body) = add_conference(&b, "After failover", "2000").await;
    assert_eq!(s, 200, "{body}");
    // The new Master restarted the conference and redialled: the dial-in is now dial-out.
    let t0 = Instant::now();
    loop {
        let (_, body) = b.api("get_conference", &[("id", &conf_id)]).await;
        if body.contains("Lisbon room") && body.contains("DialOut") && body.contains("\"Connected\"") {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "not redialled: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The caller that waited for an operator is called back into the same wait.
    let lobby = {
        let (_, body) = b.api("list_conferences", &[]).await;
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        v.as_array()
            .and_then(|a| a.iter().find(|r| r["conference"]["entry_queue"] == true))
            .and_then(|r| r["conference"]["id"].as_str().map(String::from))
            .expect("the holding place on the new Master")
    };
    let t0 = Instant::now();
    loop {
        let (_, body) = b.api("get_conference", &[("id", &lobby)]).await;
        if body.contains("Lost caller") && body.contains("\"AwaitingAssistance\"") {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "the waiting caller was not called back to wait: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The participant the operator had disconnected stays disconnected (and dial-in).
    let (_, body) = b.api("get_conference", &[("id", &conf_id)]).await;
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    let p = v["participants"].as_array().and_then(|ps| ps.iter().find(|p| p["name"] == "Porto room")).cloned().expect("Porto room");
    assert_eq!(p["state"], "Disconnected", "{p}");
    assert_eq!(p["direction"], "DialIn", "{p}");

    // The old Master starts again: it becomes the Slave of the new Master (G4) and converges.
    a.spawn().await;
    let rejoin = a.wait_health("rejoin as Slave", Duration::from_secs(15), |h| h["role"] == "slave" && h["sync_status"] == "ok").await;
    eprintln!("rejoin: old Master in sync as Slave {} ms after start", rejoin.as_millis());
    let digest = b.health().await.expect("b")["digest"].clone();
    a.wait_health("equal digests", Duration::from_secs(5), |h| h["digest"] == digest).await;
    let mut all = acked.clone();
    all.push("After failover".into());
    all.sort();
    assert_eq!(a.conferences().await, all);
    let (s, _) = add_conference(&a, "On old master", "3000").await;
    assert_eq!(s, 403, "the old Master must not act as a second Master");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planned_switch_over_then_disable_on_the_slave_deletes_its_copies() {
    let (da, db) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    let (a, b) = paired(da.path(), db.path()).await;
    // G2 holds continuously: a user added on one side only raises an alarm, naming them.
    wait_check(&a, "G2", true).await;
    let (s, body) = a.api("add_user", &[("name", "late-op"), ("password", "late-pass-1"), ("role", "operator")]).await;
    assert_eq!(s, 200, "{body}");
    let reason = wait_check(&a, "G2", false).await;
    assert!(reason.contains("late-op") && !reason.contains("late-pass-1"), "{reason}");
    let (s, _) = b.api("add_user", &[("name", "late-op"), ("password", "late-pass-1"), ("role", "operator")]).await;
    assert_eq!(s, 200);
    wait_check(&a, "G2", true).await;
    for i in 0..3 {
        let (s, body) = add_conference(&a, &format!("Before {i}"), &format!("{}", 100 + i)).await;
        assert_eq!(s, 200, "{body}");
    }
    let (s, body) = b.api("trigger_failover", &[("confirm", "MCU-B")]).await;
    assert_eq!(s, 409, "only the Master can trigger a failover: {body}");
    // A destructive action wants this MCU's name typed: none or another one is refused.
    for wrong in [&[][..], &[("confirm", "MCU-B")][..]] {
        let (s, body) = a.api("trigger_failover", wrong).await;
        assert_eq!(s, 422, "{body}");
        assert!(body.contains("Type this MCU's name, MCU-A, to confirm"), "{body}");
    }
    assert_eq!(a.health().await.expect("a")["role"], "master");
    let (s, body) = a.api("trigger_failover", &[("confirm", "MCU-A")]).await;
    assert_eq!(s, 200, "{body}");
    b.wait_health("new Master", Duration::from_secs(5), |h| h["role"] == "master").await;
    a.wait_health("new Slave in sync", Duration::from_secs(10), |h| h["role"] == "slave" && h["sync_status"] == "ok").await;
    let (s, body) = add_conference(&b, "After switch", "200").await;
    assert_eq!(s, 200, "{body}");
    let expect = vec!["After switch".to_string(), "Before 0".into(), "Before 1".into(), "Before 2".into()];
    assert_eq!(a.conferences().await, expect, "nothing lost in the switch-over");

    // G9: a change that needs a System Reset is refused while Hot Backup is on, on both.
    for m in [&a, &b] {
        let (s, body) = m.api("set_management_network", &[("control_unit_address", "10.0.0.9"), ("host_name", "mcu-x"), ("dns", "")]).await;
        assert_eq!(s, 409, "{body}");
        assert!(body.contains("G9") && body.contains("Disable Hot Backup on both MCUs"), "{body}");
    }

    // G6: disabling Hot Backup on the Slave deletes the backed-up conferences.
    let (s, body) = a.api("disable_hot_backup", &[("confirm", "MCU-A")]).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(a.health().await.expect("a")["role"], "standalone");
    assert!(a.conferences().await.is_empty());
    assert_eq!(b.conferences().await.len(), 4, "the Master keeps them");

    // Paired again, A takes the Master's state back (its own G6 deletions, made while it
    // stood alone, are kept in an export, never silently dropped).
    let (s, body) = a.enable("slave", &b).await;
    assert_eq!(s, 200, "{body}");
    a.wait_health("re-paired Slave in sync", Duration::from_secs(10), |h| h["role"] == "slave" && h["sync_status"] == "ok").await;
    assert_eq!(a.conferences().await, expect);
    assert_eq!(a.health().await.expect("a")["digest"], b.health().await.expect("b")["digest"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enabling_is_refused_on_version_or_user_mismatch_or_no_peer() {
    let (da, db) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    let a = Mcu::start("MCU-A", da.path(), "1.0.0").await;
    let mut b = Mcu::start("MCU-B", db.path(), "1.1.0").await;

    // G1: both versions named.
    let (s, body) = a.enable("master", &b).await;
    assert_eq!(s, 409, "{body}");
    assert!(body.contains("1.0.0") && body.contains("1.1.0") && body.contains("G1"), "{body}");

    // G2: the same version, but a user only on B.
    b.kill9();
    b.version = "1.0.0".into();
    b.spawn().await;
    let (s, body) = b.api("add_user", &[("name", "night-op"), ("password", "night-pass-1"), ("role", "operator")]).await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = a.enable("master", &b).await;
    assert_eq!(s, 409, "{body}");
    assert!(body.contains("G2") && body.contains("night-op") && !body.contains("night-pass-1"), "{body}");

    // G8: an MCU with conferences cannot become the Slave.
    let (s, _) = add_conference(&a, "Busy", "1").await;
    assert_eq!(s, 200);
    let (s, body) = a.api("add_user", &[("name", "night-op"), ("password", "night-pass-1"), ("role", "operator")]).await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = a.enable("slave", &b).await;
    assert_eq!(s, 409, "{body}");
    assert!(body.contains("G8") && body.contains("1 ongoing conference"), "{body}");

    // G3: nobody at the address.
    let (s, body) = a.enable_at("master", &format!("127.0.0.1:{}", free_port())).await;
    assert_eq!(s, 409, "{body}");
    assert!(body.contains("G3"), "{body}");

    // Bad input: a field error.
    let (s, body) = a.enable_at("master", "mcu-b").await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("peer_address"), "{body}");
}

/// A (Master) and B (Slave, in sync), reaching each other only through the relays
/// `to_a` and `to_b`.
async fn paired_through_relays(a_dir: &Path, b_dir: &Path) -> (Mcu, Mcu, Relay, Relay) {
    let a = Mcu::start("MCU-A", a_dir, "1.0.0").await;
    let b = Mcu::start("MCU-B", b_dir, "1.0.0").await;
    let (to_a, to_b) = (Relay::start(a.port).await, Relay::start(b.port).await);
    let (s, body) = b.enable_at("slave", &to_a.addr()).await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = a.enable_at("master", &to_b.addr()).await;
    assert_eq!(s, 200, "{body}");
    b.wait_health("Slave in sync", Duration::from_secs(10), |h| h["role"] == "slave" && h["sync_status"] == "ok").await;
    (a, b, to_a, to_b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_brain_heals_to_the_higher_epoch_and_exports_the_loser_s_changes() {
    let (da, db) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    let (a, b, to_a, to_b) = paired_through_relays(da.path(), db.path()).await;
    let (s, _) = add_conference(&a, "Before", "1").await;
    assert_eq!(s, 200);

    // Partition: both alive, neither hears the other.
    to_a.cut();
    to_b.cut();
    b.wait_health("Slave takes over", Duration::from_secs(10), |h| h["role"] == "master").await;
    assert_eq!(a.health().await.expect("a")["role"], "master", "A does not know yet");
    let (s, body) = add_conference(&a, "Split on A", "2").await;
    assert_eq!(s, 200, "A carries on alone: {body}");
    let (s, body) = add_conference(&b, "Split on B", "3").await;
    assert_eq!(s, 200, "{body}");

    // Heal: the lower epoch (A) steps down, keeps its split-time change in a file, and
    // takes B's state.
    to_a.heal();
    to_b.heal();
    a.wait_health("A steps down and resyncs", Duration::from_secs(15), |h| h["role"] == "slave" && h["sync_status"] == "ok").await;
    let digest = b.health().await.expect("b")["digest"].clone();
    a.wait_health("equal digests", Duration::from_secs(5), |h| h["digest"] == digest).await;
    assert_eq!(a.conferences().await, vec!["Before".to_string(), "Split on B".into()]);
    let exports: Vec<String> = std::fs::read_dir(da.path())
        .expect("data dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("hot-backup-diverged-"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    assert_eq!(exports.len(), 1, "one export file");
    assert!(exports[0].contains("Split on A"), "{}", exports[0]);
    let (_, hb) = a.api("get_hot_backup", &[]).await;
    assert!(hb.contains("are not on the Master") && hb.contains("hot-backup-diverged-"), "alarm raised: {hb}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_system_reset_applies_the_pending_settings() {
    let d = tempfile::tempdir().expect("dir");
    let mut m = Mcu::start("MCU-R", d.path(), "1.0.0").await;
    let (s, body) = m.api("set_management_network", &[("control_unit_address", "10.0.0.300"), ("host_name", "mcu-r"), ("dns", "")]).await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("control_unit_address"), "{body}");
    let (s, body) = m.api("set_management_network", &[("control_unit_address", "10.0.0.7"), ("host_name", "MCU-R.lab"), ("dns", "10.0.0.1")]).await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("after a System Reset"), "{body}");
    let (s, body) = m.api("set_port_configuration", &[("video_ports", "500"), ("video_resolution", "hd720"), ("voice_ports", "0")]).await;
    assert_eq!(s, 422, "over capacity: {body}");
    let (_, body) = m.api("get_reset_settings", &[]).await;
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["management"]["host_name"], "", "not in force before the reset");
    assert_eq!(v["pending"]["management"]["host_name"], "mcu-r.lab");

    let (s, body) = m.api("reset_mcu", &[("confirm", "MCU-R")]).await;
    assert_eq!(s, 200, "{body}");
    // The process restarts itself: down, then up again with the settings in force.
    let t0 = Instant::now();
    while m.health().await.is_some() && t0.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    m.wait_health("back after reset", Duration::from_secs(20), |h| h["role"] == "standalone").await;
    m.login().await;
    let (_, body) = m.api("get_reset_settings", &[]).await;
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["management"]["host_name"], "mcu-r.lab");
    assert_eq!(v["management"]["control_unit_address"], "10.0.0.7");
    assert!(v["pending"]["management"].is_null(), "{v}");
}

/// A loopback address that takes no new connections and does not refuse them either: a
/// listener with a backlog of one, filled. Connecting to it times out, like a host that is
/// cut off. Returns the address and what keeps it so.
async fn silent_address() -> (String, tokio::net::TcpListener, Vec<tokio::net::TcpStream>) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
    let listener = socket.listen(1).expect("listen");
    let addr = listener.local_addr().expect("addr");
    let mut fill = Vec::new();
    for _ in 0..8 {
        if let Ok(Ok(s)) = tokio::time::timeout(Duration::from_millis(200), tokio::net::TcpStream::connect(addr)).await {
            fill.push(s);
        }
    }
    let probe = tokio::time::timeout(Duration::from_millis(300), tokio::net::TcpStream::connect(addr)).await;
    assert!(probe.is_err(), "the filled listener still answers");
    (addr.to_string(), listener, fill)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slave_that_hears_neither_the_master_nor_its_isolation_address_does_not_take_over() {
    let (da, db) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    let (mut a, b) = paired(da.path(), db.path()).await;
    let (silent, _keep, _fill) = silent_address().await;
    // Settings change while paired; the role stays.
    let master_addr = a.addr();
    let form = |isolation: &str| {
        vec![
            ("peer_address".to_string(), master_addr.clone()),
            ("heartbeat_ms".to_string(), "100".to_string()),
            ("detection_ms".to_string(), "800".to_string()),
            ("inactivity_s".to_string(), "30".to_string()),
            ("isolation_address".to_string(), isolation.to_string()),
        ]
    };
    let save = |f: Vec<(String, String)>| {
        let b = &b;
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            b.api("update_hot_backup_settings", &pairs).await
        }
    };
    let (s, body) = save(form("not an address")).await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("isolation_address"), "{body}");
    let (s, body) = save(form(&silent)).await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("Slave"), "{body}");
    b.wait_health("still Slave in sync", Duration::from_secs(5), |h| h["role"] == "slave" && h["sync_status"] == "ok").await;

    // The Master dies while the Slave cannot reach its witness either: it stays Slave.
    a.kill9();
    tokio::time::sleep(Duration::from_millis(3 * 800 + 500)).await;
    let h = b.health().await.expect("b answers");
    assert_eq!(h["role"], "slave", "an isolated Slave took over: {h}");
    let (_, body) = b.api("get_hot_backup", &[]).await;
    assert!(body.contains("8202") && body.contains("own network"), "the reason is in the event log: {body}");

    // The witness answers (a refusal is an answer too): now the Master's silence counts.
    let refusing = format!("127.0.0.1:{}", free_port());
    let (s, body) = save(form(&refusing)).await;
    assert_eq!(s, 200, "{body}");
    b.wait_health("takes over once its network is shown up", Duration::from_secs(10), |h| h["role"] == "master").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_master_that_crashes_is_replaced_at_once_and_one_that_resets_is_not_replaced() {
    let (da, db) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    let (mut a, b) = paired(da.path(), db.path()).await;
    // System Reset of the Master: it restarts in place, keeping its listening socket, so
    // the Slave sees a slow answer, not a refusal, and stays Slave.
    let (s, body) = a.api("reset_mcu", &[("confirm", "MCU-A")]).await;
    assert_eq!(s, 200, "{body}");
    tokio::time::sleep(Duration::from_millis(400)).await;
    a.wait_health("Master back after its reset", Duration::from_secs(10), |h| h["role"] == "master").await;
    let h = b.health().await.expect("b");
    assert_eq!(h["role"], "slave", "a Master's reset made the Slave take over: {h}");
    assert_eq!(h["epoch"], 1, "{h}");
    b.wait_health("in sync again", Duration::from_secs(10), |h| h["role"] == "slave" && h["sync_status"] == "ok").await;

    // kill -9: the host refuses the connection, the Slave takes over well within the
    // detection time (800 ms here).
    a.kill9();
    let took = b.wait_health("takeover", Duration::from_secs(10), |h| h["role"] == "master").await;
    eprintln!("crash failover: {} ms", took.as_millis());
    assert!(took < Duration::from_millis(800), "took {} ms: the detection time, not the refusal", took.as_millis());
    let (_, body) = b.api("get_hot_backup", &[]).await;
    assert!(body.contains("refuses connections"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slave_that_starts_before_its_master_waits_the_detection_time() {
    let (da, db) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    let (mut a, mut b) = paired(da.path(), db.path()).await;
    // Both go down (a power cut); the Slave boots first. A refused connection from a Master
    // it has not heard yet is not a crash: the Master may still be booting.
    b.kill9();
    a.kill9();
    b.spawn().await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(b.health().await.expect("b")["role"], "slave", "took over from a Master that was still booting");
    a.spawn().await;
    a.wait_health("Master again", Duration::from_secs(10), |h| h["role"] == "master").await;
    b.wait_health("Slave in sync", Duration::from_secs(10), |h| h["role"] == "slave" && h["sync_status"] == "ok").await;
    assert_eq!(a.health().await.expect("a")["epoch"], 1, "no failover happened");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_of_the_link_during_pairing_and_replication_shows_nothing_in_clear() {
    let (da, db) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    let (a, b, to_a, to_b) = paired_through_relays(da.path(), db.path()).await;
    let (s, _) = add_conference(&a, "Captured Meeting", "4711").await;
    assert_eq!(s, 200);
    assert_eq!(b.conferences().await, vec!["Captured Meeting".to_string()]);
    // Let the guideline checks (users' verifiers) run at least once more.
    tokio::time::sleep(Duration::from_secs(6)).await;
    for (name, relay) in [("to A", &to_a), ("to B", &to_b)] {
        let bytes = relay.captured();
        assert!(bytes.len() > 2000, "{name}: only {} bytes captured", bytes.len());
        let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        for needle in [faults::cluster::PASSWORD.as_bytes(), b"Bearer", b"HTTP/1.1", b"peer/v1", b"verifier", b"credential", b"Captured Meeting"] {
            assert!(!has(needle), "{name}: '{}' crosses the link in clear", String::from_utf8_lossy(needle));
        }
        assert_eq!(bytes[0], 0x16, "{name}: the link does not start with a TLS handshake");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paired_mcu_with_another_certificate_is_refused_with_an_alarm_naming_both() {
    let (da, db) = (tempfile::tempdir().expect("dir"), tempfile::tempdir().expect("dir"));
    let (a, mut b) = paired(da.path(), db.path()).await;
    let before = std::fs::read(db.path().join("peer-link.crt")).expect("B's certificate");
    // B is reinstalled with the same data but a new certificate (or something else answers
    // on its address holding B's database but not B's key).
    b.kill9();
    std::fs::remove_file(db.path().join("peer-link.crt")).expect("rm crt");
    std::fs::remove_file(db.path().join("peer-link.key")).expect("rm key");
    b.spawn().await;
    b.login().await;
    let after = std::fs::read(db.path().join("peer-link.crt")).expect("new certificate");
    assert_ne!(before, after);
    let fp = |der: &[u8]| hotbackup::identity::fingerprint(der);
    let t0 = Instant::now();
    let mut text = String::new();
    while t0.elapsed() < Duration::from_secs(10) {
        let (_, hb) = a.api("get_hot_backup", &[]).await;
        if hb.contains("8203") {
            text = hb;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(text.contains(&fp(&before)) && text.contains(&fp(&after)), "no alarm naming both fingerprints: {text}");
    assert_eq!(a.health().await.expect("a")["role"], "master", "A stays Master");
}
