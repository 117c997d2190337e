//! `faults`: runs seeded fault schedules against a Hot Backup pair and checks the
//! invariants after each. The last line is
//! `faults: <schedules> schedules, <violations> violations, <lost> acknowledged changes lost`.

#![forbid(unsafe_code)]

use clap::Parser;
use faults::plan::Timings;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(about = "Seeded fault-injection suite for a Hot Backup pair (loopback only)")]
struct Args {
    /// How many schedules to run.
    #[arg(long, default_value_t = 200)]
    count: u64,
    /// Replay exactly this schedule (ignores --count).
    #[arg(long)]
    seed: Option<u64>,
    /// First seed of the run (default: from the clock; printed).
    #[arg(long)]
    base: Option<u64>,
    /// Schedules at once.
    #[arg(long, default_value_t = 3)]
    parallel: usize,
    /// The MCU server binary (default: `server` next to this program).
    #[arg(long)]
    server: Option<PathBuf>,
    #[arg(long, default_value_t = 100)]
    heartbeat_ms: u32,
    #[arg(long, default_value_t = 600)]
    detection_ms: u32,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bin = Arc::new(faults::server_binary(args.server.clone())?);
    let t = Timings { heartbeat_ms: args.heartbeat_ms, detection_ms: args.detection_ms };
    let seeds: Vec<u64> = match args.seed {
        Some(s) => vec![s],
        None => {
            let base = args.base.unwrap_or_else(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() % 1_000_000 * 1000).unwrap_or(0));
            println!("faults: {} schedules from seed {base}, {} at once, heartbeat {} ms, detection {} ms", args.count, args.parallel, t.heartbeat_ms, t.detection_ms);
            (base..base + args.count).collect()
        }
    };
    let started = Instant::now();
    let sem = Arc::new(tokio::sync::Semaphore::new(args.parallel.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for seed in seeds.iter().copied() {
        let (bin, sem) = (bin.clone(), sem.clone());
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            faults::run::run(&bin, seed, t).await
        });
    }
    let (mut schedules, mut violations, mut lost, mut acked, mut exported) = (0usize, 0usize, 0usize, 0usize, 0usize);
    while let Some(res) = set.join_next().await {
        schedules += 1;
        let o = match res {
            Ok(o) => o,
            Err(e) => {
                violations += 1;
                println!("a schedule's task failed: {e}");
                continue;
            }
        };
        acked += o.acked;
        exported += o.exported;
        lost += o.lost;
        violations += o.violations.len();
        let verdict = if o.violations.is_empty() { "ok".to_string() } else { format!("{} VIOLATION(S)", o.violations.len()) };
        println!(
            "[{schedules}/{}] seed {} [{}]: {} acknowledged ({} mirrored, {} exported), {:.1} s: {verdict}",
            seeds.len(),
            o.seed,
            o.steps.join(", "),
            o.acked,
            o.mirrored,
            o.exported,
            o.elapsed.as_secs_f64()
        );
        for v in &o.violations {
            println!("    violation: {v}");
        }
        if !o.violations.is_empty() {
            println!("    replay: make faults SEED={}", o.seed);
        }
    }
    println!("faults: {acked} acknowledged changes checked, {exported} exported after a split brain, {:.0} s", started.elapsed().as_secs_f64());
    println!("faults: {schedules} schedules, {violations} violations, {lost} acknowledged changes lost");
    if violations > 0 {
        std::process::exit(1);
    }
    Ok(())
}
