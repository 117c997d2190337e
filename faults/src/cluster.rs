//! Real MCU processes on loopback and the network between them: `Mcu` starts, kills
//! (SIGKILL), pauses (SIGSTOP/SIGCONT) and restarts one server process with its own data
//! folder; `Relay` is a loopback TCP relay that stands for the peer link and can be cut
//! (a partition) and healed. Nothing here touches an address outside 127.0.0.1.

use anyhow::{anyhow, bail, Context, Result};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The first Administrator's password of every test MCU.
pub const PASSWORD: &str = "fault-admin-pass";

/// A free TCP port on loopback (the OS picks it).
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// What a server function answered, with the commit headers (`x-mcu-*`).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub epoch: Option<u64>,
    pub mirrored: Option<bool>,
    /// Master commit → Slave acknowledgement, when the Slave had it.
    pub replication_us: Option<u64>,
}

impl Reply {
    pub fn ok(&self) -> bool {
        self.status == 200
    }
}

/// A handle to call one MCU's HTTP API (cheap to clone; survives the process's restarts,
/// as sessions are kept in its database).
#[derive(Clone)]
pub struct Node {
    pub name: String,
    pub port: u16,
    cookie: String,
    http: reqwest::Client,
}

impl Node {
    /// The logged-in session's `name=value` cookie pair.
    pub fn cookie(&self) -> &str {
        &self.cookie
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `/healthz`, or `None` when it does not answer within a second.
    pub async fn health(&self) -> Option<serde_json::Value> {
        let r = self.http.get(self.url("/healthz")).timeout(Duration::from_secs(1)).send().await.ok()?;
        r.json().await.ok()
    }

    /// Calls a server function with a form; `Err` when there is no answer within `timeout`.
    pub async fn api_within(&self, f: &str, form: &[(&str, &str)], timeout: Duration) -> Result<Reply> {
        let r = self
            .http
            .post(self.url(&format!("/api/{f}")))
            .header("Accept", "application/json")
            .header("Cookie", &self.cookie)
            .form(form)
            .timeout(timeout)
            .send()
            .await?;
        let header = |n: &str| r.headers().get(n).and_then(|v| v.to_str().ok()).map(String::from);
        let epoch = header("x-mcu-epoch").and_then(|v| v.parse().ok());
        let mirrored = header("x-mcu-mirrored").map(|v| v == "true");
        let replication_us = header("x-mcu-replication-us").and_then(|v| v.parse().ok());
        let status = r.status().as_u16();
        Ok(Reply { status, body: r.text().await.unwrap_or_default(), epoch, mirrored, replication_us })
    }

    pub async fn api(&self, f: &str, form: &[(&str, &str)]) -> Result<Reply> {
        self.api_within(f, form, Duration::from_secs(20)).await
    }

    /// A server-rendered page as the logged-in user sees it.
    pub async fn get_page(&self, path: &str) -> Result<String> {
        let r = self.http.get(self.url(path)).header("Cookie", &self.cookie).timeout(Duration::from_secs(20)).send().await?;
        if !r.status().is_success() {
            bail!("GET {path}: {}", r.status());
        }
        Ok(r.text().await?)
    }

    /// Waits (bounded) until `/healthz` satisfies `pred`; returns how long it took, or the
    /// last answer seen.
    pub async fn wait_health(&self, limit: Duration, pred: impl Fn(&serde_json::Value) -> bool) -> Result<Duration, Option<serde_json::Value>> {
        let t0 = Instant::now();
        let mut last = None;
        while t0.elapsed() < limit {
            if let Some(h) = self.health().await {
                if pred(&h) {
                    return Ok(t0.elapsed());
                }
                last = Some(h);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Err(last)
    }
}

/// One MCU server process.
pub struct Mcu {
    pub node: Node,
    pub dir: PathBuf,
    pub version: String,
    bin: PathBuf,
    extra_args: Vec<String>,
    /// Pass `--simulate` (the simulation endpoints); on unless [`Mcu::start_without_simulation`].
    simulate: bool,
    child: Option<Child>,
    paused: bool,
}

impl std::ops::Deref for Mcu {
    type Target = Node;
    fn deref(&self) -> &Node {
        &self.node
    }
}

impl Mcu {
    /// Starts `bin` as MCU `name` on a free port with `dir` as its data folder, and logs in.
    pub async fn start(bin: &Path, name: &str, dir: &Path, version: &str) -> Result<Mcu> {
        Self::start_with(bin, name, dir, version, &[]).await
    }

    /// As [`Mcu::start`], with extra command-line arguments (e.g. `--model`).
    pub async fn start_with(bin: &Path, name: &str, dir: &Path, version: &str, extra: &[&str]) -> Result<Mcu> {
        Self::start_full(bin, name, dir, version, extra, true).await
    }

    /// As [`Mcu::start_with`], without `--simulate`.
    pub async fn start_without_simulation(bin: &Path, name: &str, dir: &Path, version: &str, extra: &[&str]) -> Result<Mcu> {
        Self::start_full(bin, name, dir, version, extra, false).await
    }

    async fn start_full(bin: &Path, name: &str, dir: &Path, version: &str, extra: &[&str], simulate: bool) -> Result<Mcu> {
        std::fs::create_dir_all(dir)?;
        let mut m = Mcu {
            node: Node { name: name.into(), port: free_port()?, cookie: String::new(), http: reqwest::Client::builder().no_proxy().build()? },
            dir: dir.to_path_buf(),
            version: version.into(),
            bin: bin.to_path_buf(),
            extra_args: extra.iter().map(|s| s.to_string()).collect(),
            simulate,
            child: None,
            paused: false,
        };
        m.spawn().await?;
        Ok(m)
    }

    /// Starts the process (again) on the same port and data folder; waits until it answers
    /// and logs in. Its stderr is appended to `stderr.log` in the data folder.
    /// The server's command line for this MCU, its stderr appended to `stderr.log`.
    fn command(&self) -> Result<Command> {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.dir.join("stderr.log"))?;
        let mut cmd = Command::new(&self.bin);
        cmd.args(["--name", &self.name, "--listen", &format!("127.0.0.1:{}", self.port)])
            .arg("--data-dir")
            .arg(&self.dir)
            .args(["--software-version", &self.version, "--admin-password", PASSWORD])
            .args(if self.simulate { &["--simulate"][..] } else { &[][..] })
            .args(&self.extra_args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log));
        Ok(cmd)
    }

    pub async fn spawn(&mut self) -> Result<()> {
        let child = self
            .command()?
            .spawn()
            .with_context(|| format!("cannot start {}", self.bin.display()))?;
        self.child = Some(child);
        self.paused = false;
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(30) {
            if self.health().await.is_some() {
                return self.login().await;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                bail!("{} exited at start: {status}", self.name);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bail!("{} did not start within 30 s", self.name)
    }

    /// SIGKILL: the process dies at once, as in a power cut (its disk stays).
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        self.paused = false;
    }

    /// SIGTERM, then waits (bounded by `limit`) for the process to exit; how long it took,
    /// or `None` if it was still running (it is then killed).
    pub fn terminate_within(&mut self, limit: Duration) -> Option<Duration> {
        self.signal(rustix::process::Signal::TERM);
        let t0 = Instant::now();
        while t0.elapsed() < limit {
            if let Some(Ok(Some(_))) = self.child.as_mut().map(|c| c.try_wait()) {
                self.child = None;
                return Some(t0.elapsed());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.kill9();
        None
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Starts the process again without waiting for it or logging in; `Ok(exit status)` if it
    /// exited within `limit` (a refused start), `Err` if it is still running.
    pub fn spawn_expecting_exit(&mut self, limit: Duration) -> Result<std::process::ExitStatus> {
        let mut child = self.command()?.spawn()?;
        let t0 = Instant::now();
        while t0.elapsed() < limit {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        bail!("still running after {limit:?}")
    }

    pub fn is_up(&self) -> bool {
        self.child.is_some()
    }

    pub fn is_paused(&self) -> bool {
        self.paused
    }

    fn signal(&mut self, sig: rustix::process::Signal) {
        let pid = self.child.as_ref().and_then(|c| rustix::process::Pid::from_raw(c.id() as i32));
        if let Some(pid) = pid {
            // Our own child: if it is gone already, there is nothing to signal.
            let _ = rustix::process::kill_process(pid, sig);
        }
    }

    /// SIGSTOP: the process freezes (a hung MCU), keeping its sockets open.
    pub fn pause(&mut self) {
        if self.child.is_some() && !self.paused {
            self.signal(rustix::process::Signal::STOP);
            self.paused = true;
        }
    }

    /// SIGCONT after [`Mcu::pause`].
    pub fn resume(&mut self) {
        if self.paused {
            self.signal(rustix::process::Signal::CONT);
            self.paused = false;
        }
    }

    /// Logs in as admin. A connection the server closed under the request (a keep-alive
    /// connection idle across a restart) is tried again on a fresh one, at most three times.
    pub async fn login(&mut self) -> Result<()> {
        let mut attempt = 0;
        let r = loop {
            attempt += 1;
            let sent = self
                .node
                .http
                .post(self.url("/api/login"))
                .header("Accept", "application/json")
                .form(&[("username", "admin"), ("password", PASSWORD), ("next", "/")])
                .timeout(Duration::from_secs(10))
                .send()
                .await;
            match sent {
                Ok(r) => break r,
                Err(e) if attempt < 3 && (e.is_request() || e.is_connect()) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => return Err(e.into()),
            }
        };
        if !r.status().is_success() {
            bail!("login on {}: {}", self.name, r.status());
        }
        let set = r.headers().get("set-cookie").and_then(|v| v.to_str().ok()).ok_or_else(|| anyhow!("no session cookie"))?;
        self.node.cookie = set.split(';').next().unwrap_or_default().to_string();
        Ok(())
    }

    /// Enables Hot Backup with `peer_address` and the given timings.
    pub async fn enable_at(&self, role: &str, peer_address: &str, heartbeat_ms: u32, detection_ms: u32) -> Result<Reply> {
        let (hb, det) = (heartbeat_ms.to_string(), detection_ms.to_string());
        self.api(
            "enable_hot_backup",
            &[("role", role), ("peer_address", peer_address), ("heartbeat_ms", &hb), ("detection_ms", &det), ("inactivity_s", "30"), ("password", PASSWORD)],
        )
        .await
    }

    /// The data folder's stderr log (panics show up there).
    pub fn stderr_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default()
    }

    /// Resident memory of the process in MB (Linux /proc), if it runs.
    pub fn rss_mb(&self) -> Option<f64> {
        let pid = self.child.as_ref()?.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let kb: f64 = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    }
}

impl Drop for Mcu {
    fn drop(&mut self) {
        self.resume();
        self.kill9();
    }
}

/// A TCP relay on loopback standing for the network between the two MCUs: `cut` drops
/// every connection and refuses new ones (a partition), `heal` lets them through again.
/// It keeps a copy of the first bytes that cross it, both ways (`captured`), as a capture
/// of the link would.
pub struct Relay {
    pub port: u16,
    open: Arc<AtomicBool>,
    captured: Arc<Mutex<Vec<u8>>>,
    conns: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Relay {
    /// A relay from a free loopback port to `127.0.0.1:target`.
    pub async fn start(target: u16) -> Result<Relay> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let open = Arc::new(AtomicBool::new(true));
        let conns: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let captured: Arc<Mutex<Vec<u8>>> = Arc::default();
        let (o, c, cap) = (open.clone(), conns.clone(), captured.clone());
        let accept = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                if !o.load(Ordering::SeqCst) {
                    continue; // dropped: the link is cut
                }
                let cap = cap.clone();
                let task = tokio::spawn(async move {
                    if let Ok(outbound) = tokio::net::TcpStream::connect(("127.0.0.1", target)).await {
                        let (ir, iw) = inbound.into_split();
                        let (or, ow) = outbound.into_split();
                        tokio::join!(pump(ir, ow, cap.clone()), pump(or, iw, cap));
                    }
                });
                let mut list = c.lock().unwrap_or_else(|p| p.into_inner());
                list.retain(|t| !t.is_finished());
                list.push(task);
            }
        });
        Ok(Relay { port, open, captured, conns, accept })
    }

    /// The bytes that crossed so far (at most the first 32 MiB).
    pub fn captured(&self) -> Vec<u8> {
        self.captured.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for t in self.conns.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
            t.abort();
        }
    }

    pub fn heal(&self) {
        self.open.store(true, Ordering::SeqCst);
    }

    pub fn is_cut(&self) -> bool {
        !self.open.load(Ordering::SeqCst)
    }
}

/// Copies one direction of a relayed connection, keeping a copy of what passes.
async fn pump(mut from: tokio::net::tcp::OwnedReadHalf, mut to: tokio::net::tcp::OwnedWriteHalf, captured: Arc<Mutex<Vec<u8>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const KEEP: usize = 32 * 1024 * 1024;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        {
            let mut c = captured.lock().unwrap_or_else(|p| p.into_inner());
            let room = KEEP.saturating_sub(c.len()).min(n);
            c.extend_from_slice(&buf[..room]);
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

/// An isolation check address for one MCU, on loopback, that the harness can make silent:
/// open, it takes connections and closes them (any answer counts); cut, its backlog is full
/// and a connection attempt gets no answer at all, as from a host that is cut off.
pub struct Witness {
    pub port: u16,
    open: Arc<AtomicBool>,
    wake: Arc<tokio::sync::Notify>,
    fillers: Mutex<Vec<tokio::net::TcpStream>>,
    task: tokio::task::JoinHandle<()>,
}

impl Witness {
    pub async fn start() -> Result<Witness> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind("127.0.0.1:0".parse()?)?;
        let listener = socket.listen(1)?;
        let port = listener.local_addr()?.port();
        let open = Arc::new(AtomicBool::new(true));
        let wake = Arc::new(tokio::sync::Notify::new());
        let (o, w) = (open.clone(), wake.clone());
        let task = tokio::spawn(async move {
            loop {
                let accepting = o.load(Ordering::SeqCst);
                tokio::select! {
                    r = listener.accept(), if accepting => {
                        if r.is_err() {
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                    _ = w.notified() => {}
                }
            }
        });
        Ok(Witness { port, open, wake, fillers: Mutex::new(Vec::new()), task })
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Silent: stop taking connections and fill the backlog.
    pub async fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.wake.notify_one();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut fill = Vec::new();
        for _ in 0..4 {
            if let Ok(Ok(s)) = tokio::time::timeout(Duration::from_millis(100), tokio::net::TcpStream::connect(("127.0.0.1", self.port))).await {
                fill.push(s);
            }
        }
        self.fillers.lock().unwrap_or_else(|p| p.into_inner()).extend(fill);
    }

    pub fn heal(&self) {
        self.open.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        self.fillers.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub fn is_cut(&self) -> bool {
        !self.open.load(Ordering::SeqCst)
    }
}

impl Drop for Witness {
    fn drop(&mut self) {
        self.task.abort();
    }
}

