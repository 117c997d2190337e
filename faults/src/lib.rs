//! Proof under faults and load for the Hot Backup pair: real MCU processes on loopback
//! (`cluster`), seeded fault schedules (`plan`), one schedule's run and its invariant
//! checks (`run`). The `faults` binary runs many schedules; `bench` measures.

#![forbid(unsafe_code)]

pub mod cluster;
pub mod flood;
pub mod plan;
pub mod run;

/// The server binary next to this one (same target folder), unless given.
pub fn server_binary(given: Option<std::path::PathBuf>) -> anyhow::Result<std::path::PathBuf> {
    if let Some(p) = given {
        return Ok(p);
    }
    let me = std::env::current_exe()?;
    let dir = me.parent().ok_or_else(|| anyhow::anyhow!("no folder for {}", me.display()))?;
    let p = dir.join("server");
    anyhow::ensure!(p.exists(), "no server binary at {} (build it with cargo build -p server, or pass --server)", p.display());
    Ok(p)
}
