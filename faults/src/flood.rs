//! Many logins at once, from many loopback addresses: the attack probes and the benchmark
//! share it. Every loop is bounded; only 127.0.0.0/8 is used.

use crate::cluster::Node;
use anyhow::{ensure, Result};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// An HTTP client whose connections come from `from` (any 127.x.y.z is this host).
pub fn client_from(from: &str) -> Result<reqwest::Client> {
    let ip: IpAddr = from.parse()?;
    Ok(reqwest::Client::builder().no_proxy().local_address(ip).redirect(reqwest::redirect::Policy::none()).build()?)
}

/// One login attempt's answer.
pub async fn login(http: &reqwest::Client, m: &Node, user: &str, password: &str) -> Result<reqwest::Response> {
    Ok(http
        .post(m.url("/api/login"))
        .header("Accept", "application/json")
        .form(&[("username", user), ("password", password), ("next", "/")])
        .timeout(Duration::from_secs(20))
        .send()
        .await?)
}

/// The status of one login attempt.
pub async fn login_status(http: &reqwest::Client, m: &Node, user: &str, password: &str) -> Result<u16> {
    Ok(login(http, m, user, password).await?.status().as_u16())
}

/// Awaits all futures together (a small join_all without another dependency).
pub async fn join_all<F: std::future::Future>(futs: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futs.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all = true;
        for (i, f) in pinned.iter_mut().enumerate() {
            if done[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => done[i] = Some(v),
                    std::task::Poll::Pending => all = false,
                }
            }
        }
        if all { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
    done.into_iter().flatten().collect()
}

pub fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let i = ((p / 100.0) * (v.len() as f64 - 1.0)).round() as usize;
    v[i.min(v.len() - 1)]
}

/// What a flood did.
pub struct Flood {
    /// HTTP status → count (0: no answer).
    pub statuses: BTreeMap<u16, usize>,
    pub peak_rss_mb: f64,
    /// `/healthz` latency during the flood (1 s counted for no answer).
    pub health_p99_ms: f64,
    pub health_samples: usize,
}

/// `bursts` bursts of `per_burst` concurrent wrong logins (half for "admin", half for
/// made-up names), each burst from its own loopback address, while `/healthz` is sampled
/// every 20 ms and `rss` after each burst.
pub async fn login_flood(m: &Node, rss: impl Fn() -> Option<f64>, bursts: usize, per_burst: usize) -> Result<Flood> {
    ensure!(bursts <= 250, "at most 250 bursts (one loopback address each)");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let probe = {
        let (node, stop) = (m.clone(), stop.clone());
        tokio::spawn(async move {
            let mut lat = Vec::new();
            for _ in 0..100_000 {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let t0 = Instant::now();
                let ok = node.health().await.is_some();
                lat.push(if ok { t0.elapsed().as_secs_f64() * 1000.0 } else { 1000.0 });
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            lat
        })
    };
    let mut statuses = BTreeMap::<u16, usize>::new();
    let mut peak = rss().unwrap_or(0.0);
    for burst in 0..bursts {
        let http = client_from(&format!("127.0.1.{}", burst + 1))?;
        let calls = (0..per_burst).map(|i| {
            let http = http.clone();
            let user = if i % 2 == 0 { "admin".to_string() } else { format!("user{burst}x{i}") };
            async move { login_status(&http, m, &user, "wrong-password-guess").await.unwrap_or(0) }
        });
        for s in join_all(calls).await {
            *statuses.entry(s).or_default() += 1;
        }
        peak = peak.max(rss().unwrap_or(0.0));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut lat = probe.await.unwrap_or_default();
    Ok(Flood { statuses, peak_rss_mb: peak, health_p99_ms: percentile(&mut lat, 99.0), health_samples: lat.len() })
}
