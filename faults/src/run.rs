//! One schedule: a paired Master/Slave (real processes, relays for the peer link), a
//! client that keeps making changes and records what was acknowledged, the faults of the
//! schedule, then heal, convergence, and the invariant checks.

use crate::cluster::{Mcu, Node, Relay, Witness};
use crate::plan::{self, Fault, Step, Timings};
use anyhow::{bail, Context, Result};
use rand::Rng;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What one schedule found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub seed: u64,
    pub steps: Vec<String>,
    pub acked: usize,
    pub mirrored: usize,
    pub exported: usize,
    pub lost: usize,
    pub violations: Vec<String>,
    pub elapsed: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Conference,
    Participant,
    Reservation,
    Qos,
}

/// One change the client asked for.
#[derive(Debug, Clone)]
struct Op {
    kind: Kind,
    /// Unique name ("c17", "p18", "r19"), searched for on the final Master and in exports.
    name: String,
    node: usize,
    sent_ms: u64,
    acked_ms: u64,
    /// Acknowledged (200) with its epoch and whether the Slave had it.
    ack: Option<(u64, bool)>,
}

/// One MCU as `/healthz` showed it: (role, sync status); `None` when it did not answer.
type Seen = Option<(String, String)>;

/// Windows during which the peer link was cut (ms since the start), and the monitor's
/// samples of each MCU's (role, sync status).
#[derive(Default)]
struct Timeline {
    partitions: Vec<(u64, u64)>,
    samples: Vec<(u64, [Seen; 2])>,
    /// A Slave cut off from everything: (node, from, to).
    isolated_slaves: Vec<(usize, u64, u64)>,
}

impl Timeline {
    /// Whether `node` last showed itself as a Master with its Slave in sync at or before `t`.
    fn master_in_sync(&self, node: usize, t: u64) -> bool {
        self.samples
            .iter()
            .rev()
            .find(|(at, _)| *at <= t)
            .and_then(|(_, s)| s[node].as_ref())
            .is_some_and(|(role, sync)| role == "master" && sync == "ok")
    }
}

struct Clock(Instant);

impl Clock {
    fn ms(&self) -> u64 {
        self.0.elapsed().as_millis() as u64
    }
}

/// Runs schedule `seed` with the server binary `bin`.
pub async fn run(bin: &Path, seed: u64, t: Timings) -> Outcome {
    let started = Instant::now();
    let steps = plan::schedule(seed, t);
    let mut out = Outcome { seed, steps: steps.iter().map(|s| s.fault.to_string()).collect(), ..Default::default() };
    match run_inner(bin, seed, t, &steps, &mut out).await {
        Ok(()) => {}
        Err(e) => out.violations.push(format!("harness: {e:#}")),
    }
    out.elapsed = started.elapsed();
    out
}

async fn run_inner(bin: &Path, seed: u64, t: Timings, steps: &[Step], out: &mut Outcome) -> Result<()> {
    let dirs = [tempfile::tempdir()?, tempfile::tempdir()?];
    let mut nodes = [
        Mcu::start_with(bin, "MCU-A", dirs[0].path(), "1.0.0", &["--model", "CS 1800"]).await?,
        Mcu::start_with(bin, "MCU-B", dirs[1].path(), "1.0.0", &["--model", "CS 1800"]).await?,
    ];
    // Each MCU reaches the other through a relay: cutting both is a partition.
    let relays = [Relay::start(nodes[0].port).await?, Relay::start(nodes[1].port).await?];
    let r = nodes[1].enable_at("slave", &relays[0].addr(), t.heartbeat_ms, t.detection_ms).await?;
    if !r.ok() {
        bail!("enable Slave: {}", r.body);
    }
    let r = nodes[0].enable_at("master", &relays[1].addr(), t.heartbeat_ms, t.detection_ms).await?;
    if !r.ok() {
        bail!("enable Master: {}", r.body);
    }
    // Each MCU checks its own isolation address (a witness the harness can silence).
    let witnesses = [Witness::start().await?, Witness::start().await?];
    for (i, n) in nodes.iter().enumerate() {
        let (hb, det, peer, witness) = (t.heartbeat_ms.to_string(), t.detection_ms.to_string(), relays[1 - i].addr(), witnesses[i].addr());
        let form = [("peer_address", peer.as_str()), ("heartbeat_ms", &hb), ("detection_ms", &det), ("inactivity_s", "30"), ("isolation_address", &witness)];
        let r = n.api("update_hot_backup_settings", &form).await?;
        if !r.ok() {
            bail!("isolation address on {}: {}", n.name, r.body);
        }
    }
    let in_sync = |role: &'static str| move |h: &serde_json::Value| h["role"] == role && h["sync_status"] == "ok";
    // Pairing never in sync is the product's failure too: say what each MCU logged.
    let logs = |nodes: &[Mcu; 2]| format!("MCU-A: {} || MCU-B: {}", last_lines(&nodes[0].stderr_log(), 8), last_lines(&nodes[1].stderr_log(), 8));
    if let Err(h) = nodes[0].wait_health(Duration::from_secs(15), in_sync("master")).await {
        bail!("Master never in sync: {h:?}; {}", logs(&nodes));
    }
    if let Err(h) = nodes[1].wait_health(Duration::from_secs(15), in_sync("slave")).await {
        bail!("Slave never in sync: {h:?}; {}", logs(&nodes));
    }
    let r = nodes[0].api("save_profile", &[("id", ""), ("name", "Faults"), ("line_rate_kbps", "1920"), ("resolution", "hd720"), ("layout", "auto")]).await?;
    if !r.ok() {
        bail!("profile: {}", r.body);
    }
    let profiles: serde_json::Value = serde_json::from_str(&nodes[0].api("get_profiles", &[]).await?.body)?;
    let profile_id = profiles["profiles"][0]["id"].as_str().context("profile id")?.to_string();

    let clock = Arc::new(Clock(Instant::now()));
    let timeline = Arc::new(Mutex::new(Timeline::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let handles: [Node; 2] = [nodes[0].node.clone(), nodes[1].node.clone()];
    let client = tokio::spawn(client(handles.clone(), seed, profile_id, clock.clone(), stop.clone()));
    let monitor = tokio::spawn(monitor(handles.clone(), t, clock.clone(), timeline.clone(), stop.clone()));

    for step in steps {
        tokio::time::sleep(Duration::from_millis(step.gap_ms)).await;
        apply(&mut nodes, &relays, &witnesses, step, t, &clock, &timeline, out).await?;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Heal everything, stop the client, wait for the pair to converge.
    for n in nodes.iter_mut() {
        n.resume();
        if !n.is_up() {
            n.spawn().await?;
        }
    }
    heal(&relays, &clock, &timeline);
    for w in &witnesses {
        w.heal();
    }
    stop.store(true, Ordering::SeqCst);
    let ops = client.await.context("client task")?;
    let monitor_violations = monitor.await.context("monitor task")?;
    out.violations.extend(monitor_violations);
    // A Slave cut off from everything must not take over, during the isolation nor just as
    // it ends (it hears the Master again before it counts its silence). The next step comes
    // 150 ms after the end at the earliest; what it does is its own.
    {
        let tl = timeline.lock().unwrap_or_else(|p| p.into_inner());
        let grace = 100;
        for &(node, from, to) in &tl.isolated_slaves {
            let promoted = tl.samples.iter().find(|(at, seen)| {
                *at >= from && *at <= to + grace && seen[node].as_ref().is_some_and(|(role, _)| role == "master")
            });
            if let Some((at, _)) = promoted {
                out.violations.push(format!("{} took over at {at} ms while isolated ({from}–{to} ms)", handles[node].name));
            }
        }
    }

    let (master, digests) = converge(&handles, Duration::from_secs(25)).await;
    let Some(m) = master else {
        out.violations.push(format!("no convergence within 25 s: {digests}"));
        return Ok(());
    };
    check(&handles[m], &ops, &dirs.iter().map(|d| d.path().to_path_buf()).collect::<Vec<_>>(), t, &timeline, out).await?;
    for (i, n) in nodes.iter().enumerate() {
        if n.stderr_log().contains("panicked") {
            out.violations.push(format!("{} panicked: {}", handles[i].name, last_lines(&n.stderr_log(), 5)));
        }
    }
    Ok(())
}

fn last_lines(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}

fn heal(relays: &[Relay; 2], clock: &Clock, timeline: &Mutex<Timeline>) {
    if relays.iter().any(Relay::is_cut) {
        for r in relays {
            r.heal();
        }
        let now = clock.ms();
        let mut tl = timeline.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(last) = tl.partitions.last_mut() {
            if last.1 == u64::MAX {
                last.1 = now;
            }
        }
    }
}

/// Which node is Master now (by `/healthz`; the higher epoch if both say so).
async fn master_index(nodes: &[Mcu; 2]) -> usize {
    let (a, b) = (nodes[0].health().await, nodes[1].health().await);
    let role_epoch = |h: &Option<serde_json::Value>| h.as_ref().map(|h| (h["role"] == "master", h["epoch"].as_u64().unwrap_or(0)));
    match (role_epoch(&a), role_epoch(&b)) {
        (Some((true, ea)), Some((true, eb))) => usize::from(eb > ea),
        (Some((true, _)), _) => 0,
        (_, Some((true, _))) => 1,
        _ => 0,
    }
}

#[allow(clippy::too_many_arguments)]
async fn apply(
    nodes: &mut [Mcu; 2],
    relays: &[Relay; 2],
    witnesses: &[Witness; 2],
    step: &Step,
    t: Timings,
    clock: &Clock,
    timeline: &Mutex<Timeline>,
    out: &mut Outcome,
) -> Result<()> {
    let m = master_index(nodes).await;
    let s = 1 - m;
    match step.fault {
        Fault::KillMaster { down_ms } | Fault::KillSlave { down_ms } => {
            let victim = if matches!(step.fault, Fault::KillMaster { .. }) { m } else { s };
            let was_master = victim == m;
            nodes[victim].kill9();
            tokio::time::sleep(Duration::from_millis(down_ms)).await;
            // Did the other one take over while it was down?
            let took_over = nodes[1 - victim].health().await.is_some_and(|h| h["role"] == "master");
            nodes[victim].spawn().await?;
            let linked = !relays.iter().any(Relay::is_cut) && !nodes[1 - victim].is_paused();
            if was_master && took_over && linked {
                // G4: an old Master that restarts after a failover comes back as Slave.
                let limit = Duration::from_millis(u64::from(t.detection_ms) * 5);
                if let Err(h) = nodes[victim].wait_health(limit, |h| h["role"] == "slave").await {
                    out.violations.push(format!("restarted old Master {} did not come back as Slave: {h:?}", nodes[victim].name));
                }
            }
        }
        Fault::PauseMaster { ms } | Fault::PauseSlave { ms } => {
            let victim = if matches!(step.fault, Fault::PauseMaster { .. }) { m } else { s };
            nodes[victim].pause();
            tokio::time::sleep(Duration::from_millis(ms)).await;
            nodes[victim].resume();
        }
        Fault::Partition { ms } => {
            for r in relays {
                r.cut();
            }
            timeline.lock().unwrap_or_else(|p| p.into_inner()).partitions.push((clock.ms(), u64::MAX));
            tokio::time::sleep(Duration::from_millis(ms)).await;
            heal(relays, clock, timeline);
        }
        Fault::SwitchOver => {
            // Refused when the Slave is not in sync: that is the product being careful, not a fault.
            // Confirmed as an administrator does: with the MCU's name.
            let name = nodes[m].node.name.clone();
            let _ = nodes[m].api_within("trigger_failover", &[("confirm", name.as_str())], Duration::from_secs(10)).await;
        }
        Fault::IsolateSlave { ms } | Fault::IsolateMaster { ms } => {
            let victim = if matches!(step.fault, Fault::IsolateMaster { .. }) { m } else { s };
            // Was it a Slave when cut off (roles may have moved since the schedule was drawn)?
            let was_slave = nodes[victim].health().await.is_some_and(|h| h["role"] == "slave");
            // The MCU is cut off from everything once both are cut: its isolation check
            // address first (silencing it takes a few ms), then the link, and only then does
            // the isolation count as begun (before, its own network still answered it).
            witnesses[victim].cut().await;
            timeline.lock().unwrap_or_else(|p| p.into_inner()).partitions.push((clock.ms(), u64::MAX));
            for r in relays {
                r.cut();
            }
            let from = clock.ms();
            tokio::time::sleep(Duration::from_millis(ms)).await;
            let to = clock.ms();
            witnesses[victim].heal();
            heal(relays, clock, timeline);
            if was_slave {
                timeline.lock().unwrap_or_else(|p| p.into_inner()).isolated_slaves.push((victim, from, to));
            }
        }
    }
    Ok(())
}

/// Keeps making changes on the node that acts as Master (now and then on the other one,
/// which must refuse while it is Slave); records every answer.
async fn client(nodes: [Node; 2], seed: u64, profile_id: String, clock: Arc<Clock>, stop: Arc<AtomicBool>) -> Vec<Op> {
    let mut rng = plan::client_rng(seed);
    let mut ops: Vec<Op> = Vec::new();
    let mut target = 0usize;
    let mut n = 0u32;
    let mut conferences: Vec<String> = Vec::new(); // numeric IDs of acknowledged conferences
    let mut participants = 0;
    while !stop.load(Ordering::SeqCst) && n < 5_000 {
        n += 1;
        let node = if rng.gen_bool(0.1) { 1 - target } else { target };
        let pick = rng.gen_range(0..100);
        let (kind, name) = match pick {
            0..=49 => (Kind::Conference, format!("c{n}")),
            50..=74 if !conferences.is_empty() && participants < 50 => (Kind::Participant, format!("p{n}")),
            50..=89 => (Kind::Reservation, format!("r{n}")),
            _ => (Kind::Qos, format!("q{n}")),
        };
        let numeric = format!("{}", 10_000 + n);
        let conf_id = if conferences.is_empty() { String::new() } else { conferences[rng.gen_range(0..conferences.len())].clone() };
        let addr = format!("10.9.{}.{}", n / 250, n % 250 + 1);
        let (audio, video) = (rng.gen_range(0..=5u8).to_string(), rng.gen_range(0..=5u8).to_string());
        let (f, form): (&str, Vec<(&str, &str)>) = match kind {
            Kind::Conference => ("add_conference", vec![("name", &name), ("numeric_id", &numeric)]),
            Kind::Participant => ("simulate_dial_in", vec![("numeric_id", &conf_id), ("name", &name), ("address", &addr), ("protocol", "h323")]),
            Kind::Reservation => (
                "save_reservation",
                vec![("id", ""), ("name", &name), ("numeric_id", &numeric), ("profile_id", &profile_id), ("start", "2031-01-01T10:00"),
                    ("duration", "1:00"), ("recurrence", "none"), ("participants", "")],
            ),
            Kind::Qos => ("set_qos", vec![("kind", "precedence"), ("audio", &audio), ("video", &video)]),
        };
        let sent_ms = clock.ms();
        let reply = nodes[node].api_within(f, &form, Duration::from_secs(3)).await;
        let acked_ms = clock.ms();
        let ack = match &reply {
            Ok(r) if r.ok() => r.epoch.map(|e| (e, r.mirrored.unwrap_or(false))),
            _ => None,
        };
        if ack.is_some() {
            target = node;
            if kind == Kind::Conference {
                conferences.push(numeric.clone());
            }
            if kind == Kind::Participant {
                participants += 1;
            }
        } else if node == target && !matches!(&reply, Ok(r) if r.status == 404 || r.status == 422) {
            target = 1 - target; // refused as Slave, or no answer: try the other one
        }
        ops.push(Op { kind, name, node, sent_ms, acked_ms, ack });
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
    ops
}

/// Samples both MCUs' roles: two Masters for long while the link is up is a violation.
async fn monitor(nodes: [Node; 2], t: Timings, clock: Arc<Clock>, timeline: Arc<Mutex<Timeline>>, stop: Arc<AtomicBool>) -> Vec<String> {
    let limit = u64::from(t.detection_ms) * 4;
    let mut both_since: Option<u64> = None;
    let mut violations = Vec::new();
    let mut samples = 0;
    while !stop.load(Ordering::SeqCst) && samples < 10_000 {
        samples += 1;
        let (a, b) = tokio::join!(nodes[0].health(), nodes[1].health());
        let now = clock.ms();
        let role_sync = |h: &Option<serde_json::Value>| {
            h.as_ref().map(|h| (h["role"].as_str().unwrap_or_default().to_string(), h["sync_status"].as_str().unwrap_or_default().to_string()))
        };
        let cut_recently = {
            let mut tl = timeline.lock().unwrap_or_else(|p| p.into_inner());
            tl.samples.push((now, [role_sync(&a), role_sync(&b)]));
            tl.partitions.iter().any(|&(s, e)| s <= now && (e == u64::MAX || now < e + limit))
        };
        let both = a.as_ref().is_some_and(|h| h["role"] == "master") && b.as_ref().is_some_and(|h| h["role"] == "master");
        if both && !cut_recently {
            let since = *both_since.get_or_insert(now);
            if now - since > limit && violations.is_empty() {
                violations.push(format!("both MCUs acted as Master for over {limit} ms with the link up (from {since} ms)"));
            }
        } else {
            both_since = None;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    violations
}

/// Waits until one Master and one Slave are in sync with equal digests; returns the
/// Master's index, or what was seen.
async fn converge(nodes: &[Node; 2], limit: Duration) -> (Option<usize>, String) {
    let t0 = Instant::now();
    let mut seen = String::new();
    while t0.elapsed() < limit {
        let (a, b) = tokio::join!(nodes[0].health(), nodes[1].health());
        if let (Some(a), Some(b)) = (&a, &b) {
            let ok = a["sync_status"] == "ok" && b["sync_status"] == "ok" && a["digest"] == b["digest"] && a["seq"] == b["seq"];
            let roles = (a["role"].as_str(), b["role"].as_str());
            if ok && roles == (Some("master"), Some("slave")) {
                return (Some(0), String::new());
            }
            if ok && roles == (Some("slave"), Some("master")) {
                return (Some(1), String::new());
            }
        }
        seen = format!("A: {a:?} B: {b:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (None, seen)
}

/// Names of what the final Master holds.
async fn final_state(m: &Node, ops: &[Op]) -> Result<HashSet<String>> {
    let mut names = HashSet::new();
    let rows: serde_json::Value = serde_json::from_str(&m.api("list_conferences", &[]).await?.body)?;
    let wanted_participants = ops.iter().any(|o| o.kind == Kind::Participant && o.ack.is_some());
    for row in rows.as_array().context("conference list")? {
        let c = &row["conference"];
        names.insert(c["name"].as_str().unwrap_or_default().to_string());
        if wanted_participants && row["participants"].as_u64().unwrap_or(0) > 0 {
            let id = c["id"].as_str().unwrap_or_default();
            let detail: serde_json::Value = serde_json::from_str(&m.api("get_conference", &[("id", id)]).await?.body)?;
            for p in detail["participants"].as_array().into_iter().flatten() {
                names.insert(p["name"].as_str().unwrap_or_default().to_string());
            }
        }
    }
    let res: serde_json::Value = serde_json::from_str(&m.api("get_reservations", &[]).await?.body)?;
    for r in res["reservations"].as_array().into_iter().flatten() {
        names.insert(r["name"].as_str().unwrap_or_default().to_string());
    }
    Ok(names)
}

/// The text of every diverged-changes export in `dirs`, with each file's time (ms).
fn exports(dirs: &[PathBuf]) -> Vec<(PathBuf, String)> {
    dirs.iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("hot-backup-diverged-")))
        .filter_map(|p| std::fs::read_to_string(&p).ok().map(|s| (p, s)))
        .collect()
}

async fn check(m: &Node, ops: &[Op], dirs: &[PathBuf], t: Timings, timeline: &Mutex<Timeline>, out: &mut Outcome) -> Result<()> {
    let present = final_state(m, ops).await?;
    let exported = exports(dirs);
    let acked: Vec<&Op> = ops.iter().filter(|o| o.ack.is_some()).collect();
    out.acked = acked.len();
    for o in acked.iter().filter(|o| o.kind != Kind::Qos) {
        let Some((epoch, said_mirrored)) = o.ack else { continue };
        // The promise holds for a change made while the Slave was in sync. That is judged
        // from outside too, not only from the Master's own word: it showed "in sync" just
        // before the change was sent and answered well within the detection time (a Master
        // that lost its Slave mid-change waits the detection time before carrying on alone).
        let quick = o.acked_ms.saturating_sub(o.sent_ms) < u64::from(t.detection_ms) / 2;
        let mirrored = said_mirrored || (quick && timeline.lock().unwrap_or_else(|p| p.into_inner()).master_in_sync(o.node, o.sent_ms));
        if mirrored {
            out.mirrored += 1;
        }
        if present.contains(&o.name) {
            continue;
        }
        let quoted = format!("\"{}\"", o.name);
        if exported.iter().any(|(_, text)| text.contains(&quoted)) {
            out.exported += 1;
            if mirrored {
                out.lost += 1;
                out.violations.push(format!(
                    "{} was acknowledged while the Slave was in sync (node {}, epoch {epoch}, at {} ms) but is not on the final Master (only exported)",
                    o.name, o.node, o.acked_ms
                ));
            }
            continue;
        }
        out.lost += 1;
        out.violations.push(format!(
            "{} was acknowledged (node {}, epoch {epoch}, mirrored {mirrored}, at {} ms) and is neither on the final Master nor exported",
            o.name, o.node, o.acked_ms
        ));
    }
    // Two Masters acknowledging while linked: an older epoch acknowledged a change sent
    // after the other MCU had acknowledged one with a newer epoch, with no partition between.
    // A Master learns that the link is back at its next probe: a heartbeat (twice, for
    // scheduling on a busy machine) after the heal still counts as cut.
    let grace = 2 * u64::from(t.heartbeat_ms);
    let partitions = timeline.lock().unwrap_or_else(|p| p.into_inner()).partitions.clone();
    let cut_between = |from: u64, to: u64| partitions.iter().any(|&(s, e)| s <= to && from <= e.saturating_add(grace));
    'outer: for a in &acked {
        for b in &acked {
            if let (Some((ea, _)), Some((eb, _))) = (a.ack, b.ack) {
                if a.node != b.node && eb > ea && b.acked_ms < a.sent_ms && !cut_between(b.acked_ms, a.acked_ms) {
                    out.violations.push(format!(
                        "two Masters with the link up: {} acknowledged {} with epoch {ea} at {} ms after {} had acknowledged {} with epoch {eb} at {} ms",
                        a.node, a.name, a.acked_ms, b.node, b.name, b.acked_ms
                    ));
                    break 'outer;
                }
            }
        }
    }
    // Every export was alarmed on the MCU that made it (the event names the file).
    for (path, _) in &exported {
        let file = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let log = dirs.iter().map(|d| std::fs::read_to_string(d.join("stderr.log")).unwrap_or_default()).collect::<String>();
        if !log.contains(&file) {
            out.violations.push(format!("{file} was written without an alarm naming it"));
        }
    }
    Ok(())
}
