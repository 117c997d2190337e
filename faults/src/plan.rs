//! Seeded fault schedules: the same seed always gives the same schedule (ChaCha8).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fmt;

/// The pair's timings during a run (short, so many schedules fit in minutes).
#[derive(Debug, Clone, Copy)]
pub struct Timings {
    pub heartbeat_ms: u32,
    pub detection_ms: u32,
}

impl Default for Timings {
    fn default() -> Self {
        Timings { heartbeat_ms: 100, detection_ms: 600 }
    }
}

/// One fault. "Master"/"Slave" are resolved when the step runs (roles move).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// kill -9, stay down `down_ms`, restart.
    KillMaster { down_ms: u64 },
    KillSlave { down_ms: u64 },
    /// SIGSTOP for `ms`, then SIGCONT (shorter or longer than the detection time).
    PauseMaster { ms: u64 },
    PauseSlave { ms: u64 },
    /// The peer link cut both ways for `ms`.
    Partition { ms: u64 },
    /// Trigger Failover on the Master (a planned switch-over).
    SwitchOver,
    /// The Slave cut off from everything for `ms`: the peer link and its isolation check
    /// address. It must not take over.
    IsolateSlave { ms: u64 },
    /// The Master cut off likewise: the Slave, which still reaches its own witness, may.
    IsolateMaster { ms: u64 },
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::KillMaster { down_ms } => write!(f, "kill-master({down_ms}ms)"),
            Fault::KillSlave { down_ms } => write!(f, "kill-slave({down_ms}ms)"),
            Fault::PauseMaster { ms } => write!(f, "pause-master({ms}ms)"),
            Fault::PauseSlave { ms } => write!(f, "pause-slave({ms}ms)"),
            Fault::Partition { ms } => write!(f, "partition({ms}ms)"),
            Fault::SwitchOver => write!(f, "switch-over"),
            Fault::IsolateSlave { ms } => write!(f, "isolate-slave({ms}ms)"),
            Fault::IsolateMaster { ms } => write!(f, "isolate-master({ms}ms)"),
        }
    }
}

/// A step: wait `gap_ms` (the client keeps making changes), then apply `fault`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub gap_ms: u64,
    pub fault: Fault,
}

/// The schedule of `seed`: 2–4 steps.
pub fn schedule(seed: u64, t: Timings) -> Vec<Step> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let det = u64::from(t.detection_ms);
    let n = rng.gen_range(2..=4);
    (0..n)
        .map(|_| {
            let gap_ms = rng.gen_range(150..=600);
            // A pause either side of the detection time: short ones must not fail over.
            let pause = |rng: &mut ChaCha8Rng| if rng.gen_bool(0.5) { rng.gen_range(det / 4..=det / 2) } else { rng.gen_range(det * 3 / 2..=det * 3) };
            let fault = match rng.gen_range(0..8) {
                0 => Fault::KillMaster { down_ms: rng.gen_range(det / 2..=det * 3) },
                1 => Fault::KillSlave { down_ms: rng.gen_range(100..=det * 2) },
                2 => Fault::PauseMaster { ms: pause(&mut rng) },
                3 => Fault::PauseSlave { ms: pause(&mut rng) },
                4 => Fault::Partition { ms: rng.gen_range(det / 2..=det * 3) },
                5 => Fault::IsolateSlave { ms: rng.gen_range(det * 3 / 2..=det * 4) },
                6 => Fault::IsolateMaster { ms: rng.gen_range(det * 3 / 2..=det * 4) },
                _ => Fault::SwitchOver,
            };
            Step { gap_ms, fault }
        })
        .collect()
}

/// The client's own random stream for `seed` (which change to make next).
pub fn client_rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ 0x005e_edc1_1e47_u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_replays_the_same_schedule_and_seeds_differ() {
        let t = Timings::default();
        assert_eq!(schedule(42, t), schedule(42, t));
        let distinct: std::collections::HashSet<String> = (0..50).map(|s| format!("{:?}", schedule(s, t))).collect();
        assert!(distinct.len() > 45, "schedules barely vary: {}", distinct.len());
        let all: Vec<Step> = (0..200).flat_map(|s| schedule(s, t)).collect();
        for kind in ["kill-master", "kill-slave", "pause-master", "pause-slave", "partition", "switch-over", "isolate-slave", "isolate-master"] {
            assert!(all.iter().any(|s| s.fault.to_string().starts_with(kind)), "{kind} never drawn");
        }
        // Pauses fall on both sides of the detection time.
        let pauses: Vec<u64> = all.iter().filter_map(|s| match s.fault { Fault::PauseMaster { ms } | Fault::PauseSlave { ms } => Some(ms), _ => None }).collect();
        assert!(pauses.iter().any(|&ms| ms < 600) && pauses.iter().any(|&ms| ms > 600));
    }
}
