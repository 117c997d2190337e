//! `bench`: measures the pair on this machine and prints our figures beside the original
//! product's (sync every 3 s, 10 s failure detection); writes `target/bench/results.json`.
//! Every loop is bounded; nothing but loopback is touched.

#![forbid(unsafe_code)]

use anyhow::{bail, Context, Result};
use clap::Parser;
use domain::store::{new_id, now_ms, Store};
use domain::{Change, Conference, Direction, Participant, ParticipantState, Protocol, Record, Recurrence, Reservation};
use faults::cluster::{Mcu, Node};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(about = "Benchmarks of the Hot Backup pair (loopback only)")]
struct Args {
    /// The MCU server binary (default: `server` next to this program).
    #[arg(long)]
    server: Option<PathBuf>,
    /// The shipped WASM (gzip size).
    #[arg(long, default_value = "target/site/pkg")]
    wasm: PathBuf,
    #[arg(long, default_value = "target/bench/results.json")]
    out: PathBuf,
    /// Failover runs (each: kill -9 the Master, time until the Slave acknowledges as Master).
    #[arg(long, default_value_t = 20)]
    failovers: usize,
    #[arg(long, default_value_t = 100)]
    heartbeat_ms: u32,
    #[arg(long, default_value_t = 800)]
    detection_ms: u32,
    /// Minutes of the soak: a paired run with default settings, both MCUs under full CPU
    /// load from other processes, a change a second; counts failovers (0 = skip).
    #[arg(long, default_value_t = 10)]
    soak_minutes: u64,
    /// Only the throughput load, for this many seconds, on a fresh pair whose process ids
    /// are printed first (to attach a profiler); then exit. 0 = the whole bench.
    #[arg(long, default_value_t = 0)]
    load_only_s: u64,
    /// Only the server-rendered list under 50 clients, for this many seconds, on a fresh pair
    /// whose process ids are printed first (to attach a profiler); then exit.
    #[arg(long, default_value_t = 0)]
    ssr_only_s: u64,
    /// Clients of the throughput load.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Seconds of each storm against a paired Master with 100,000 audit entries: 100
    /// parallel exports by an Auditor, then page loads by 100 logged-in sessions.
    #[arg(long, default_value_t = 60)]
    storm_s: u64,
    /// Only the two storms, then exit.
    #[arg(long)]
    storms_only: bool,
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let i = ((p / 100.0) * (v.len() as f64 - 1.0)).round() as usize;
    v[i.min(v.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn pair(bin: &Path, a: &Path, b: &Path, args: &Args) -> Result<(Mcu, Mcu)> {
    let m = Mcu::start_with(bin, "BENCH-A", a, "1.0.0", &["--model", "CS 1800"]).await?;
    let s = Mcu::start_with(bin, "BENCH-B", b, "1.0.0", &["--model", "CS 1800"]).await?;
    enable(&m, &s, args).await?;
    Ok((m, s))
}

async fn enable(m: &Mcu, s: &Mcu, args: &Args) -> Result<Duration> {
    let r = s.enable_at("slave", &m.addr(), args.heartbeat_ms, args.detection_ms).await?;
    if !r.ok() {
        bail!("enable Slave: {}", r.body);
    }
    let t0 = Instant::now();
    let r = m.enable_at("master", &s.addr(), args.heartbeat_ms, args.detection_ms).await?;
    if !r.ok() {
        bail!("enable Master: {}", r.body);
    }
    in_sync(m, s, Duration::from_secs(120)).await?;
    Ok(t0.elapsed())
}

/// Waits until `m` is Master and `s` Slave, in sync at the same position.
async fn in_sync(m: &Node, s: &Node, limit: Duration) -> Result<()> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if let (Some(a), Some(b)) = tokio::join!(m.health(), s.health()) {
            if a["role"] == "master" && b["role"] == "slave" && b["sync_status"] == "ok" && a["seq"] == b["seq"] && a["digest"] == b["digest"] {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    bail!("{} and {} did not get in sync within {limit:?}", m.name, s.name)
}

/// Fills a data folder (before its MCU starts) with `n` conferences of `per` participants
/// each and `n` reservations, through the store's own write path.
fn preload(dir: &Path, n: usize, per: usize) -> Result<()> {
    let store = Store::open(dir)?;
    for i in 0..n {
        let c = Conference {
            id: new_id(),
            name: format!("Bench {i:04}"),
            numeric_id: format!("{}", 100_000 + i),
            profile_id: String::new(),
            start_ms: now_ms(),
            end_ms: None,
            source_id: None,
            locked: false,
            auto_extended: 0,
            owner: String::new(),
            chairperson_password: String::new(),
            conference_password: String::new(),
            entry_queue: false, recording: Default::default(),
        };
        let cid = c.id.clone();
        store.apply(Change::Put { record: Record::Conference(c) })?;
        for j in 0..per {
            let p = Participant {
                id: new_id(),
                conference_id: cid.clone(),
                name: format!("Site {i:04}-{j:02}"),
                address: format!("10.{}.{}.{}", i / 250, i % 250, j + 1),
                protocol: Protocol::H323,
                direction: Direction::DialOut,
                state: ParticipantState::Disconnected,
                audio_muted: false,
                video_muted: false,
                chairperson: false,
                disconnect_cause: None,
                ivr_path: Vec::new(),
                home_conference_id: None,
                stamps: Default::default(),
            };
            store.apply(Change::Put { record: Record::Participant(p) })?;
        }
        let r = Reservation {
            id: new_id(),
            name: format!("Reserved {i:04}"),
            numeric_id: format!("{}", 300_000 + i),
            profile_id: String::new(),
            start_ms: now_ms() + 30 * 86_400_000,
            duration_min: 60,
            recurrence: Recurrence::None,
            participants: Vec::new(),
        };
        store.apply(Change::Put { record: Record::Reservation(r) })?;
    }
    Ok(())
}

struct Row {
    what: &'static str,
    ours: f64,
    unit: &'static str,
    original: Option<f64>,
    goal: &'static str,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let bin = faults::server_binary(args.server.clone())?;
    let tmp = tempfile::tempdir()?;
    let dir = |n: &str| -> Result<PathBuf> {
        let d = tmp.path().join(n);
        std::fs::create_dir_all(&d)?;
        Ok(d)
    };
    println!("bench: server {}, heartbeat {} ms, detection {} ms", bin.display(), args.heartbeat_ms, args.detection_ms);

    if args.storms_only {
        let (exports, pages) = storms(&bin, &dir("ea")?, &dir("eb")?, Duration::from_secs(args.storm_s.min(600))).await?;
        println!("  export storm: {exports:?}");
        println!("  page storm: {pages:?}");
        return Ok(());
    }

    // 1. SSR, replication lag and throughput on a fresh pair.
    let (m, s) = pair(&bin, &dir("a")?, &dir("b")?, &args).await?;
    if args.load_only_s > 0 {
        println!("  master pid {:?}, slave pid {:?}", m.pid(), s.pid());
        let (done, secs) = mutations(&m, args.clients, Duration::from_secs(args.load_only_s.min(600))).await;
        println!("  mutations: {done} in {secs:.1} s = {:.0}/s with {} clients", done as f64 / secs, args.clients);
        return Ok(());
    }
    // SSR: the server-rendered conference list of a busy MCU (20 ongoing conferences)
    // under 50 concurrent clients.
    for i in 0..20 {
        m.api("add_conference", &[("name", &format!("Ongoing {i}")), ("numeric_id", &format!("{}", 30_000 + i))]).await?;
    }
    // 50 Operators, each logged in from a desk of their own.
    let r = m.api("add_user", &[("name", "viewer"), ("password", "viewer-pass-1"), ("role", "operator")]).await?;
    if !r.ok() {
        bail!("add the Operator: {}", r.body);
    }
    let desks = own_sessions(&m, "viewer", "viewer-pass-1", 50, 32).await?;
    let ssr_s = if args.ssr_only_s > 0 { args.ssr_only_s.min(600) } else { 10 };
    if args.ssr_only_s > 0 {
        println!("  master pid {:?}, slave pid {:?}", m.pid(), s.pid());
    }
    let (mut ssr_ms, ssr_secs) = ssr_latencies(&m, &desks, Duration::from_secs(ssr_s)).await;
    let ssr_pages_per_s = ssr_ms.len() as f64 / ssr_secs;
    let healthz_per_s = healthz_per_s(&m, 50, Duration::from_secs(5)).await?;
    println!(
        "  ssr: {} pages in {ssr_secs:.1} s on 50 sessions ({ssr_pages_per_s:.0}/s), p50 {:.1} ms, p99 {:.1} ms; /healthz {healthz_per_s:.0}/s",
        ssr_ms.len(),
        percentile(&mut ssr_ms, 50.0),
        percentile(&mut ssr_ms, 99.0)
    );
    if args.ssr_only_s > 0 {
        return Ok(());
    }
    // The same list, cold, on a throttled phone in Chromium (5 loads).
    let (mut phone_tti, mut phone_wire) = phone_loads(&m.url(""), 5);
    println!("  phone cold loads: {phone_tti:?} ms, {phone_wire:?} KB");
    let mut lag = Vec::new();
    for i in 0..500 {
        let r = m.api("add_conference", &[("name", &format!("Lag {i}")), ("numeric_id", &format!("{}", 20_000 + i))]).await?;
        if let Some(us) = r.replication_us {
            lag.push(us as f64 / 1000.0);
        }
    }
    println!("  replication lag: {} changes", lag.len());
    // Mutations per second: 16 clients starting conferences for 5 s, Hot Backup on.
    let (done, secs) = mutations(&m, args.clients, Duration::from_secs(5)).await;
    let mutations_per_s = done as f64 / secs;
    println!("  mutations: {done} in {secs:.1} s");
    // The same at saturation: 64 clients (group commit gathers more per disk sync).
    let (done64, secs64) = mutations(&m, 64, Duration::from_secs(5)).await;
    let mutations_per_s_64 = done64 as f64 / secs64;
    println!("  mutations, 64 clients: {done64} in {secs64:.1} s");
    drop((m, s));

    // 2. A fresh Slave catching up 1,000 conferences, 10,000 participants, 1,000 reservations.
    let big = dir("big")?;
    let t0 = Instant::now();
    preload(&big, 1000, 10)?;
    println!("  preloaded 12,000 records in {:.1} s", t0.elapsed().as_secs_f64());
    let m = Mcu::start_with(&bin, "BENCH-C", &big, "1.0.0", &["--model", "CS 1800"]).await?;
    let rss_mb_10k = m.rss_mb().unwrap_or(f64::NAN);
    let fresh = Mcu::start_with(&bin, "BENCH-D", &dir("d")?, "1.0.0", &["--model", "CS 1800"]).await?;
    let resync = enable(&m, &fresh, &args).await.context("resync")?;
    let rss_after = m.rss_mb().unwrap_or(f64::NAN);
    println!("  resync {:.2} s; Master RSS {rss_mb_10k:.0} MB idle, {rss_after:.0} MB after serving the snapshot", resync.as_secs_f64());
    drop((m, fresh));

    // 3. Failover and rejoin, again and again on one pair: kill -9 the Master, time until
    // the Slave acknowledges a change as Master; restart the old one, time until it is an
    // in-sync Slave.
    let (m, s) = pair(&bin, &dir("fa")?, &dir("fb")?, &args).await?;
    let (failover, rejoin) = kill_runs([m, s], args.failovers, "Failover", 40_000).await?;

    // 3b. Crash failover with the product's default settings (heartbeat 200 ms, detection
    // 1000 ms): kill -9 leaves the host up, so the Slave's connection is refused.
    let defaults = Args { heartbeat_ms: 200, detection_ms: 1000, ..Args::parse_from(["bench"]) };
    let (m, s) = pair(&bin, &dir("ca")?, &dir("cb")?, &defaults).await?;
    let (crash, _) = kill_runs([m, s], args.failovers, "Crash", 50_000).await?;
    println!("  crash failover (default settings): {} runs", crash.len());

    // 3c. Soak: no failover may happen on a healthy pair whose host is busy.
    let spurious = if args.soak_minutes > 0 {
        let defaults = Args { heartbeat_ms: 200, detection_ms: 1000, ..Args::parse_from(["bench"]) };
        let (m, s) = pair(&bin, &dir("sa")?, &dir("sb")?, &defaults).await?;
        let n = soak(&m, &s, Duration::from_secs(args.soak_minutes * 60)).await?;
        println!("  soak: {} min under full CPU load, {n} spurious failover(s)", args.soak_minutes);
        f64::from(n)
    } else {
        f64::NAN
    };

    // 4. A login flood against a paired Master: 1,000 wrong logins in bursts of 100 (no
    // login needed to send them). Memory, /healthz, and no failover.
    let (m, s) = pair(&bin, &dir("la")?, &dir("lb")?, &args).await?;
    // A failover (or a step-down) moves the epoch on: compare it before and after.
    let epoch_before = m.health().await.map(|h| h["epoch"].clone());
    let rss_idle = m.rss_mb().unwrap_or(f64::NAN);
    let flood = faults::flood::login_flood(&m.node, || m.rss_mb(), 10, 100).await?;
    let (a, b) = tokio::join!(m.health(), s.health());
    let stayed = a.as_ref().is_some_and(|h| h["role"] == "master" && Some(h["epoch"].clone()) == epoch_before)
        && b.is_some_and(|h| h["role"] == "slave" && h["sync_status"] == "ok");
    let failovers_under_flood = if stayed { 0.0 } else { 1.0 };
    println!(
        "  login flood: {:?}; Master RSS {rss_idle:.0} → peak {:.0} MB; /healthz p99 {:.1} ms ({} samples); roles kept: {stayed}",
        flood.statuses, flood.peak_rss_mb, flood.health_p99_ms, flood.health_samples
    );
    drop((m, s));

    // 5. Storms by logged-in users against a paired Master with 100,000 audit entries.
    let (exports, pages) = storms(&bin, &dir("ea")?, &dir("eb")?, Duration::from_secs(args.storm_s.min(600))).await?;
    println!("  export storm: {exports:?}");
    println!("  page storm: {pages:?}");

    let wasm_gzip_kb = wasm_gzip_kb(&args.wasm);
    let results = [
        ("failover_p50_ms", percentile(&mut failover.clone(), 50.0)),
        ("failover_p99_ms", percentile(&mut failover.clone(), 99.0)),
        ("failover_runs", failover.len() as f64),
        ("crash_failover_p50_ms", percentile(&mut crash.clone(), 50.0)),
        ("crash_failover_p99_ms", percentile(&mut crash.clone(), 99.0)),
        ("spurious_failovers_soak", spurious),
        ("rejoin_p99_ms", percentile(&mut rejoin.clone(), 99.0)),
        ("repl_lag_p50_ms", percentile(&mut lag.clone(), 50.0)),
        ("repl_lag_p99_ms", percentile(&mut lag.clone(), 99.0)),
        ("resync_s", resync.as_secs_f64()),
        ("mutations_per_s", mutations_per_s),
        ("mutations_per_s_64_clients", mutations_per_s_64),
        ("ssr_pages_per_s", ssr_pages_per_s),
        ("ssr_p50_ms", percentile(&mut ssr_ms, 50.0)),
        ("ssr_p99_ms", percentile(&mut ssr_ms, 99.0)),
        ("healthz_per_s", healthz_per_s),
        ("phone_tti_ms", percentile(&mut phone_tti, 50.0)),
        ("wire_kb_cold", percentile(&mut phone_wire, 50.0)),
        ("wasm_gzip_kb", wasm_gzip_kb),
        ("rss_mb_10k", rss_mb_10k),
        ("rss_mb_login_flood", flood.peak_rss_mb),
        ("healthz_p99_ms_login_flood", flood.health_p99_ms),
        ("failovers_login_flood", failovers_under_flood),
        ("failovers_export_storm", f64::from(exports.failovers)),
        ("healthz_p99_ms_export_storm", exports.healthz_p99_ms),
        ("exports_per_s_export_storm", exports.answered_per_s),
        ("failovers_page_storm", f64::from(pages.failovers)),
        ("healthz_p99_ms_page_storm", pages.healthz_p99_ms),
        ("pages_per_s_page_storm", pages.answered_per_s),
    ];
    let get = |k: &str| results.iter().find(|(n, _)| *n == k).map(|(_, v)| *v).unwrap_or(f64::NAN);
    let rows = [
        Row { what: "failover p50 (kill -9 → new Master acks)", ours: get("failover_p50_ms"), unit: "ms", original: Some(10_000.0), goal: "" },
        Row { what: "failover p99", ours: get("failover_p99_ms"), unit: "ms", original: Some(10_000.0), goal: "≤ 1500" },
        Row { what: "crash failover p99, default settings", ours: get("crash_failover_p99_ms"), unit: "ms", original: Some(10_000.0), goal: "≤ 300" },
        Row { what: "spurious failovers, soak under full CPU load", ours: get("spurious_failovers_soak"), unit: "", original: None, goal: "0" },
        Row { what: "rejoin p99 (restart → in-sync Slave)", ours: get("rejoin_p99_ms"), unit: "ms", original: Some(10_000.0), goal: "" },
        Row { what: "replication lag p50 (ack → on Slave disk)", ours: get("repl_lag_p50_ms"), unit: "ms", original: Some(1_500.0), goal: "" },
        Row { what: "replication lag p99", ours: get("repl_lag_p99_ms"), unit: "ms", original: Some(2_970.0), goal: "≤ 20" },
        Row { what: "resync 1k conf + 10k part + 1k res", ours: get("resync_s"), unit: "s", original: Some(3.0), goal: "≤ 2" },
        Row { what: "mutations/s, Hot Backup on, 16 clients", ours: get("mutations_per_s"), unit: "/s", original: None, goal: "≥ 5000" },
        Row { what: "mutations/s, Hot Backup on, 64 clients", ours: get("mutations_per_s_64_clients"), unit: "/s", original: None, goal: "≥ 5000" },
        Row { what: "SSR list of 20 conf., 50 sessions: pages/s", ours: get("ssr_pages_per_s"), unit: "/s", original: None, goal: "≥ 4000" },
        Row { what: "SSR list of 20 conf., 50 sessions: p99", ours: get("ssr_p99_ms"), unit: "ms", original: None, goal: "≤ 50" },
        Row { what: "/healthz answered, 50 clients", ours: get("healthz_per_s"), unit: "/s", original: None, goal: "" },
        Row { what: "WASM gzip", ours: get("wasm_gzip_kb"), unit: "KB", original: None, goal: "≤ 300" },
        Row { what: "phone: cold list until hydrated (median of 5)", ours: get("phone_tti_ms"), unit: "ms", original: None, goal: "≤ 3000" },
        Row { what: "phone: bytes of one cold load", ours: get("wire_kb_cold"), unit: "KB", original: None, goal: "" },
        Row { what: "Master RSS with 10k participants", ours: get("rss_mb_10k"), unit: "MB", original: None, goal: "≤ 100" },
        Row { what: "Master RSS, 1,000 wrong logins (bursts of 100)", ours: get("rss_mb_login_flood"), unit: "MB", original: None, goal: "≤ 150" },
        Row { what: "/healthz p99 during that flood", ours: get("healthz_p99_ms_login_flood"), unit: "ms", original: None, goal: "≤ 100" },
        Row { what: "failovers during that flood", ours: get("failovers_login_flood"), unit: "", original: None, goal: "0" },
        Row { what: "failovers, 100 parallel exports (100k audit)", ours: get("failovers_export_storm"), unit: "", original: None, goal: "0" },
        Row { what: "/healthz p99 during that export storm", ours: get("healthz_p99_ms_export_storm"), unit: "ms", original: None, goal: "≤ 100" },
        Row { what: "failovers, page loads by 100 sessions", ours: get("failovers_page_storm"), unit: "", original: None, goal: "0" },
        Row { what: "/healthz p99 during that page storm", ours: get("healthz_p99_ms_page_storm"), unit: "ms", original: None, goal: "≤ 100" },
    ];
    println!();
    println!("{:<44} {:>10} {:>12} {:>9} {:>8}", "measure", "ours", "original", "ratio", "goal");
    for r in &rows {
        let (orig, ratio) = match r.original {
            Some(o) => (format!("{o:.0} {}", r.unit), format!("{:.0}×", o / r.ours.max(0.001))),
            None => ("—".to_string(), "—".to_string()),
        };
        println!("{:<44} {:>7.1} {:<2} {:>12} {:>9} {:>8}", r.what, r.ours, r.unit, orig, ratio, r.goal);
    }
    println!("(original: keep-alive every 2 s, sync every 3 s — a change waits 1.5 s on average and up to 3 s — and 10 s failure detection)");
    let json: serde_json::Map<String, serde_json::Value> = results
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Number::from_f64((v * 100.0).round() / 100.0).map(serde_json::Value::Number).unwrap_or(serde_json::Value::Null)))
        .collect();
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&args.out, serde_json::to_string_pretty(&json)?)?;
    println!("bench: wrote {}", args.out.display());
    Ok(())
}

/// Runs the pair for `for_` while one busy-looping process per core loads the host and a
/// client makes a change a second; returns how many times the epoch moved on (a failover
/// or a step-down: none may happen on a healthy pair).
async fn soak(m: &Mcu, s: &Mcu, for_: Duration) -> Result<u32> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let mut burners = Vec::new();
    for _ in 0..cores {
        burners.push(std::process::Command::new("sh").args(["-c", "while :; do :; done"]).spawn().context("CPU load")?);
    }
    let epoch = |h: Option<serde_json::Value>| h.and_then(|h| h["epoch"].as_u64());
    let start_epoch = epoch(m.health().await);
    let mut moves = 0u32;
    let mut last = start_epoch;
    let t0 = Instant::now();
    let mut i = 0u64;
    while t0.elapsed() < for_ && i < 100_000 {
        i += 1;
        let name = format!("Soak {i}");
        let _ = m.api_within("add_conference", &[("name", &name), ("numeric_id", &format!("{}", 600_000 + i))], Duration::from_secs(5)).await;
        let (a, b) = tokio::join!(m.health(), s.health());
        let now = epoch(a.clone()).max(epoch(b.clone()));
        if now.is_some() && now != last {
            moves += 1;
            last = now;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    for mut b in burners {
        let _ = b.kill();
        let _ = b.wait();
    }
    Ok(moves)
}

/// Failover and rejoin, again and again on one pair: kill -9 the Master, time until the
/// Slave acknowledges a change as Master; restart the old one, time until it is an in-sync
/// Slave. Returns (failover ms, rejoin ms) per run.
async fn kill_runs(mut nodes: [Mcu; 2], runs: usize, name: &str, numeric_base: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    let (mut failover, mut rejoin) = (Vec::new(), Vec::new());
    let mut master = 0usize;
    for run in 0..runs {
        let slave = 1 - master;
        nodes[master].kill9();
        let t0 = Instant::now();
        let mut ok = false;
        while t0.elapsed() < Duration::from_secs(30) {
            let (conf, numeric) = (format!("{name} {run}"), format!("{}", numeric_base + run));
            let r = nodes[slave].api_within("add_conference", &[("name", &conf), ("numeric_id", &numeric)], Duration::from_secs(5)).await;
            if r.is_ok_and(|r| r.ok()) {
                ok = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        if !ok {
            bail!("{name} run {run}: no failover within 30 s");
        }
        failover.push(ms(t0.elapsed()));
        let t1 = Instant::now();
        nodes[master].spawn().await?;
        in_sync(&nodes[slave].node, &nodes[master].node, Duration::from_secs(30)).await?;
        rejoin.push(ms(t1.elapsed()));
        master = slave;
    }
    Ok((failover, rejoin))
}

/// `n` logged-in sessions of their own, each from its own loopback address (127.0.`net`.x)
/// with its own HTTP client: as `n` operators at their desks, not one tab shared.
async fn own_sessions(m: &Node, user: &str, password: &str, n: usize, net: u8) -> Result<Vec<(reqwest::Client, String)>> {
    let mut out = Vec::new();
    for i in 0..n.min(250) {
        let http = faults::flood::client_from(&format!("127.0.{net}.{}", 1 + i))?;
        let r = faults::flood::login(&http, m, user, password).await?;
        let set = r.headers().get("set-cookie").and_then(|v| v.to_str().ok()).context("no session cookie")?;
        let cookie = set.split(';').next().unwrap_or_default().to_string();
        out.push((http, cookie));
    }
    Ok(out)
}

/// Each session loading the server-rendered conference list, one after the other, for
/// `for_`: every answer rendered for its own session (none shared, none reused). Returns the
/// latencies of the complete, correct pages and the seconds it ran.
async fn ssr_latencies(m: &Node, sessions: &[(reqwest::Client, String)], for_: Duration) -> (Vec<f64>, f64) {
    let t0 = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for (http, cookie) in sessions {
        let (http, cookie, url) = (http.clone(), cookie.clone(), m.url("/conferences"));
        set.spawn(async move {
            let mut v = Vec::new();
            while t0.elapsed() < for_ && v.len() < 100_000 {
                let t = Instant::now();
                let r = http.get(&url).header("Cookie", &cookie).timeout(Duration::from_secs(20)).send().await;
                let Ok(r) = r else { continue };
                if r.status().is_success() && r.text().await.is_ok_and(|body| body.contains("Ongoing 19")) {
                    v.push(ms(t.elapsed()));
                }
            }
            v
        });
    }
    let mut all = Vec::new();
    while let Some(Ok(v)) = set.join_next().await {
        all.extend(v);
    }
    (all, t0.elapsed().as_secs_f64())
}

/// `/healthz` answered per second to `clients` clients (each from its own address) for `for_`.
async fn healthz_per_s(m: &Node, clients: usize, for_: Duration) -> Result<f64> {
    let t0 = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..clients.min(250) {
        let http = faults::flood::client_from(&format!("127.0.33.{}", 1 + i))?;
        let url = m.url("/healthz");
        set.spawn(async move {
            let mut n = 0usize;
            while t0.elapsed() < for_ && n < 10_000_000 {
                if let Ok(r) = http.get(&url).timeout(Duration::from_secs(5)).send().await {
                    if r.status().is_success() && r.bytes().await.is_ok() {
                        n += 1;
                    }
                }
            }
            n
        });
    }
    let mut total = 0;
    while let Some(Ok(n)) = set.join_next().await {
        total += n;
    }
    Ok(total as f64 / t0.elapsed().as_secs_f64())
}

/// `clients` clients starting conferences for `for_`; returns (acknowledged, seconds).
async fn mutations(m: &Node, clients: usize, for_: Duration) -> (usize, f64) {
    let t0 = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for c in 0..clients {
        let n = m.clone();
        set.spawn(async move {
            let mut done = 0usize;
            let mut i = 0;
            while t0.elapsed() < for_ && i < 1_000_000 {
                i += 1;
                let (name, numeric) = (format!("Load {c}-{i}"), format!("{}", 1_000_000 + c * 100_000 + i));
                if n.api("add_conference", &[("name", &name), ("numeric_id", &numeric)]).await.is_ok_and(|r| r.ok()) {
                    done += 1;
                }
            }
            done
        });
    }
    let mut total = 0;
    while let Some(Ok(d)) = set.join_next().await {
        total += d;
    }
    (total, t0.elapsed().as_secs_f64())
}

/// Cold loads of the conference list on a throttled phone (`end2end/bench/phone-tti.mjs`,
/// Chromium with Lighthouse's mobile settings): (until hydrated in ms, wire KB) per load;
/// empty when Node or Chromium is missing (the figures then print as NaN).
fn phone_loads(base: &str, runs: usize) -> (Vec<f64>, Vec<f64>) {
    let out = std::process::Command::new("node")
        .arg("end2end/bench/phone-tti.mjs")
        .arg(base.trim_end_matches('/'))
        .arg("admin")
        .arg(faults::cluster::PASSWORD)
        .arg(runs.to_string())
        .output();
    let Ok(out) = out else { return (Vec::new(), Vec::new()) };
    if !out.status.success() {
        eprintln!("  phone loads failed: {}", String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default());
        return (Vec::new(), Vec::new());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(v) = text.lines().rev().find_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()) else { return (Vec::new(), Vec::new()) };
    let nums = |k: &str, scale: f64| -> Vec<f64> {
        v[k].as_array().map(|a| a.iter().filter_map(|x| x.as_f64()).map(|x| x / scale).collect()).unwrap_or_default()
    };
    (nums("tti_ms", 1.0), nums("wire_bytes", 1024.0))
}

/// The WASM file itself, or (given the assets folder; names carry a build hash) the newest
/// main module in it (`mcu.<hash>.wasm`; the pages split off it load on demand).
fn wasm_file(path: &Path) -> PathBuf {
    if !path.is_dir() {
        return path.to_path_buf();
    }
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "wasm") && p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("mcu.")))
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .unwrap_or_else(|| path.to_path_buf())
}

fn wasm_gzip_kb(path: &Path) -> f64 {
    let path = wasm_file(path);
    let Ok(out) = std::process::Command::new("gzip").arg("-9").arg("-c").arg(&path).output() else { return f64::NAN };
    if !out.status.success() {
        return f64::NAN;
    }
    out.stdout.len() as f64 / 1024.0
}

/// What a storm did to the pair.
#[derive(Debug, Default)]
struct Storm {
    /// Times the epoch moved on (a takeover or a step-down): none may happen.
    failovers: u32,
    healthz_p99_ms: f64,
    healthz_max_ms: f64,
    /// Storm requests answered 200 per second, and the statuses seen.
    answered_per_s: f64,
    statuses: std::collections::BTreeMap<u16, usize>,
}

/// Writes `n` audit entries into a data folder before its MCU starts (one transaction).
fn preload_audit(dir: &Path, n: usize) -> Result<()> {
    drop(Store::open(dir)?);
    let mut db = rusqlite::Connection::open(dir.join("mcu.sqlite3"))?;
    let tx = db.transaction()?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO audit (at_ms, mcu, user, role, client, kind, summary, ok, seq) VALUES (?1, 'BENCH-A', ?2, 'operator', '10.0.0.9', ?3, ?4, 1, NULL)",
        )?;
        let now = now_ms();
        for i in 0..n {
            let kind = if i % 10 == 0 { "login" } else { "change" };
            let at = now - (n - i) as i64 * 1_000;
            insert.execute(rusqlite::params![at, format!("user{}", i % 50), kind, format!("Conference 'Bench {i}' saved")])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Runs `requests` (each loop makes one request a round, `GET path`) from `clients` tasks
/// for `for_` against the Master `m` while sampling its `/healthz` every 50 ms and watching
/// both MCUs' epochs.
async fn storm(m: &Mcu, s: &Mcu, cookies: &[String], paths: &[&str], for_: Duration) -> Result<Storm> {
    let epoch = |h: Option<serde_json::Value>| h.map(|h| h["epoch"].clone());
    let (before_m, before_s) = (epoch(m.health().await), epoch(s.health().await));
    let deadline = Instant::now() + for_;
    let http = reqwest::Client::builder().no_proxy().build()?;
    let clients = cookies.iter().enumerate().map(|(i, cookie)| {
        let (http, url, cookie) = (http.clone(), m.url(paths[i % paths.len()]), cookie.clone());
        async move {
            let mut seen: std::collections::BTreeMap<u16, usize> = Default::default();
            for _ in 0..1_000_000 {
                if Instant::now() >= deadline {
                    break;
                }
                let status = match http.get(&url).header("Cookie", &cookie).timeout(Duration::from_secs(30)).send().await {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let _ = r.bytes().await;
                        status
                    }
                    Err(_) => 0,
                };
                *seen.entry(status).or_default() += 1;
                if status == 429 {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
            seen
        }
    });
    let probe = async {
        let mut lat = Vec::new();
        let (mut m_roles, mut s_roles) = (Vec::new(), Vec::new());
        while Instant::now() < deadline {
            let t = Instant::now();
            let h = m.health().await;
            lat.push(if h.is_some() { ms(t.elapsed()) } else { 5_000.0 });
            m_roles.push(h.map(|h| h["role"].clone()));
            s_roles.push(s.health().await.map(|h| h["role"].clone()));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        (lat, m_roles, s_roles)
    };
    let (answers, (mut lat, _, s_roles)) = tokio::join!(faults::flood::join_all(clients), probe);
    let mut out = Storm::default();
    for a in answers {
        for (k, v) in a {
            *out.statuses.entry(k).or_default() += v;
        }
    }
    out.answered_per_s = *out.statuses.get(&200).unwrap_or(&0) as f64 / for_.as_secs_f64();
    out.healthz_p99_ms = percentile(&mut lat, 99.0);
    out.healthz_max_ms = lat.iter().copied().fold(0.0, f64::max);
    // Settle, then compare epochs: a takeover or a step-down moved one on.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (after_m, after_s) = (epoch(m.health().await), epoch(s.health().await));
    let slave_took_over = s_roles.iter().any(|r| r.as_ref().is_some_and(|r| r == "master"));
    out.failovers = u32::from(after_m != before_m || after_s != before_s || slave_took_over);
    Ok(out)
}

/// The export storm (an Auditor, 100 parallel downloads of the audit trail and the call
/// history) and the page storm (100 logged-in sessions loading pages), each for `for_`,
/// against a paired Master (default timings) holding 100,000 audit entries.
async fn storms(bin: &Path, a: &Path, b: &Path, for_: Duration) -> Result<(Storm, Storm)> {
    preload_audit(a, 100_000)?;
    let defaults = Args { heartbeat_ms: 200, detection_ms: 1000, ..Args::parse_from(["bench"]) };
    let (m, s) = pair(bin, a, b, &defaults).await?;
    let r = m.api("add_user", &[("name", "auditor"), ("password", "auditor-pass-1"), ("role", "auditor")]).await?;
    if !r.ok() {
        bail!("add the Auditor: {}", r.body);
    }
    let cookie_of = |r: reqwest::Response| -> Result<String> {
        let set = r.headers().get("set-cookie").and_then(|v| v.to_str().ok()).context("no session cookie")?;
        Ok(set.split(';').next().unwrap_or_default().to_string())
    };
    let http = faults::flood::client_from("127.0.0.1")?;
    let auditor = cookie_of(faults::flood::login(&http, &m.node, "auditor", "auditor-pass-1").await?)?;
    let exports = storm(&m, &s, &vec![auditor; 100], &["/api/audit.csv?user=&kind=&from=&to=&tz=0", "/api/history.csv?text=&from=&to=&tz=0"], for_).await?;
    // 100 sessions of their own (each logs in once, as an operator would in a tab).
    let r = m.api("add_user", &[("name", "viewer"), ("password", "viewer-pass-1"), ("role", "operator")]).await?;
    if !r.ok() {
        bail!("add the Operator: {}", r.body);
    }
    let mut sessions = Vec::new();
    for i in 0..100 {
        let from = format!("127.0.30.{}", 1 + i % 50);
        let r = faults::flood::login(&faults::flood::client_from(&from)?, &m.node, "viewer", "viewer-pass-1").await?;
        sessions.push(cookie_of(r)?);
    }
    let pages = storm(&m, &s, &sessions, &["/", "/profiles", "/history", "/meeting-rooms"], for_).await?;
    Ok((exports, pages))
}
