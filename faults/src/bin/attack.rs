//! `attack`: tries the MCU as an attacker on the same network would, against real server
//! processes on loopback (temporary data folders, free ports). One line per probe; the
//! last line is `attack: N probes, F failed`; exit status 1 when any probe failed.
//! Every loop is bounded in count and time; nothing but 127.0.0.0/8 is touched.

#![forbid(unsafe_code)]

use anyhow::{anyhow, ensure, Context, Result};
use clap::Parser;
use faults::cluster::{free_port, Mcu, PASSWORD};
use faults::flood::{self, client_from, login_status};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Parser, Debug)]
#[command(about = "Attack probes against real MCU processes (loopback only)")]
struct Args {
    /// The MCU server binary (default: `server` next to this program).
    #[arg(long)]
    server: Option<PathBuf>,
}

const VERSION: &str = "9.9.9";

struct Tally {
    probes: usize,
    failed: Vec<String>,
}

impl Tally {
    fn record(&mut self, name: &str, r: Result<String>) {
        self.probes += 1;
        match r {
            Ok(detail) => println!("attack: {name}: ok — {detail}"),
            Err(e) => {
                let line = format!("attack: {name}: FAILED — {e:#}");
                println!("{line}");
                self.failed.push(line);
            }
        }
    }
}

/// Logs in from `from` and returns the cookie pair.
async fn session(m: &Mcu, from: &str, user: &str, password: &str) -> Result<String> {
    let r = flood::login(&client_from(from)?, m, user, password).await?;
    ensure!(r.status().is_success(), "login as {user}: {}", r.status());
    let set = r.headers().get("set-cookie").and_then(|v| v.to_str().ok()).ok_or_else(|| anyhow!("no cookie"))?;
    Ok(set.split(';').next().unwrap_or_default().to_string())
}

/// 1,000 wrong logins in bursts of 100 from ten addresses: resident memory stays bounded,
/// `/healthz` keeps answering quickly, the MCU still serves.
async fn login_flood(m: &Mcu) -> Result<String> {
    let before = m.rss_mb().unwrap_or(0.0);
    let f = flood::login_flood(&m.node, || m.rss_mb(), 10, 100).await?;
    ensure!(!f.statuses.contains_key(&200), "a wrong password logged in: {:?}", f.statuses);
    ensure!(!f.statuses.contains_key(&0), "some logins got no answer: {:?}", f.statuses);
    ensure!(f.peak_rss_mb <= 150.0, "resident memory peaked at {:.0} MB (limit 150): {:?}", f.peak_rss_mb, f.statuses);
    ensure!(m.health().await.is_some(), "the MCU stopped answering");
    ensure!(f.health_p99_ms <= 500.0, "/healthz p99 {:.0} ms during the flood", f.health_p99_ms);
    Ok(format!(
        "answers {:?}; RSS {before:.0} → peak {:.0} MB; /healthz p99 {:.1} ms",
        f.statuses, f.peak_rss_mb, f.health_p99_ms
    ))
}

/// Huge and long names are refused before any work and never logged in full.
async fn oversized(m: &Mcu) -> Result<String> {
    let http = client_from("127.0.2.1")?;
    // The server answers from the declared size, before reading the body, and closes:
    // a client still writing the body then sees a broken pipe instead of the answer. So the
    // probe sends the head and the body's first kilobyte only, and reads the answer.
    let mut tcp = connect_from("127.0.2.1", &format!("127.0.0.1:{}", m.port)).await?;
    let head = format!(
        "POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\nContent-Length: {}\r\n\r\nusername=",
        500_000 + "username=&password=x".len()
    );
    tcp.write_all(head.as_bytes()).await?;
    tcp.write_all("A".repeat(1024).as_bytes()).await?;
    let mut answer = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(10), tcp.read(&mut answer)).await.context("no answer within 10 s")??;
    let status_line = String::from_utf8_lossy(&answer[..n]).lines().next().unwrap_or_default().to_string();
    ensure!(status_line.starts_with("HTTP/1.1 413"), "a 500 KB name: {status_line:?}");
    let long = "B".repeat(100);
    let s = login_status(&http, m, &long, "password").await?;
    ensure!(s == 422, "a 100-character name: {s}");
    let log = m.stderr_log();
    ensure!(!log.contains(&"B".repeat(65)), "a long name reached the log");
    Ok("500 KB name → 413, 100 characters → 422, neither logged".into())
}

/// An attacker locks only themselves out: the right password from elsewhere still works.
async fn no_lockout_of_the_administrator(m: &Mcu) -> Result<String> {
    let attacker = client_from("127.0.3.1")?;
    let mut seen = Vec::new();
    for _ in 0..8 {
        seen.push(login_status(&attacker, m, "admin", "not-the-password").await?);
    }
    ensure!(seen.iter().filter(|s| **s == 401).count() == 5 && seen.ends_with(&[429, 429, 429]), "attacker saw {seen:?}");
    let s = login_status(&attacker, m, "admin", PASSWORD).await?;
    ensure!(s == 429, "the right password from the throttled address: {s}");
    let s = login_status(&client_from("127.0.3.2")?, m, "admin", PASSWORD).await?;
    ensure!(s == 200, "the administrator from another address: {s}");
    let log = m.stderr_log();
    let refusals = log.matches("login refused").count();
    ensure!(refusals >= 1, "the refusal was not logged");
    Ok(format!("attacker {seen:?}; administrator elsewhere 200; refusals logged {refusals}×"))
}

/// Parallel guesses cannot get past the limit while the first ones are being checked.
async fn parallel_guesses(m: &Mcu) -> Result<String> {
    let http = client_from("127.0.4.1")?;
    let calls = (0..40).map(|_| {
        let http = http.clone();
        async move { login_status(&http, m, "admin", "parallel-guess").await.unwrap_or(0) }
    });
    let statuses = flood::join_all(calls).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    ensure!(checked <= 5, "{checked} of 40 parallel guesses were checked against the password: {statuses:?}");
    Ok(format!("{checked} of 40 checked, the rest refused"))
}

/// One request over the peer link's TLS from loopback address `from`: the status, the body
/// and the fingerprint of the certificate the MCU showed.
async fn peer_tls(from: &str, m: &Mcu, method: &str, path: &str, bearer: Option<&str>, body: &str) -> Result<(u16, String, String)> {
    peer_tls_at(from, m.port, method, path, bearer, body).await
}

async fn peer_tls_at(from: &str, port: u16, method: &str, path: &str, bearer: Option<&str>, body: &str) -> Result<(u16, String, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let tcp = connect_from(from, &format!("127.0.0.1:{port}")).await?;
    let check = hotbackup::identity::Pinned::new(None);
    let connector = tokio_rustls::TlsConnector::from(check.client_config(attacker_identity()?)?);
    let name = rustls_pki_types::ServerName::try_from(hotbackup::identity::PEER_SERVER_NAME)?.to_owned();
    let mut tls = tokio::time::timeout(Duration::from_secs(5), connector.connect(name, tcp)).await??;
    let auth = bearer.map(|b| format!("Authorization: Bearer {b}\r\n")).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: peer\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    tls.write_all(request.as_bytes()).await?;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), tls.read_to_end(&mut buf)).await;
    let answer = String::from_utf8_lossy(&buf).into_owned();
    let status = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body, check.seen().unwrap_or_default()))
}

/// The attacker's own peer-link certificate (mutual TLS needs one; it is not the pinned one).
fn attacker_identity() -> Result<&'static hotbackup::identity::PeerIdentity> {
    static ID: std::sync::OnceLock<hotbackup::identity::PeerIdentity> = std::sync::OnceLock::new();
    if let Some(id) = ID.get() {
        return Ok(id);
    }
    let made = hotbackup::identity::PeerIdentity::generate()?;
    Ok(ID.get_or_init(|| made))
}

/// A whole pairing attempt (OPAQUE) from `from` as `password`: the finishing step's status
/// and body; `(0, …)` when the MCU's answer did not open with this password (the initiator
/// then sends nothing more), or step 1's status when that was refused.
async fn pair_attempt(from: &str, m: &Mcu, password: &str) -> Result<(u16, String)> {
    use domain::pairing;
    let nonce = pairing::random_hex();
    let client = pairing::ClientStart::new(password)?;
    let start = serde_json::json!({ "user": "admin", "version": VERSION, "nonce": nonce, "request": client.request }).to_string();
    let (status, body, seen) = peer_tls(from, m, "POST", "/peer/v1/pair/start", None, &start).await?;
    if status != 200 {
        return Ok((status, body));
    }
    let answer: domain::hotbackup::PairChallenge = serde_json::from_str(&body)?;
    let context = pairing::context(&attacker_identity()?.fingerprint, &seen);
    let Ok(last) = pairing::client_finish(client, "admin", password, &answer.response, &context) else {
        return Ok((0, "the answer did not open with this password".into()));
    };
    let finish = serde_json::json!({ "user": "admin", "initiator_nonce": nonce, "responder_nonce": answer.nonce, "finalization": last });
    let (status, body, _) = peer_tls(from, m, "POST", "/peer/v1/pair/finish", None, &finish.to_string()).await?;
    Ok((status, body))
}

/// The peer link: only over its TLS, pairing limited like logins (the right password from
/// elsewhere still pairs), and only the credential it issued opens it — no browser session.
async fn peer_login_limited(m: &Mcu) -> Result<String> {
    let plain = client_from("127.0.5.3")?.post(m.url("/peer/v1/pair/start")).body("{}").send().await?.status().as_u16();
    ensure!(plain == 404, "the peer link answered plain HTTP: {plain}");
    let mut seen = Vec::new();
    for _ in 0..7 {
        seen.push(pair_attempt("127.0.5.1", m, "wrong-one").await?.0);
    }
    // Each answered step 1 lets the attacker test one password: five, then refused.
    ensure!(seen.iter().filter(|s| **s == 0).count() == 5 && seen.ends_with(&[429, 429]), "the pairing was not limited: {seen:?}");
    let (status, body) = pair_attempt("127.0.5.2", m, PASSWORD).await?;
    ensure!(status == 200, "the right pairing from elsewhere: {status} {body}");
    let credential = serde_json::from_str::<serde_json::Value>(&body)?["credential"].as_str().unwrap_or_default().to_string();
    let (ok, ..) = peer_tls("127.0.5.2", m, "GET", "/peer/v1/heartbeat", Some(&credential), "").await?;
    ensure!(ok == 200, "the issued credential: {ok}");
    let cookie = session(m, "127.0.5.4", "admin", PASSWORD).await?;
    let token = cookie.split_once('=').map(|(_, v)| v).unwrap_or_default();
    let (with_session, ..) = peer_tls("127.0.5.4", m, "GET", "/peer/v1/heartbeat", Some(token), "").await?;
    ensure!(with_session == 401, "a browser session opened the peer link: {with_session}");
    let over_plain = client_from("127.0.5.2")?.get(m.url("/peer/v1/heartbeat")).bearer_auth(&credential).send().await?.status().as_u16();
    ensure!(over_plain == 404, "the credential worked over plain HTTP: {over_plain}");
    Ok(format!("plain HTTP 404; attacker {seen:?}; right pairing elsewhere 200; its credential 200, a browser session 401"))
}

/// What a fake peer on the paired address was sent: (path, body) per request.
type Captured = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// A fake peer: mutual TLS with its own certificate, it answers `pair/start` as an OPAQUE
/// server holding a record for a password of its choosing, and refuses everything else,
/// keeping every request it was sent.
async fn impostor_peer(listener: tokio::net::TcpListener, captured: Captured) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(id) = hotbackup::identity::PeerIdentity::generate() else { return };
    let Ok(config) = id.server_config() else { return };
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let keys = domain::pairing::ServerKeys::generate();
    let Ok(record) = domain::pairing::register(&keys, "admin", "the-impostors-guess") else { return };
    for _ in 0..20 {
        let Ok(Ok((tcp, _))) = tokio::time::timeout(Duration::from_secs(30), listener.accept()).await else { return };
        let Ok(Ok(mut tls)) = tokio::time::timeout(Duration::from_secs(5), acceptor.accept(tcp)).await else { continue };
        let client = tls.get_ref().1.peer_certificates().and_then(|c| c.first()).map(|c| hotbackup::identity::fingerprint(c)).unwrap_or_default();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let (head, body) = loop {
            let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(5), tls.read(&mut chunk)).await else { break (String::new(), String::new()) };
            if n == 0 {
                break (String::new(), String::new());
            }
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let len: usize = head
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
                    .unwrap_or(0);
                if body.len() >= len {
                    break (head.to_string(), body.to_string());
                }
            }
        };
        let path = head.split_whitespace().nth(1).unwrap_or_default().to_string();
        captured.lock().unwrap_or_else(|p| p.into_inner()).push((path.clone(), body.clone()));
        let answer = if path == "/peer/v1/pair/start" {
            serde_json::from_str::<domain::hotbackup::PairStart>(&body).ok().and_then(|s| {
                let context = domain::pairing::context(&client, &id.fingerprint);
                let (_, response) = domain::pairing::server_start(&keys, Some(&record), &s.user, &s.request, &context).ok()?;
                Some((200, serde_json::json!({ "response": response, "nonce": domain::pairing::random_hex() }).to_string()))
            })
        } else {
            None
        };
        let (status, json) = answer.unwrap_or((401, r#"{"error":"no"}"#.to_string()));
        let reply = format!("HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}", json.len());
        let _ = tls.write_all(reply.as_bytes()).await;
        let _ = tls.shutdown().await;
    }
}

/// Enabling Hot Backup towards an impostor on the paired address: it is sent the first
/// OPAQUE message only (nothing it can test a password against offline), never a proof, and
/// the MCU refuses to pair, with an alarm.
async fn impostor_learns_nothing(m: &Mcu) -> Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?.to_string();
    let captured: Captured = Default::default();
    let fake = tokio::spawn(impostor_peer(listener, captured.clone()));
    let r = m.enable_at("master", &addr, 100, 800).await?;
    fake.abort();
    ensure!(r.status == 409, "enabling towards an impostor: {} {}", r.status, r.body);
    ensure!(r.body.contains("could not prove"), "the refusal does not say why: {}", r.body);
    let got = captured.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
    ensure!(paths == ["/peer/v1/pair/start"], "the impostor was sent {paths:?}");
    let start: serde_json::Value = serde_json::from_str(&got[0].1)?;
    let fields: Vec<&str> = start.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
    ensure!(fields == ["nonce", "request", "user", "version"], "pair/start carried {fields:?}");
    ensure!(!got[0].1.contains(PASSWORD), "the password crossed");
    let alarms = m.api("get_alarms", &[]).await?.body;
    ensure!(alarms.contains("PeerLinkRefused"), "no alarm: {alarms}");
    Ok("sent one blinded OPAQUE message, no proof; enabling refused (409) with alarm 8215".into())
}

/// A page of another origin cannot make changes with the administrator's cookie.
async fn cross_origin(m: &Mcu, paired_port: u16) -> Result<String> {
    let http = client_from("127.0.0.1")?;
    let post = |origin: Option<String>, site: Option<&'static str>, name: &'static str| {
        let mut r = http
            .post(m.url("/api/add_conference"))
            .header("Accept", "application/json")
            .header("Cookie", m.cookie())
            .form(&[("name", name), ("numeric_id", "")]);
        if let Some(o) = origin {
            r = r.header("Origin", o);
        }
        if let Some(s) = site {
            r = r.header("Sec-Fetch-Site", s);
        }
        r.timeout(Duration::from_secs(20)).send()
    };
    let evil = post(Some("http://evil.example".into()), Some("cross-site"), "Forged A").await?.status().as_u16();
    let paired = post(Some(format!("http://127.0.0.1:{paired_port}")), Some("same-site"), "Forged B").await?.status().as_u16();
    let origin_only = post(Some(format!("http://127.0.0.1:{paired_port}")), None, "Forged C").await?.status().as_u16();
    let own = post(Some(format!("http://127.0.0.1:{}", m.port)), Some("same-origin"), "Own page").await?.status().as_u16();
    let logout = http
        .post(m.url("/api/logout"))
        .header("Cookie", m.cookie())
        .header("Origin", "http://evil.example")
        .timeout(Duration::from_secs(20))
        .send()
        .await?
        .status()
        .as_u16();
    ensure!(evil == 403 && paired == 403 && origin_only == 403 && logout == 403, "evil {evil}, paired {paired}/{origin_only}, logout {logout}");
    ensure!(own == 200, "own origin: {own}");
    let list = m.api("list_conferences", &[]).await?.body;
    ensure!(!list.contains("Forged"), "a forged conference exists");
    Ok(format!("other site {evil}, paired MCU's origin {paired}, logout {logout}, own page {own}"))
}

/// Security headers on pages and everything else; the page's CSP carries the script nonce.
async fn security_headers(m: &Mcu) -> Result<String> {
    let http = client_from("127.0.0.1")?;
    let mut seen = Vec::new();
    for path in ["/login", "/healthz", "/pkg/mcu.css", "/nowhere"] {
        let r = http.get(m.url(path)).timeout(Duration::from_secs(10)).send().await?;
        let h = |n: &str| r.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let csp = h("content-security-policy");
        ensure!(h("x-content-type-options") == "nosniff", "{path}: no nosniff");
        ensure!(h("referrer-policy") == "no-referrer", "{path}: referrer policy '{}'", h("referrer-policy"));
        ensure!(csp.contains("frame-ancestors 'none'") && !csp.contains("'unsafe-inline'") && !csp.contains("'unsafe-eval'"), "{path}: CSP '{csp}'");
        if path == "/login" {
            let nonce = csp.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).ok_or_else(|| anyhow!("no nonce in '{csp}'"))?.to_string();
            let body = r.text().await?;
            ensure!(body.contains(&format!("nonce=\"{nonce}\"")), "the hydration script lacks the nonce");
            let inline_without = body.matches("<script").count() - body.matches("nonce=\"").count().min(body.matches("<script").count());
            ensure!(inline_without == 0, "{inline_without} script(s) without the nonce");
        }
        seen.push(path);
    }
    Ok(format!("nosniff, no-referrer, CSP with frame-ancestors 'none' on {seen:?}"))
}

/// Opens an event stream with `cookie`; the response (status 200) whose body stays open.
async fn open_stream(m: &Mcu, cookie: &str) -> Result<reqwest::Response> {
    let r = reqwest::Client::builder()
        .no_proxy()
        .build()?
        .get(m.url("/events"))
        .header("Cookie", cookie)
        .header("Accept", "text/event-stream")
        .send()
        .await?;
    ensure!(r.status().is_success(), "stream: {}", r.status());
    Ok(r)
}

/// Reads a stream until it ends, bounded by `limit`: `Some(time)` when it ended.
async fn stream_ends_within(mut r: reqwest::Response, limit: Duration) -> Option<Duration> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        match tokio::time::timeout(limit.saturating_sub(t0.elapsed()), r.chunk()).await {
            Ok(Ok(Some(_))) => continue,
            Ok(_) => return Some(t0.elapsed()),
            Err(_) => return None,
        }
    }
    None
}

/// Streams: a cap per session (a new one ends the oldest); a stream ends when its session
/// is logged out.
async fn streams_bounded_and_end_on_logout(m: &Mcu) -> Result<String> {
    let cookie = session(m, "127.0.6.1", "admin", PASSWORD).await?;
    let mut open = Vec::new();
    for _ in 0..8 {
        open.push(open_stream(m, &cookie).await?);
    }
    // The 9th of one session takes the oldest's place: never more than 8 open.
    let oldest = open.remove(0);
    open.push(open_stream(m, &cookie).await?);
    stream_ends_within(oldest, Duration::from_secs(3)).await.ok_or_else(|| anyhow!("a 9th stream of one session left the oldest open"))?;
    let first = open.remove(0);
    let r = reqwest::Client::builder()
        .no_proxy()
        .build()?
        .post(m.url("/api/logout"))
        .header("Cookie", &cookie)
        .header("Accept", "application/json")
        .send()
        .await?;
    ensure!(r.status().is_success(), "logout: {}", r.status());
    let ended = stream_ends_within(first, Duration::from_secs(3)).await.ok_or_else(|| anyhow!("the stream outlived its logout by 3 s"))?;
    // A deleted user's streams end too.
    let r = m.api("add_user", &[("name", "streamer"), ("password", "streamer-pass-1"), ("role", "operator")]).await?;
    ensure!(r.ok(), "add user: {}", r.body);
    let theirs = session(m, "127.0.6.2", "streamer", "streamer-pass-1").await?;
    let stream = open_stream(m, &theirs).await?;
    let r = m.api("delete_user", &[("name", "streamer")]).await?;
    ensure!(r.ok(), "delete user: {}", r.body);
    let gone = stream_ends_within(stream, Duration::from_secs(3)).await.ok_or_else(|| anyhow!("a deleted user's stream stayed open 3 s"))?;
    Ok(format!("a 9th stream ends the oldest; streams ended {} ms after logout, {} ms after the user was deleted", ended.as_millis(), gone.as_millis()))
}

/// SIGTERM with 100 event streams open: the process exits within 2 s.
async fn stop_with_streams(bin: &Path, dir: &Path) -> Result<String> {
    let mut m = Mcu::start(bin, "MCU-STOP", &dir.join("stop"), VERSION).await?;
    let mut streams = Vec::new();
    for i in 0..13 {
        let cookie = session(&m, "127.0.7.1", "admin", PASSWORD).await.with_context(|| format!("session {i}"))?;
        for _ in 0..8 {
            if streams.len() < 100 {
                streams.push(open_stream(&m, &cookie).await?);
            }
        }
    }
    let pid = m.pid();
    let took = m.terminate_within(Duration::from_secs(5)).ok_or_else(|| anyhow!("still running 5 s after SIGTERM (pid {pid:?})"))?;
    ensure!(took <= Duration::from_secs(2), "exited {} ms after SIGTERM (limit 2,000)", took.as_millis());
    Ok(format!("{} streams open; exited {} ms after SIGTERM", streams.len(), took.as_millis()))
}

/// Reset MCU with streams open: they end and the MCU is back within a few seconds.
async fn reset_with_streams(bin: &Path, dir: &Path) -> Result<String> {
    let m = Mcu::start(bin, "MCU-RESET", &dir.join("reset"), VERSION).await?;
    let mut streams = Vec::new();
    for _ in 0..4 {
        let cookie = session(&m, "127.0.8.1", "admin", PASSWORD).await?;
        for _ in 0..5 {
            streams.push(open_stream(&m, &cookie).await?);
        }
    }
    let t0 = Instant::now();
    let r = m.api("reset_mcu", &[("confirm", "MCU-RESET")]).await?;
    ensure!(r.ok(), "reset: {} {}", r.status, r.body);
    let one = streams.remove(0);
    let ended = stream_ends_within(one, Duration::from_secs(3)).await.ok_or_else(|| anyhow!("a stream outlived the reset by 3 s"))?;
    // The stream ended because the MCU stopped serving; it now starts itself again.
    let mut back = None;
    for _ in 0..300 {
        if m.health().await.is_some() {
            back = Some(t0.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let back = back.ok_or_else(|| anyhow!("not back within 6 s of the reset"))?;
    ensure!(ended <= Duration::from_millis(2300), "a stream ended {} ms after the reset (300 ms delay + 2 s)", ended.as_millis());
    Ok(format!("{} streams open; ended after {} ms; answering again after {} ms", streams.len() + 1, ended.as_millis(), back.as_millis()))
}

/// A TCP connection to `addr` from the loopback address `from`.
async fn connect_from(from: &str, addr: &str) -> Result<tokio::net::TcpStream> {
    let sock = tokio::net::TcpSocket::new_v4()?;
    sock.bind(format!("{from}:0").parse()?)?;
    Ok(sock.connect(addr.parse()?).await?)
}

/// Whether the server closes `s` within `limit` (reading until end of stream).
async fn closed_within(s: &mut tokio::net::TcpStream, limit: Duration) -> Option<Duration> {
    let t0 = Instant::now();
    let mut buf = [0u8; 1024];
    let r = tokio::time::timeout(limit, async {
        for _ in 0..10_000 {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await;
    r.ok().map(|_| t0.elapsed())
}

/// Silent, slow and numerous clients cannot hold the MCU's connections.
async fn slow_and_many_connections(bin: &Path, dir: &Path) -> Result<String> {
    // Header timeout 4 s: long enough for the cap checks below to finish while the held
    // connections are still open, on a loaded machine too.
    let args = ["--header-timeout-s", "4", "--max-connections", "16", "--max-connections-per-client", "8"];
    let m = Mcu::start_with(bin, "MCU-CONN", &dir.join("conn"), VERSION, &args).await?;
    let addr = m.addr();
    // Connects and says nothing.
    let mut silent = connect_from("127.0.10.1", &addr).await?;
    let silent_cut = closed_within(&mut silent, Duration::from_secs(8)).await.ok_or_else(|| anyhow!("a silent connection held for 8 s (header timeout 4 s)"))?;
    // Never finishes its headers.
    let mut slow = connect_from("127.0.10.1", &addr).await?;
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await?;
    let slow_cut = closed_within(&mut slow, Duration::from_secs(8)).await.ok_or_else(|| anyhow!("a half-sent request held for 8 s (header timeout 4 s)"))?;
    // Sends its headers, then a body that never comes.
    let mut body = connect_from("127.0.10.1", &addr).await?;
    body.write_all(b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\nusername=").await?;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(15), body.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    ensure!(answer.starts_with("HTTP/1.1 408"), "a body that never came: {:?}", answer.lines().next());
    // One client address: 8 connections that never finish a request; a 9th from it is
    // served, in the place of its oldest one, and another address is served too.
    let mut held = Vec::new();
    for _ in 0..8 {
        let mut c = connect_from("127.0.10.2", &addr).await?;
        c.write_all(b"G").await?;
        held.push(c);
    }
    let ninth = client_from("127.0.10.2")?.get(m.url("/healthz")).timeout(Duration::from_secs(2)).send().await;
    ensure!(ninth.is_ok_and(|r| r.status().is_success()), "a 9th connection from one address was not served");
    ensure!(closed_within(&mut held[0], Duration::from_millis(1500)).await.is_some(), "the address's oldest half-open connection was kept");
    let other = client_from("127.0.10.3")?.get(m.url("/healthz")).timeout(Duration::from_secs(2)).send().await;
    ensure!(other.is_ok_and(|r| r.status().is_success()), "another address was not served");
    // All 16 held by two addresses: a 17th from a third is served, a half-open one gives way.
    for _ in 0..8 {
        let mut c = connect_from("127.0.10.4", &addr).await?;
        c.write_all(b"G").await?;
        held.push(c);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let extra = client_from("127.0.10.5")?.get(m.url("/healthz")).timeout(Duration::from_secs(2)).send().await;
    ensure!(extra.is_ok_and(|r| r.status().is_success()), "a connection over the cap was not served in a half-open one's place");
    drop(held);
    let mut ok = false;
    for _ in 0..100 {
        if m.health().await.is_some() {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ensure!(ok, "not answering after the held connections closed");
    Ok(format!(
        "silent connection cut after {} ms, half-sent headers after {} ms, missing body 408; a 9th from one address and a 17th overall served in half-open ones' places",
        silent_cut.as_millis(),
        slow_cut.as_millis()
    ))
}

/// 9 loopback addresses × 128 connections that send only an HTTP/2 preface line, against a
/// paired Master: `/healthz` keeps answering, every one of them is closed after the header
/// time, and the Slave does not take over.
async fn half_open_flood_on_a_pair(bin: &Path, dir: &Path) -> Result<String> {
    let a = Mcu::start_with(bin, "MCU-FA", &dir.join("flood-a"), VERSION, &[]).await?;
    let b = Mcu::start_with(bin, "MCU-FB", &dir.join("flood-b"), VERSION, &[]).await?;
    let r = b.enable_at("slave", &a.addr(), 100, 1000).await?;
    ensure!(r.ok(), "enable Slave: {}", r.body);
    let r = a.enable_at("master", &b.addr(), 100, 1000).await?;
    ensure!(r.ok(), "enable Master: {}", r.body);
    let in_sync = |role: &'static str| move |h: &serde_json::Value| h["role"] == role && h["sync_status"] == "ok";
    a.wait_health(Duration::from_secs(15), in_sync("master")).await.map_err(|h| anyhow!("Master never in sync: {h:?}"))?;
    b.wait_health(Duration::from_secs(15), in_sync("slave")).await.map_err(|h| anyhow!("Slave never in sync: {h:?}"))?;
    let addr = a.addr();
    let started = std::time::Instant::now();
    let mut held = Vec::new();
    for host in 1..=9u8 {
        for _ in 0..128 {
            let Ok(mut c) = connect_from(&format!("127.0.{}.{host}", 20), &addr).await else { continue };
            let _ = c.write_all(b"PRI * HTTP/2.0\r\n").await;
            held.push(c);
        }
    }
    let opened = held.len();
    let mut worst = Duration::ZERO;
    let mut failures = 0;
    // The default header time is 10 s: ask through it and past it.
    while started.elapsed() < Duration::from_secs(13) {
        let t = std::time::Instant::now();
        let ok = client_from("127.0.0.1")?.get(a.url("/healthz")).timeout(Duration::from_secs(2)).send().await.is_ok_and(|r| r.status().is_success());
        if !ok {
            failures += 1;
        }
        worst = worst.max(t.elapsed());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let mut still_open = 0;
    for c in held.iter_mut() {
        if closed_within(c, Duration::from_millis(5)).await.is_none() {
            still_open += 1;
        }
    }
    let master = a.health().await.unwrap_or_default();
    let slave = b.health().await.unwrap_or_default();
    ensure!(failures == 0, "/healthz failed {failures}× under the flood (slowest {} ms)", worst.as_millis());
    ensure!(still_open == 0, "{still_open} of {opened} half-open connections still open after 13 s (header time 10 s)");
    ensure!(master["role"] == "master" && slave["role"] == "slave", "roles after the flood: Master {master}, Slave {slave}");
    ensure!(master["epoch"] == slave["epoch"], "a takeover happened: epochs {} and {}", master["epoch"], slave["epoch"]);
    Ok(format!("{opened} half-open connections; /healthz answered every time (slowest {} ms); all closed; no takeover", worst.as_millis()))
}

/// Behind a trusted reverse proxy the login limits and the audit trail see the client the
/// proxy names; anyone else's forwarding header is ignored.
async fn behind_a_proxy(bin: &Path, dir: &Path) -> Result<String> {
    let m = Mcu::start_with(bin, "MCU-PROXY", &dir.join("proxy"), VERSION, &["--trusted-proxy", "127.0.40.1"]).await?;
    let attempt = |from: &'static str, forwarded: &'static str| {
        let m = &m;
        async move {
            let http = client_from(from)?;
            let r = http
                .post(m.url("/api/login"))
                .header("Accept", "application/json")
                .header("X-Forwarded-For", forwarded)
                .form(&[("username", "admin"), ("password", "wrong-password"), ("next", "/")])
                .timeout(Duration::from_secs(20))
                .send()
                .await?;
            Ok::<u16, anyhow::Error>(r.status().as_u16())
        }
    };
    let mut one = Vec::new();
    for _ in 0..6 {
        one.push(attempt("127.0.40.1", "203.0.113.5").await?);
    }
    ensure!(one.ends_with(&[429]) && one.iter().filter(|s| **s == 401).count() == 5, "one client behind the proxy: {one:?}");
    let other = attempt("127.0.40.1", "203.0.113.6").await?;
    ensure!(other == 401, "another client behind the same proxy was limited: {other}");
    let spoofed = attempt("127.0.40.2", "203.0.113.7").await?;
    ensure!(spoofed == 401, "a direct client: {spoofed}");
    let trail = m.api("get_audit", &[("user", ""), ("kind", "login_failed"), ("from", ""), ("to", ""), ("tz_offset_min", "0")]).await?.body;
    ensure!(trail.contains("203.0.113.5") && trail.contains("203.0.113.6"), "the trail lacks the clients behind the proxy: {trail}");
    ensure!(trail.contains("127.0.40.2") && !trail.contains("203.0.113.7"), "a forwarding header from outside the proxy was believed: {trail}");
    Ok("limited per client behind the proxy (5×401 then 429; another client 401); trail names them; a header from elsewhere ignored".into())
}

/// The data folder, database and exports are private whatever the umask.
fn files_private(m: &Mcu) -> Result<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| -> Result<u32> { Ok(std::fs::metadata(p)?.permissions().mode() & 0o777) };
    ensure!(mode(&m.dir)? == 0o700, "data folder {:o}", mode(&m.dir)?);
    let mut checked = Vec::new();
    for e in std::fs::read_dir(&m.dir)? {
        let p = e?.path();
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.starts_with("mcu.sqlite3") || name == "secrets.json" || name == "peer-link.key" {
            ensure!(mode(&p)? == 0o600, "{name} {:o}", mode(&p)?);
            checked.push(name);
        }
    }
    ensure!(checked.len() >= 4, "private files seen: {checked:?}");
    Ok(format!("folder 0700; {} 0600", checked.join(", ")))
}

/// Without `--simulate` the simulation endpoints do not exist.
async fn simulation_off(bin: &Path, dir: &Path) -> Result<String> {
    let m = Mcu::start_without_simulation(bin, "MCU-PROD", &dir.join("prod"), VERSION, &[]).await?;
    let a = m.api("simulate_dial_in", &[("numeric_id", "1"), ("name", "x"), ("address", "10.0.0.1"), ("protocol", "h323")]).await?.status;
    let b = m.api("simulate_link", &[("link", "media"), ("up", "false")]).await?.status;
    ensure!(a == 404 && b == 404, "simulate_dial_in {a}, simulate_link {b}");
    Ok("simulate_dial_in 404, simulate_link 404".into())
}

/// Anonymous callers get 401 before their arguments are read; `next` stays on the site.
async fn anonymous_and_next(m: &Mcu) -> Result<String> {
    let http = client_from("127.0.9.1")?;
    let mut seen = Vec::new();
    for f in ["set_fixed_ports", "set_qos", "add_conference", "reset_mcu", "backup_configuration"] {
        let r = http.post(m.url(&format!("/api/{f}"))).form(&[("tcp_first", "-1.5")]).timeout(Duration::from_secs(10)).send().await?;
        ensure!(r.status().as_u16() == 401, "{f}: {}", r.status());
        seen.push(f);
    }
    for next in ["/\t/evil.example", "//evil.example", "/\\evil.example"] {
        let r = client_from("127.0.9.2")?
            .post(m.url("/api/login"))
            .form(&[("username", "admin"), ("password", PASSWORD), ("next", next)])
            .timeout(Duration::from_secs(10))
            .send()
            .await?;
        let loc = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        ensure!(loc == "/", "next {next:?} sent to {loc:?}");
    }
    let big = "x".repeat(1_000_000);
    let r = reqwest::Client::builder()
        .no_proxy()
        .build()?
        .post(m.url("/api/add_conference"))
        .header("Cookie", m.cookie())
        .form(&[("name", big.as_str())])
        .timeout(Duration::from_secs(10))
        .send()
        .await?;
    ensure!(r.status().as_u16() == 413, "a 1 MB form: {}", r.status());
    Ok(format!("401 for {seen:?}; next stays local; 1 MB form 413"))
}

/// A damaged database is refused at start with a clear message; a backup restores.
async fn damaged_database_and_backup(bin: &Path, dir: &Path) -> Result<String> {
    let data = dir.join("disk");
    let mut m = Mcu::start(bin, "MCU-DISK", &data, VERSION).await?;
    let r = m.api("add_conference", &[("name", "Kept by the backup"), ("numeric_id", "")]).await?;
    ensure!(r.ok(), "{}", r.body);
    // The running MCU's own button, and the command line beside it.
    let b = m.api("backup_configuration", &[]).await?;
    ensure!(b.ok() && b.body.contains("backups"), "backup button: {} {}", b.status, b.body);
    let copy = dir.join("disk-backup.sqlite3");
    let out = std::process::Command::new(bin)
        .args(["backup", "--data-dir"])
        .arg(&data)
        .arg("--to")
        .arg(&copy)
        .output()?;
    ensure!(out.status.success(), "server backup: {}", String::from_utf8_lossy(&out.stderr));
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copy)?.permissions().mode() & 0o777;
        ensure!(mode == 0o600, "backup file mode {mode:o}");
    }
    ensure!(m.terminate_within(Duration::from_secs(5)).is_some(), "did not stop");
    // Damage the database: overwrite pages in the middle.
    let db = data.join("mcu.sqlite3");
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(data.join(format!("mcu.sqlite3{suffix}")));
    }
    let mut bytes = std::fs::read(&db)?;
    ensure!(bytes.len() > 8192, "database unexpectedly small");
    let n = bytes.len();
    for b in bytes.iter_mut().skip(100).take(n - 200) {
        *b = 0x5a;
    }
    std::fs::write(&db, &bytes)?;
    let status = m.spawn_expecting_exit(Duration::from_secs(15))?;
    ensure!(!status.success(), "a damaged database was accepted");
    let log = m.stderr_log();
    ensure!(log.contains("damaged") || log.contains("not a database"), "no clear message: {}", log.lines().last().unwrap_or(""));
    // Restore as documented: copy the backup over the database, start again.
    std::fs::copy(&copy, &db)?;
    m.spawn().await?;
    let list = m.api("list_conferences", &[]).await?.body;
    ensure!(list.contains("Kept by the backup"), "restored data missing: {list}");
    Ok("button + `server backup` (0600); damaged database refused with a message; restored copy starts with the data".into())
}

/// HTTPS with `--tls-cert`/`--tls-key`: the app answers over TLS and its cookie is `Secure`.
async fn tls(bin: &Path, dir: &Path) -> Result<String> {
    let certdir = dir.join("tls");
    std::fs::create_dir_all(&certdir)?;
    let (cert, key) = (certdir.join("cert.pem"), certdir.join("key.pem"));
    // A server (not CA) certificate for 127.0.0.1, as an administrator would get one.
    let conf = certdir.join("openssl.cnf");
    std::fs::write(
        &conf,
        "[req]\ndistinguished_name = dn\nx509_extensions = ext\nprompt = no\n[dn]\nCN = localhost\n\
         [ext]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = digitalSignature\nextendedKeyUsage = serverAuth\n\
         subjectAltName = DNS:localhost, IP:127.0.0.1\n",
    )?;
    let out = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-config"])
        .arg(&conf)
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .context("openssl")?;
    ensure!(out.status.success(), "openssl: {}", String::from_utf8_lossy(&out.stderr));
    let port = free_port()?;
    let data = dir.join("tls-data");
    let mut child = std::process::Command::new(bin)
        .args(["--name", "MCU-TLS", "--listen", &format!("127.0.0.1:{port}"), "--admin-password", PASSWORD])
        .arg("--data-dir")
        .arg(&data)
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let result = async {
        let mut roots = tokio_rustls::rustls::RootCertStore::empty();
        use rustls_pki_types::pem::PemObject;
        for c in rustls_pki_types::CertificateDer::pem_file_iter(&cert)? {
            roots.add(c?)?;
        }
        let provider = std::sync::Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
        let body = format!("username=admin&password={PASSWORD}&next=%2F");
        let request = format!(
            "POST /api/login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut answer = String::new();
        for _ in 0..150 {
            let Ok(tcp) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            let name = rustls_pki_types::ServerName::try_from("127.0.0.1")?.to_owned();
            let mut tls = tokio::time::timeout(Duration::from_secs(5), connector.connect(name, tcp)).await??;
            tls.write_all(request.as_bytes()).await?;
            let mut buf = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut buf)).await;
            answer = String::from_utf8_lossy(&buf).into_owned();
            break;
        }
        ensure!(answer.starts_with("HTTP/1.1 200"), "login over TLS: {}", answer.lines().next().unwrap_or("no answer"));
        let cookie = answer.lines().find(|l| l.to_ascii_lowercase().starts_with("set-cookie:")).unwrap_or("").to_string();
        ensure!(cookie.contains("Secure") && cookie.contains("HttpOnly"), "cookie: {cookie}");
        // The peer link on the same port shows its own certificate, not the HTTPS one.
        let start = serde_json::json!({ "user": "admin", "version": VERSION, "nonce": "ab".repeat(32), "request": "00" }).to_string();
        let (status, body, seen) = peer_tls_at("127.0.0.1", port, "POST", "/peer/v1/pair/start", None, &start).await?;
        let own = hotbackup::identity::fingerprint(&std::fs::read(data.join("peer-link.crt"))?);
        // (It answers as the peer link — here G1, this server runs another version.)
        ensure!(status == 409 && body.contains("G1") && seen == own, "peer link next to HTTPS: {status} {body}; showed {seen}, its own is {own}");
        // Plain HTTP to the TLS port gets no page.
        let plain = reqwest::Client::builder().no_proxy().build()?.get(format!("http://127.0.0.1:{port}/healthz")).timeout(Duration::from_secs(5)).send().await;
        ensure!(plain.map(|r| !r.status().is_success()).unwrap_or(true), "plain HTTP was served on the TLS port");
        Ok::<_, anyhow::Error>("login over TLS 200, cookie Secure; the peer link beside it shows its own certificate; plain HTTP not served".to_string())
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    result
}

#[tokio::main]
async fn main() {
    // Printed as one line (no backtrace), so that a log's tail says what went wrong.
    if let Err(e) = run().await {
        eprintln!("attack: could not run the probes: {e:#}");
        std::process::exit(1);
    }
}

async fn run() -> Result<()> {
    let args = Args::parse();
    let bin = faults::server_binary(args.server)?;
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path();
    let mut t = Tally { probes: 0, failed: Vec::new() };

    let main = Mcu::start(&bin, "MCU-A", &dir.join("a"), VERSION).await?;
    let paired_port = free_port()?;
    t.record("login flood", login_flood(&main).await);
    t.record("oversized login", oversized(&main).await);
    t.record("no lockout of the administrator", no_lockout_of_the_administrator(&main).await);
    t.record("parallel guesses", parallel_guesses(&main).await);
    t.record("peer link: TLS only, pairing limited, credential only", peer_login_limited(&main).await);
    t.record("an impostor on the paired address learns nothing", impostor_learns_nothing(&main).await);
    t.record("cross-origin changes", cross_origin(&main, paired_port).await);
    t.record("security headers", security_headers(&main).await);
    t.record("streams bounded, end on logout", streams_bounded_and_end_on_logout(&main).await);
    t.record("anonymous before arguments, next, body limit", anonymous_and_next(&main).await);
    t.record("files private", files_private(&main));
    t.record("stop with 100 streams", stop_with_streams(&bin, dir).await);
    t.record("reset with streams", reset_with_streams(&bin, dir).await);
    t.record("slow and many connections", slow_and_many_connections(&bin, dir).await);
    t.record("half-open HTTP/2 flood on a pair", half_open_flood_on_a_pair(&bin, dir).await);
    t.record("behind a trusted proxy", behind_a_proxy(&bin, dir).await);
    t.record("simulation off", simulation_off(&bin, dir).await);
    t.record("damaged database, backup and restore", damaged_database_and_backup(&bin, dir).await);
    t.record("TLS", tls(&bin, dir).await);
    let panics = main.stderr_log().contains("panicked");
    t.record("no panic", if panics { Err(anyhow!("the MCU's log shows a panic")) } else { Ok("none in the log".into()) });

    if !t.failed.is_empty() {
        // Repeated last, so that a log's tail names what failed.
        eprintln!("attack: failed probes:");
        for line in &t.failed {
            eprintln!("  {line}");
        }
    }
    println!("attack: {} probes, {} failed", t.probes, t.failed.len());
    if !t.failed.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}
