//! The HTTP API as a browser (or a script) sees it: the real router, driven without a
//! socket. Each test uses its own temporary data folder.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use server::{build_state, router_for, Config};
use tower::ServiceExt;

const ADMIN_PW: &str = "admin-secret-1";

fn config(dir: &std::path::Path, admin_password: Option<&str>) -> Config {
    Config {
        name: "MCU-T".into(),
        software_version: "9.9.9".into(),
        simulate: true,
        ..Config::for_tests("127.0.0.1:3999".parse().expect("addr"), dir.to_path_buf(), admin_password.map(String::from))
    }
}

async fn app(dir: &std::path::Path) -> Router {
    app_with(&config(dir, Some(ADMIN_PW))).await
}

async fn app_with(cfg: &Config) -> Router {
    router_for(build_state(cfg).await.expect("state"), cfg)
}

#[derive(Debug)]
struct Reply {
    status: StatusCode,
    cookie: Option<String>,
    location: Option<String>,
    body: String,
}

async fn call(app: &Router, path: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Reply {
    call_as(app, path, form, cookie, &[], None).await
}

/// A call with extra headers (Origin, Sec-Fetch-Site...) from a given client address.
async fn call_as(
    app: &Router,
    path: &str,
    form: &[(&str, &str)],
    cookie: Option<&str>,
    headers: &[(&str, &str)],
    client: Option<&str>,
) -> Reply {
    let body: String = form
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut req = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut req = req.body(Body::from(body)).expect("request");
    if let Some(ip) = client {
        let addr: std::net::SocketAddr = format!("{ip}:40000").parse().expect("client address");
        req.extensions_mut().insert(axum::extract::ConnectInfo(addr));
    }
    let res = app.clone().oneshot(req).await.expect("response");
    reply(res).await
}

async fn get(app: &Router, path: &str, cookie: Option<&str>) -> Reply {
    let mut req = Request::get(path).header(header::ACCEPT, "text/html");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let res = app.clone().oneshot(req.body(Body::empty()).expect("request")).await.expect("response");
    reply(res).await
}

async fn reply(res: axum::response::Response) -> Reply {
    let status = res.status();
    let hdr = |h| res.headers().get(h).and_then(|v| v.to_str().ok()).map(String::from);
    let cookie = hdr(header::SET_COOKIE);
    let location = hdr(header::LOCATION);
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    Reply { status, cookie, location, body: String::from_utf8_lossy(&bytes).into_owned() }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Logs in and returns the `name=value` cookie pair.
async fn login(app: &Router, user: &str, pw: &str) -> String {
    let r = call(app, "/api/login", &[("username", user), ("password", pw), ("next", "/")], None).await;
    assert_eq!(r.status, StatusCode::OK, "login as {user}: {}", r.body);
    let set = r.cookie.expect("Set-Cookie");
    set.split(';').next().expect("pair").to_string()
}

#[tokio::test]
async fn a_new_database_needs_an_admin_password_and_there_is_no_default() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = build_state(&config(dir.path(), None)).await.err().expect("refused");
    assert!(format!("{err:#}").contains("--admin-password"), "{err:#}");
    let weak = build_state(&config(dir.path(), Some("short"))).await.err().expect("weak refused");
    assert!(format!("{weak:#}").contains("at least 8"), "{weak:#}");
}

#[tokio::test]
async fn login_sets_a_strict_httponly_cookie_and_wrong_passwords_are_refused_then_throttled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let ok = call(&app, "/api/login", &[("username", "admin"), ("password", ADMIN_PW), ("next", "/users")], None).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let cookie = ok.cookie.expect("cookie");
    assert!(cookie.starts_with("mcu_session_3999="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert_eq!(ok.location.as_deref(), Some("/users"));

    for _ in 0..5 {
        let bad = call(&app, "/api/login", &[("username", "admin"), ("password", "nope-nope"), ("next", "/")], None).await;
        assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
        assert!(bad.body.contains("Wrong user name or password"), "{}", bad.body);
        assert!(bad.cookie.is_none());
    }
    let locked = call(&app, "/api/login", &[("username", "admin"), ("password", ADMIN_PW), ("next", "/")], None).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.body.contains("Too many failed logins"), "{}", locked.body);
}

#[tokio::test]
async fn login_never_redirects_off_site() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let r = call(&app, "/api/login", &[("username", "admin"), ("password", ADMIN_PW), ("next", "//evil.example/x")], None).await;
    assert_eq!(r.location.as_deref(), Some("/"));
}

#[tokio::test]
async fn anonymous_calls_are_refused_and_pages_send_to_login() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    for f in ["list_users", "list_conferences", "get_system_status", "add_user"] {
        let r = call(&app, &format!("/api/{f}"), &[("name", "x"), ("password", "12345678"), ("role", "operator")], None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{f}: {}", r.body);
        assert!(r.body.contains("NotLoggedIn"), "{f}: {}", r.body);
    }
    let page = get(&app, "/users", None).await;
    assert_eq!(page.status, StatusCode::FOUND, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some("/login?next=/users"));
}

#[tokio::test]
async fn every_page_address_renders_its_page_and_any_other_is_not_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    let pages = [
        ("/", "Overview"), ("/conferences", "Conferences"), ("/reservations", "Reservations"),
        ("/meeting-rooms", "Meeting Rooms"), ("/profiles", "Conference Profiles"), ("/entry-queues", "Entry Queues"),
        ("/ivr-services", "IVR Services"), ("/recording-links", "Recording Links"), ("/network", "Network"),
        ("/hot-backup", "Hot Backup"), ("/alarms", "Active Alarms"), ("/system", "System"), ("/users", "Users"),
        ("/audit", "Audit Trail"), ("/history?text=x", "Call History"), ("/resource-report", "Resource Report"),
    ];
    for (path, heading) in pages {
        let r = get(&app, path, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(r.body.contains(&format!(">{heading}</h1>")), "{path}: {}", r.body);
        assert!(!r.body.contains("Page not found"), "{path}");
    }
    // The menu marks the page shown.
    let users = get(&app, "/users", Some(&admin)).await.body;
    assert!(users.contains(r#"<a href="/users" aria-current="page""#), "{users}");
    assert!(!users.contains(r#"<a href="/conferences" aria-current="page""#), "{users}");
    for path in ["/nowhere", "/conferences/a/b", "/users/", "/login/x"] {
        let r = get(&app, path, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(r.body.contains("Page not found"), "{path}");
    }
    // The login page needs no session; a conference that does not exist says so.
    assert!(get(&app, "/login?next=/users", None).await.body.contains(r#"value="/users""#));
    let none = get(&app, "/conferences/no-such-id", Some(&admin)).await;
    assert_eq!(none.status, StatusCode::OK);
    assert!(!none.body.contains("Page not found"), "{}", none.body);
}

#[tokio::test]
async fn roles_are_checked_in_the_server_functions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    for (name, role) in [("ops", "operator"), ("chair", "chairperson"), ("audit", "auditor"), ("ro", "administrator_read_only")] {
        let r = call(&app, "/api/add_user", &[("name", name), ("password", "password-123"), ("role", role)], Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let ops = login(&app, "ops", "password-123").await;
    let r = call(&app, "/api/list_users", &[], Some(&ops)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Operator") && r.body.contains("viewing users"), "{}", r.body);
    assert_eq!(call(&app, "/api/list_conferences", &[], Some(&ops)).await.status, StatusCode::OK);
    // A page the role may not open: 403 with the reason, and none of its controls.
    let page = get(&app, "/audit", Some(&ops)).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("Your role (Operator) does not allow this: reading the audit trail."), "{}", page.body);
    assert!(!page.body.contains("Export CSV") && !page.body.contains("audit-filter"), "{}", page.body);

    let chair = login(&app, "chair", "password-123").await;
    // A Chairperson runs conferences but reads no alarms: the Overview leaves them out.
    let overview = get(&app, "/", Some(&chair)).await.body;
    assert!(overview.contains("Conferences now") && !overview.contains("Active alarms") && !overview.contains("Next reservations"), "{overview}");
    assert_eq!(call(&app, "/api/list_conferences", &[], Some(&chair)).await.status, StatusCode::OK);
    assert_eq!(call(&app, "/api/get_profiles", &[], Some(&chair)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(call(&app, "/api/get_system_status", &[], Some(&chair)).await.status, StatusCode::FORBIDDEN);

    for who in ["audit", "ro"] {
        let c = login(&app, who, "password-123").await;
        assert_eq!(call(&app, "/api/list_users", &[], Some(&c)).await.status, StatusCode::OK, "{who} sees users");
        let r = call(&app, "/api/delete_user", &[("name", "ops")], Some(&c)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} changes nothing");
        let r = call(&app, "/api/add_user", &[("name", "x1"), ("password", "password-123"), ("role", "administrator")], Some(&c)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} changes nothing");
    }
    // Nothing the refused calls tried went through.
    let list = call(&app, "/api/list_users", &[], Some(&admin)).await.body;
    assert!(list.contains("\"ops\"") && !list.contains("\"x1\""), "{list}");
}

#[tokio::test]
async fn bad_input_gets_a_field_error_not_a_500() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    type Form<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Form, &str, &str); 4] = [
        (&[("name", "bad name"), ("password", "password-123"), ("role", "operator")], "name", "may contain"),
        (&[("name", "ok"), ("password", "short"), ("role", "operator")], "password", "at least 8"),
        (&[("name", "ok"), ("password", "password-123"), ("role", "superuser")], "role", "five roles"),
        (&[("name", "ok")], "", "malformed"),
    ];
    for (form, field, text) in cases {
        let r = call(&app, "/api/add_user", form, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}: {}", r.body);
        assert!(r.body.contains(&format!("\"field\":\"{field}\"")) && r.body.contains(text), "{form:?}: {}", r.body);
    }
    let dup = call(&app, "/api/add_user", &[("name", "ADMIN"), ("password", "password-123"), ("role", "operator")], Some(&admin)).await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.body);
    let last = call(&app, "/api/delete_user", &[("name", "admin")], Some(&admin)).await;
    assert_eq!(last.status, StatusCode::CONFLICT, "{}", last.body);
    let demote = call(&app, "/api/set_user_role", &[("name", "admin"), ("role", "operator")], Some(&admin)).await;
    assert_eq!(demote.status, StatusCode::CONFLICT);
    assert!(demote.body.contains("last Administrator"), "{}", demote.body);
}

#[tokio::test]
async fn users_and_sessions_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cookie = {
        let app = app(dir.path()).await;
        let admin = login(&app, "admin", ADMIN_PW).await;
        let r = call(&app, "/api/add_user", &[("name", "night-op"), ("password", "password-123"), ("role", "operator")], Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK);
        admin
    };
    let app = app(dir.path()).await;
    let r = call(&app, "/api/list_users", &[], Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK, "session kept: {}", r.body);
    assert!(r.body.contains("night-op"));
    login(&app, "night-op", "password-123").await;
}

#[tokio::test]
async fn logout_ends_the_session() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    let out = call(&app, "/api/logout", &[], Some(&admin)).await;
    assert!(out.cookie.as_deref().is_some_and(|c| c.contains("Max-Age=0")));
    assert_eq!(call(&app, "/api/list_users", &[], Some(&admin)).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn healthz_is_open_and_holds_no_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let r = get(&app, "/healthz", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    assert_eq!(v["role"], "standalone");
    assert_eq!(v["sync_status"], "none");
    assert!(!r.body.contains(ADMIN_PW));
}

/// A call as it arrives over the peer link's mutual TLS from client certificate `FP-I`
/// (`serve` marks it so), or not.
async fn peer_on(app: &Router, channel: bool, method: &str, path: &str, token: Option<&str>, body: &str) -> Reply {
    peer_from(app, channel.then_some("FP-I"), method, path, token, body).await
}

async fn peer_from(app: &Router, client: Option<&str>, method: &str, path: &str, token: Option<&str>, body: &str) -> Reply {
    let mut req = Request::builder().method(method).uri(path).header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let mut req = req.body(Body::from(body.to_string())).expect("request");
    if let Some(client) = client {
        req.extensions_mut().insert(server::peer::PeerChannel { client: client.to_string() });
    }
    let res = app.clone().oneshot(req).await.expect("response");
    reply(res).await
}

async fn peer(app: &Router, method: &str, path: &str, token: Option<&str>, body: &str) -> Reply {
    peer_on(app, true, method, path, token, body).await
}

fn json(r: &Reply) -> serde_json::Value {
    serde_json::from_str(&r.body).expect("json")
}

/// Pairs with the MCU as `user`/`password` the way the other MCU's engine does (OPAQUE,
/// client certificate `FP-I`): the pair/finish reply, or `Err` when the MCU's answer does
/// not open with this password (the initiator then sends nothing more).
async fn pair(app: &Router, dir: &std::path::Path, user: &str, password: &str) -> Result<Reply, Reply> {
    use domain::pairing;
    let nonce = pairing::random_hex();
    let client = pairing::ClientStart::new(password).expect("start");
    let start = serde_json::json!({ "user": user, "version": "9.9.9", "nonce": nonce, "request": client.request });
    let r = peer(app, "POST", "/peer/v1/pair/start", None, &start.to_string()).await;
    if r.status != StatusCode::OK {
        return Err(r);
    }
    let answer: domain::hotbackup::PairChallenge = serde_json::from_str(&r.body).expect("challenge");
    let theirs = hotbackup::identity::PeerIdentity::load_or_create(dir).expect("identity").fingerprint;
    let Ok(last) = pairing::client_finish(client, user, password, &answer.response, &pairing::context("FP-I", &theirs)) else {
        return Err(r);
    };
    let finish = serde_json::json!({ "user": user, "initiator_nonce": nonce, "responder_nonce": answer.nonce, "finalization": last });
    Ok(peer(app, "POST", "/peer/v1/pair/finish", None, &finish.to_string()).await)
}

#[tokio::test]
async fn the_peer_link_takes_only_its_pairing_credential_and_only_on_its_own_connections() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    for path in ["/peer/v1/heartbeat", "/peer/v1/facts?salt=00", "/peer/v1/log?after=0", "/peer/v1/snapshot"] {
        let r = peer(&app, "GET", path, None, "").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
        let r = peer(&app, "GET", path, Some("forged"), "").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    // An Administrator's browser session is not a peer credential.
    let admin = login(&app, "admin", ADMIN_PW).await;
    let session = admin.split_once('=').map(|(_, v)| v).unwrap_or_default().to_string();
    assert_eq!(peer(&app, "GET", "/peer/v1/heartbeat", Some(&session), "").await.status, StatusCode::UNAUTHORIZED);
    // G1 before anything else; malformed requests are 400.
    let other = serde_json::json!({ "user": "admin", "version": "0.0.1", "nonce": "ab".repeat(32), "request": "00" }).to_string();
    let r = peer(&app, "POST", "/peer/v1/pair/start", None, &other).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("G1") && r.body.contains("0.0.1") && r.body.contains("9.9.9"), "{}", r.body);
    assert_eq!(peer(&app, "POST", "/peer/v1/pair/start", None, "{nonsense").await.status, StatusCode::BAD_REQUEST);
    // A wrong password: the MCU's answer does not open, so the initiator stops there.
    assert!(pair(&app, dir.path(), "admin", "wrong-password").await.is_err());
    let r = pair(&app, dir.path(), "admin", ADMIN_PW).await.expect("the answer opens");
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let credential = json(&r)["credential"].as_str().expect("credential").to_string();
    let hb = peer(&app, "GET", "/peer/v1/heartbeat", Some(&credential), "").await;
    assert_eq!(hb.status, StatusCode::OK);
    assert!(hb.body.contains("\"role\":\"Standalone\""), "{}", hb.body);
    // The credential works only from the certificate that paired.
    let r = peer_from(&app, Some("FP-OTHER"), "GET", "/peer/v1/heartbeat", Some(&credential), "").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "a credential replayed from another key");
    // The G2 verifiers cross keyed by the caller's salt: two salts, two values.
    let facts = |salt: String| {
        let (app, credential) = (app.clone(), credential.clone());
        async move { json(&peer(&app, "GET", &format!("/peer/v1/facts?salt={salt}"), Some(&credential), "").await)["users"][0]["verifier"].clone() }
    };
    let (v1, v2) = (facts("11".repeat(32)).await, facts("22".repeat(32)).await);
    assert!(v1.as_str().is_some_and(|v| v.len() == 64) && v1 != v2, "{v1} {v2}");
    // Not on an ordinary connection, and nothing else on a peer-link one.
    let r = peer_on(&app, false, "GET", "/peer/v1/heartbeat", Some(&credential), "").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("TLS"), "{}", r.body);
    assert_eq!(peer(&app, "GET", "/login", None, "").await.status, StatusCode::NOT_FOUND);
    // A standalone MCU serves no log: only a Master does.
    assert_eq!(peer(&app, "GET", "/peer/v1/log?after=0", Some(&credential), "").await.status, StatusCode::CONFLICT);
    // Pairing again replaces the credential.
    let r = pair(&app, dir.path(), "admin", ADMIN_PW).await.expect("the answer opens");
    let newer = json(&r)["credential"].as_str().expect("credential").to_string();
    assert_eq!(peer(&app, "GET", "/peer/v1/heartbeat", Some(&credential), "").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(peer(&app, "GET", "/peer/v1/heartbeat", Some(&newer), "").await.status, StatusCode::OK);
    // The refusals are alarmed and in the audit trail.
    let alarms = call(&app, "/api/get_alarms", &[], Some(&admin)).await;
    assert!(alarms.body.contains("PeerLinkRefused"), "{}", alarms.body);
    // A forged last message is refused; every answered step 1 is a guess, limited like logins.
    let nonce = domain::pairing::random_hex();
    let client = domain::pairing::ClientStart::new("guess-123").expect("start");
    let start = serde_json::json!({ "user": "admin", "version": "9.9.9", "nonce": nonce, "request": client.request }).to_string();
    let answer = json(&peer(&app, "POST", "/peer/v1/pair/start", None, &start).await);
    let forged = serde_json::json!({ "user": "admin", "initiator_nonce": nonce, "responder_nonce": answer["nonce"], "finalization": "00".repeat(64) });
    assert_eq!(peer(&app, "POST", "/peer/v1/pair/finish", None, &forged.to_string()).await.status, StatusCode::UNAUTHORIZED);
    for _ in 0..4 {
        assert!(pair(&app, dir.path(), "admin", "wrong-password").await.is_err());
    }
    let r = pair(&app, dir.path(), "admin", ADMIN_PW).await.expect_err("limited");
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("too many failed logins"), "{}", r.body);
}

#[tokio::test]
async fn participants_are_validated_counted_against_capacity_and_acted_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    // A small port configuration: 2 ports, applied by the start-up that a reset is.
    let r = call(&app, "/api/set_port_configuration", &[("video_ports", "1"), ("video_resolution", "hd720"), ("voice_ports", "1")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let app = self::app(dir.path()).await;
    assert_eq!(call(&app, "/api/add_conference", &[("name", "Ops"), ("numeric_id", "77")], Some(&admin)).await.status, StatusCode::OK);
    let dup = call(&app, "/api/add_conference", &[("name", "Other"), ("numeric_id", "77")], Some(&admin)).await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", dup.body);
    assert!(dup.body.contains("numeric_id") && dup.body.contains("ID 77 is used by"), "a field error naming the holder: {}", dup.body);

    let bad = call(&app, "/api/simulate_dial_in", &[("numeric_id", "77"), ("name", "X"), ("address", "alice"), ("protocol", "sip")], Some(&admin)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("SIP URI"), "{}", bad.body);
    for who in ["One", "Two"] {
        let r = call(&app, "/api/simulate_dial_in", &[("numeric_id", "77"), ("name", who), ("address", "10.0.0.1"), ("protocol", "h323")], Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        // The one video port goes to the first; the second connects on the voice port.
        assert_eq!(r.body.contains("connected on audio only"), who == "Two", "{}", r.body);
    }
    let report: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_resource_report", &[], Some(&admin)).await.body).expect("json");
    assert_eq!(report["types"], serde_json::json!([
        {"kind": "Video", "occupied": 1, "free": 0, "total": 1},
        {"kind": "Voice", "occupied": 1, "free": 0, "total": 1},
    ]));
    assert_eq!((report["conferences"][0]["name"].as_str(), report["conferences"][0]["video"].as_u64(), report["conferences"][0]["audio_only"].as_u64()),
        (Some("Ops"), Some(1), Some(1)));
    let full = call(&app, "/api/simulate_dial_in", &[("numeric_id", "77"), ("name", "Three"), ("address", "10.0.0.3"), ("protocol", "h323")], Some(&admin)).await;
    assert_eq!(full.status, StatusCode::CONFLICT);
    assert!(full.body.contains("All 2 ports"), "{}", full.body);
    let nowhere = call(&app, "/api/simulate_dial_in", &[("numeric_id", "78"), ("name", "X"), ("address", "10.0.0.1"), ("protocol", "h323")], Some(&admin)).await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);

    let list = call(&app, "/api/list_conferences", &[], Some(&admin)).await.body;
    let v: serde_json::Value = serde_json::from_str(&list).expect("json");
    assert_eq!(v[0]["connected"], 2);
    let id = v[0]["conference"]["id"].as_str().expect("id").to_string();
    let detail: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_conference", &[("id", &id)], Some(&admin)).await.body).expect("json");
    let pid = detail["participants"][0]["id"].as_str().expect("pid").to_string();
    for action in ["mute_audio", "mute_video", "make_chairperson", "disconnect"] {
        let r = call(&app, "/api/participant_action", &[("participant_id", &pid), ("action", action)], Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.body);
    }
    let detail: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_conference", &[("id", &id)], Some(&admin)).await.body).expect("json");
    let p = detail["participants"].as_array().and_then(|a| a.iter().find(|p| p["id"] == pid.as_str()).cloned()).expect("p");
    assert_eq!((p["audio_muted"].clone(), p["video_muted"].clone(), p["chairperson"].clone(), p["state"].clone()),
        (true.into(), true.into(), true.into(), "Disconnected".into()));
    // A port is free again: the third caller gets in.
    let r = call(&app, "/api/simulate_dial_in", &[("numeric_id", "77"), ("name", "Three"), ("address", "10.0.0.3"), ("protocol", "h323")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let weird = call(&app, "/api/participant_action", &[("participant_id", &pid), ("action", "explode")], Some(&admin)).await;
    assert_eq!(weird.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = call(&app, "/api/terminate_conference", &[("id", &id)], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = call(&app, "/api/get_conference", &[("id", &id)], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_event_stream_needs_a_login_and_announces_each_change() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    assert_eq!(get(&app, "/events", None).await.status, StatusCode::UNAUTHORIZED);
    let admin = login(&app, "admin", ADMIN_PW).await;
    let req = Request::get("/events").header(header::COOKIE, &admin).body(Body::empty()).expect("request");
    let res = app.clone().oneshot(req).await.expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/event-stream")));
    let mut body = res.into_body();
    let r = call(&app, "/api/add_conference", &[("name", "Live"), ("numeric_id", "42")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK);
    let frame = tokio::time::timeout(std::time::Duration::from_secs(5), body.frame()).await.expect("an event in time");
    let data = frame.expect("frame").expect("ok").into_data().expect("data");
    let text = String::from_utf8_lossy(&data);
    assert!(text.contains("event: change") && text.contains("data: 1"), "{text}");
}

#[tokio::test]
async fn a_page_whose_stream_opens_after_a_change_hears_of_it_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    let shell = |app: Router, admin: String| async move {
        let r = call(&app, "/api/get_shell", &[("full", "false")], Some(&admin)).await;
        let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
        v["changes"].as_u64().expect("changes")
    };
    let open = |app: Router, admin: String, query: String| async move {
        let req = Request::get(format!("/events{query}")).header(header::COOKIE, &admin).body(Body::empty()).expect("request");
        app.oneshot(req).await.expect("response")
    };
    // The page is made, then a change is announced before its stream opens.
    let made_at = shell(app.clone(), admin.clone()).await;
    let r = call(&app, "/api/add_conference", &[("name", "Meanwhile"), ("numeric_id", "43")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK);
    let mut body = open(app.clone(), admin.clone(), format!("?since={made_at}")).await.into_body();
    let frame = tokio::time::timeout(std::time::Duration::from_secs(5), body.frame()).await.expect("an event at once");
    let data = frame.expect("frame").expect("ok").into_data().expect("data");
    let text = String::from_utf8_lossy(&data);
    assert!(text.contains("event: change"), "{data:?}");
    // With data: a browser never dispatches an event whose data is empty.
    assert!(text.lines().any(|l| l.strip_prefix("data:").is_some_and(|d| !d.trim().is_empty())), "{data:?}");
    // A page made after the change hears nothing until the next one.
    let now = shell(app.clone(), admin.clone()).await;
    assert!(now > made_at);
    let mut quiet = open(app.clone(), admin.clone(), format!("?since={now}")).await.into_body();
    assert!(tokio::time::timeout(std::time::Duration::from_millis(300), quiet.frame()).await.is_err());
    // A malformed start is refused.
    assert_eq!(open(app.clone(), admin.clone(), "?since=x".into()).await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn profiles_and_meeting_rooms_are_validated_shared_ids_and_in_use_profiles_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    let form = [("id", ""), ("name", "HD 1080"), ("line_rate_kbps", "4096"), ("resolution", "hd1080"), ("layout", "2x2"), ("encryption", "on")];
    assert_eq!(call(&app, "/api/save_profile", &form, Some(&admin)).await.status, StatusCode::OK);
    let bad = call(&app, "/api/save_profile", &[("id", ""), ("name", "Odd"), ("line_rate_kbps", "1000"), ("resolution", "sd"), ("layout", "auto")], Some(&admin)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("line_rate_kbps"), "{}", bad.body);
    let dup = call(&app, "/api/save_profile", &form, Some(&admin)).await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "names are unique: {}", dup.body);

    let v: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_profiles", &[], Some(&admin)).await.body).expect("json");
    assert_eq!(v["profiles"][0]["encryption"], true);
    let pid = v["profiles"][0]["id"].as_str().expect("id").to_string();
    let room = |name: &'static str, num: &'static str| {
        [("id", ""), ("name", name), ("numeric_id", num), ("profile_id", ""), ("conference_password", "1234"), ("chairperson_password", "")]
    };
    let mut r1 = room("Board", "1001");
    r1[3].1 = &pid;
    assert_eq!(call(&app, "/api/save_meeting_room", &r1, Some(&admin)).await.status, StatusCode::OK);
    let mut r2 = room("Other", "1001");
    r2[3].1 = &pid;
    let clash = call(&app, "/api/save_meeting_room", &r2, Some(&admin)).await;
    assert_eq!(clash.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(clash.body.contains("used by the meeting room 'Board'"), "{}", clash.body);

    let in_use = call(&app, "/api/delete_resource", &[("kind", "profile"), ("id", &pid)], Some(&admin)).await;
    assert_eq!(in_use.status, StatusCode::CONFLICT);
    assert!(in_use.body.contains("in use by meeting room 'Board'"), "{}", in_use.body);

    let rooms: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_meeting_rooms", &[], Some(&admin)).await.body).expect("json");
    let rid = rooms["rooms"][0]["id"].as_str().expect("id").to_string();
    // Two operators start the room at the same moment: one conference.
    let form = [("id", rid.as_str())];
    let (a, b) = tokio::join!(call(&app, "/api/start_meeting_room", &form, Some(&admin)), call(&app, "/api/start_meeting_room", &form, Some(&admin)));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{} / {}", a.body, b.body);
    let refused = if a.status == StatusCode::CONFLICT { &a.body } else { &b.body };
    assert!(refused.contains("already running"), "{refused}");
    assert_eq!(call(&app, "/api/start_meeting_room", &[("id", &rid)], Some(&admin)).await.status, StatusCode::CONFLICT, "already running");
    // The conference is the room's: its ID and its profile.
    let list: serde_json::Value = serde_json::from_str(&call(&app, "/api/list_conferences", &[], Some(&admin)).await.body).expect("json");
    let started = list.as_array().and_then(|a| a.iter().find(|r| r["conference"]["numeric_id"] == "1001")).expect("the room's conference");
    let id = started["conference"]["id"].as_str().expect("id");
    let detail = call(&app, "/api/get_conference", &[("id", id)], Some(&admin)).await.body;
    assert!(detail.contains(&pid), "{detail}");

    // An Auditor sees the rooms but changes nothing.
    let r = call(&app, "/api/add_user", &[("name", "aud"), ("password", "password-123"), ("role", "auditor")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK);
    let aud = login(&app, "aud", "password-123").await;
    assert_eq!(call(&app, "/api/get_meeting_rooms", &[], Some(&aud)).await.status, StatusCode::OK);
    assert_eq!(call(&app, "/api/delete_resource", &[("kind", "meeting_room"), ("id", &rid)], Some(&aud)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(call(&app, "/api/start_meeting_room", &[("id", &rid)], Some(&aud)).await.status, StatusCode::FORBIDDEN);
}

/// Creates a profile and returns its id.
async fn a_profile(app: &Router, cookie: &str, name: &str) -> String {
    let form = [("id", ""), ("name", name), ("line_rate_kbps", "1920"), ("resolution", "hd720"), ("layout", "auto")];
    assert_eq!(call(app, "/api/save_profile", &form, Some(cookie)).await.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&call(app, "/api/get_profiles", &[], Some(cookie)).await.body).expect("json");
    let found = v["profiles"].as_array().expect("list").iter().find(|p| p["name"] == name).expect("saved");
    found["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn entry_queues_share_the_id_pool_and_an_ivr_in_use_is_kept() {
    let dir = tempfile::tempdir().expect("tmp");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    let pid = a_profile(&app, &admin, "EQ profile").await;
    let r = call(&app, "/api/save_ivr_service", &[("id", ""), ("name", "Welcome"), ("welcome_message", "Hello"), ("ask_conference_password", "on")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let ivrs: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_ivr_services", &[], Some(&admin)).await.body).expect("json");
    let ivr = ivrs["services"][0]["id"].as_str().expect("id").to_string();
    let room = [("id", ""), ("name", "Board"), ("numeric_id", "1000"), ("profile_id", pid.as_str()), ("conference_password", ""), ("chairperson_password", "")];
    assert_eq!(call(&app, "/api/save_meeting_room", &room, Some(&admin)).await.status, StatusCode::OK);
    let mut eq = vec![("id", ""), ("name", "DefaultEQ"), ("numeric_id", "1000"), ("profile_id", pid.as_str()), ("ivr_service_id", ivr.as_str()),
        ("conference_password", ""), ("chairperson_password", "")];
    let clash = call(&app, "/api/save_entry_queue", &eq, Some(&admin)).await;
    assert_eq!(clash.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(clash.body.contains("used by the meeting room 'Board'"), "{}", clash.body);
    eq[2].1 = "1001";
    assert_eq!(call(&app, "/api/save_entry_queue", &eq, Some(&admin)).await.status, StatusCode::OK);
    let kept = call(&app, "/api/delete_resource", &[("kind", "ivr_service"), ("id", &ivr)], Some(&admin)).await;
    assert_eq!(kept.status, StatusCode::CONFLICT);
    assert!(kept.body.contains("in use by the entry queue 'DefaultEQ'"), "{}", kept.body);
    let link = call(&app, "/api/save_recording_link", &[("id", ""), ("name", "Recorder"), ("address", "not valid!")], Some(&admin)).await;
    assert_eq!(link.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(link.body.contains("address"), "{}", link.body);
    let bogus = call(&app, "/api/delete_resource", &[("kind", "users"), ("id", "x")], Some(&admin)).await;
    assert_eq!(bogus.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_dial_in_starts_a_meeting_room_runs_an_entry_queues_ivr_and_an_operator_attends_and_moves() {
    let dir = tempfile::tempdir().expect("tmp");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    let pid = a_profile(&app, &admin, "Std").await;
    let room = [("id", ""), ("name", "Board"), ("numeric_id", "1001"), ("profile_id", pid.as_str()), ("conference_password", "1111"), ("chairperson_password", "9999")];
    assert_eq!(call(&app, "/api/save_meeting_room", &room, Some(&admin)).await.status, StatusCode::OK);
    let r = call(&app, "/api/save_ivr_service", &[("id", ""), ("name", "Welcome"), ("welcome_message", "Hi"), ("ask_conference_password", "on"), ("attempts", "2")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let bad = call(&app, "/api/save_ivr_service", &[("id", ""), ("name", "Other"), ("welcome_message", ""), ("attempts", "9")], Some(&admin)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("attempts"), "{}", bad.body);
    let ivrs: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_ivr_services", &[], Some(&admin)).await.body).expect("json");
    let ivr = ivrs["services"][0]["id"].as_str().expect("id").to_string();
    let eq = [("id", ""), ("name", "DefaultEQ"), ("numeric_id", "1000"), ("profile_id", pid.as_str()), ("ivr_service_id", ivr.as_str()),
        ("conference_password", ""), ("chairperson_password", ""), ("transit", "on")];
    let r = call(&app, "/api/save_entry_queue", &eq, Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let dial = |number: &'static str, name: &'static str, digits: &'static str| {
        let (app, admin) = (app.clone(), admin.clone());
        async move {
            call(&app, "/api/simulate_dial_in", &[("numeric_id", number), ("name", name), ("address", "10.0.0.5"), ("protocol", "h323"), ("digits", digits)], Some(&admin)).await
        }
    };
    // The room's number: the room starts, the chairperson password makes a chairperson.
    let r = dial("1001", "Chair", "9999").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("joined 'Board' as chairperson (the meeting room started)"), "{}", r.body);
    let rooms: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_meeting_rooms", &[], Some(&admin)).await.body).expect("json");
    assert_eq!(rooms["running"], serde_json::json!(["1001"]), "the room is active");
    // Through the entry queue: a wrong ID, then the room's, then its password.
    let r = dial("1000", "Ann", "5555#1001#1111").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("'Ann' joined 'Board'."), "{}", r.body);
    // Two wrong IDs (the IVR's two attempts): awaiting an operator in the queue.
    let r = dial("1000", "Bob", "5#6").await;
    assert!(r.status == StatusCode::OK && r.body.contains("awaiting operator assistance in 'DefaultEQ'"), "{}", r.body);
    // An unknown number lands in the Transit EQ.
    let r = dial("777", "Cy", "").await;
    assert!(r.status == StatusCode::OK && r.body.contains("awaiting operator assistance in 'DefaultEQ'"), "{}", r.body);
    let list: serde_json::Value = serde_json::from_str(&call(&app, "/api/list_conferences", &[], Some(&admin)).await.body).expect("json");
    let row = |name: &str| list.as_array().and_then(|a| a.iter().find(|r| r["conference"]["name"] == name).cloned()).expect(name);
    let (board, lobby) = (row("Board"), row("DefaultEQ"));
    assert_eq!((board["participants"].as_u64(), lobby["participants"].as_u64(), lobby["conference"]["entry_queue"].as_bool()), (Some(2), Some(2), Some(true)));
    let board_id = board["conference"]["id"].as_str().expect("id").to_string();
    let lobby_id = lobby["conference"]["id"].as_str().expect("id").to_string();
    let detail = |id: String| {
        let (app, admin) = (app.clone(), admin.clone());
        async move { serde_json::from_str::<serde_json::Value>(&call(&app, "/api/get_conference", &[("id", &id)], Some(&admin)).await.body).expect("json") }
    };
    let d = detail(lobby_id.clone()).await;
    let bob = d["participants"].as_array().and_then(|a| a.iter().find(|p| p["name"] == "Bob").cloned()).expect("Bob");
    assert_eq!(bob["state"], "AwaitingAssistance");
    assert!(bob["ivr_path"].as_array().is_some_and(|p| p.iter().any(|s| s.as_str().is_some_and(|s| s.contains("5: no such conference")))), "{bob}");
    assert!(d["others"].as_array().is_some_and(|o| o.iter().any(|c| c["id"] == board_id.as_str())), "Board is a place to admit to");
    // Attend: admitted into Board; from the queue, the operator must pick.
    let bob_id = bob["id"].as_str().expect("id").to_string();
    let r = call(&app, "/api/place_participant", &[("participant_id", &bob_id), ("action", "attend"), ("conference_id", "")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = call(&app, "/api/place_participant", &[("participant_id", &bob_id), ("action", "attend"), ("conference_id", &board_id)], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = detail(board_id.clone()).await;
    let bob = d["participants"].as_array().and_then(|a| a.iter().find(|p| p["name"] == "Bob").cloned()).expect("Bob in Board");
    assert_eq!(bob["state"], "Connected");
    // The simulation takes a stream down: a Faulty Connection, counted as an alert.
    let r = call(&app, "/api/simulate_media", &[("participant_id", &bob_id), ("media", "stream_down")], Some(&admin)).await;
    assert!(r.status == StatusCode::OK && r.body.contains("Faulty Connection"), "{}", r.body);
    let alerts: serde_json::Value = serde_json::from_str(&call(&app, "/api/list_participant_alerts", &[], Some(&admin)).await.body).expect("json");
    assert!(alerts.as_array().is_some_and(|a| a.iter().any(|x| x["name"] == "Bob" && x["state"] == "FaultyConnection")), "{alerts}");
    let r = call(&app, "/api/simulate_media", &[("participant_id", &bob_id), ("media", "up")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Move to another conference and Back to Home.
    assert_eq!(call(&app, "/api/add_conference", &[("name", "Ops"), ("numeric_id", "4300")], Some(&admin)).await.status, StatusCode::OK);
    let list: serde_json::Value = serde_json::from_str(&call(&app, "/api/list_conferences", &[], Some(&admin)).await.body).expect("json");
    let ops = list.as_array().and_then(|a| a.iter().find(|r| r["conference"]["name"] == "Ops")).and_then(|r| r["conference"]["id"].as_str()).expect("Ops").to_string();
    let r = call(&app, "/api/place_participant", &[("participant_id", &bob_id), ("action", "move"), ("conference_id", &ops)], Some(&admin)).await;
    assert!(r.status == StatusCode::OK && r.body.contains("moved to 'Ops'"), "{}", r.body);
    let r = call(&app, "/api/place_participant", &[("participant_id", &bob_id), ("action", "home"), ("conference_id", "")], Some(&admin)).await;
    assert!(r.status == StatusCode::OK && r.body.contains("back in 'Board'"), "{}", r.body);
    let r = call(&app, "/api/place_participant", &[("participant_id", &bob_id), ("action", "move"), ("conference_id", &lobby_id)], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "not into an entry queue: {}", r.body);
    // The last caller waiting leaves: the queue's holding place closes by itself.
    let d = detail(lobby_id.clone()).await;
    let cy = d["participants"][0]["id"].as_str().expect("Cy").to_string();
    assert_eq!(call(&app, "/api/participant_action", &[("participant_id", &cy), ("action", "delete")], Some(&admin)).await.status, StatusCode::OK);
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut closed = false;
    while std::time::Instant::now() < until && !closed {
        closed = call(&app, "/api/get_conference", &[("id", &lobby_id)], Some(&admin)).await.status == StatusCode::NOT_FOUND;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(closed, "the empty holding place closed");
    // A locked conference refuses a direct dial; with no Transit EQ an unknown number is refused.
    let eq_off = [("id", ""), ("name", "PlainEQ"), ("numeric_id", "2000"), ("profile_id", pid.as_str()), ("ivr_service_id", ""),
        ("conference_password", ""), ("chairperson_password", ""), ("transit", "on")];
    let r = call(&app, "/api/save_entry_queue", &eq_off, Some(&admin)).await;
    assert!(r.status == StatusCode::OK && r.body.contains("Transit EQ instead of 'DefaultEQ'"), "{}", r.body);
    let r = call(&app, "/api/conference_action", &[("id", &ops), ("action", "lock")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = dial("4300", "Dee", "").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let bad = dial("1001", "Eve", "12a").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("digits"), "{}", bad.body);
}

#[tokio::test]
async fn network_service_tabs_validate_and_security_passwords_never_come_back() {
    let dir = tempfile::tempdir().expect("tmp");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    let ports = |tcp_last: &'static str| [("enabled", "on"), ("tcp_first", "49152"), ("tcp_last", tcp_last), ("udp_first", "49152"), ("udp_last", "50175")];
    let bad = call(&app, "/api/set_fixed_ports", &ports("49000"), Some(&admin)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("tcp_last") && bad.body.contains("must not be below"), "{}", bad.body);
    assert_eq!(call(&app, "/api/set_fixed_ports", &ports("49407"), Some(&admin)).await.status, StatusCode::OK);
    let bad = call(&app, "/api/set_qos", &[("enabled", "on"), ("kind", "precedence"), ("audio", "7"), ("video", "4")], Some(&admin)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("0–5"), "{}", bad.body);
    assert_eq!(call(&app, "/api/set_qos", &[("kind", "diffserv"), ("audio", "0x2E"), ("video", "34")], Some(&admin)).await.status, StatusCode::OK);
    let sec = [("sip_user", "mcu-sip"), ("sip_password", "Very-Secret-42"), ("h323_user", ""), ("h323_password", "")];
    assert_eq!(call(&app, "/api/set_security", &sec, Some(&admin)).await.status, StatusCode::OK);
    // Saving again with an empty password keeps it.
    let again = [("sip_user", "mcu-sip"), ("sip_password", ""), ("h323_user", ""), ("h323_password", "")];
    assert_eq!(call(&app, "/api/set_security", &again, Some(&admin)).await.status, StatusCode::OK);
    let view = call(&app, "/api/get_network_service", &[], Some(&admin)).await.body;
    let v: serde_json::Value = serde_json::from_str(&view).expect("json");
    assert_eq!(v["service"]["fixed_ports"]["enabled"], true);
    assert_eq!(v["service"]["qos"]["audio"], 46);
    assert_eq!(v["security"]["sip_user"], "mcu-sip");
    assert_eq!(v["security"]["sip_password_set"], true);
    assert!(!view.contains("Very-Secret-42"), "the password came back: {view}");
    let page = get(&app, "/network", Some(&admin)).await.body;
    assert!(!page.contains("Very-Secret-42"), "the password is in the page");
    // An Operator sees the tabs but cannot change them.
    let r = call(&app, "/api/add_user", &[("name", "op"), ("password", "password-123"), ("role", "operator")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK);
    let op = login(&app, "op", "password-123").await;
    assert_eq!(call(&app, "/api/get_network_service", &[], Some(&op)).await.status, StatusCode::OK);
    assert_eq!(call(&app, "/api/set_fixed_ports", &ports("49407"), Some(&op)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(call(&app, "/api/set_security", &sec, Some(&op)).await.status, StatusCode::FORBIDDEN);
}

/// Polls `list_conferences` until `name` appears with `participants` participants (bounded):
/// a scheduled start dials its defined participants just after the conference begins.
async fn wait_for_conference(app: &Router, cookie: &str, name: &str, participants: u64, within: std::time::Duration) -> Option<serde_json::Value> {
    let until = std::time::Instant::now() + within;
    while std::time::Instant::now() < until {
        let body = call(app, "/api/list_conferences", &[], Some(cookie)).await.body;
        let rows: serde_json::Value = serde_json::from_str(&body).ok()?;
        if let Some(row) = rows.as_array().and_then(|a| a.iter().find(|r| r["conference"]["name"] == name && r["participants"] == participants)) {
            return Some(row.clone());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    None
}

#[test]
fn a_reservation_starts_at_its_time_even_after_a_restart() {
    let dir = tempfile::tempdir().expect("tmp");
    let start = domain::timefmt::input_value(domain::store::now_ms() + 2_000);
    // First MCU process (a runtime of its own): the reservation is saved, then it stops.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let app = app(dir.path()).await;
        let admin = login(&app, "admin", ADMIN_PW).await;
        let pid = a_profile(&app, &admin, "Res profile").await;
        let form = |name: &'static str, start: &str, parts: &'static str| {
            let mut f = vec![("id", String::new()), ("name", name.into()), ("numeric_id", String::new()), ("profile_id", pid.clone()), ("start", start.into()),
                ("duration", "1:00".into()), ("recurrence", "daily".into()), ("end", "after".into()), ("occurrences", "2".into()), ("participants", parts.into())];
            // Daily on every day of the week.
            f.extend(["day_0", "day_1", "day_2", "day_3", "day_4", "day_5", "day_6"].map(|d| (d, "on".to_string())));
            f
        };
        let bad = form("Bad", "2026-02-30T10:00", "");
        let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = call(&app, "/api/save_reservation", &bad, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("\"start\""), "{}", r.body);
        let good = form("Standup", &start, "Alice, 10.0.0.5\nBob, bob@example.com");
        let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = call(&app, "/api/save_reservation", &good, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    });
    rt.shutdown_timeout(std::time::Duration::from_secs(2));
    // Second start on the same data folder: the scheduler starts it at its time.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let app = app(dir.path()).await;
        let admin = login(&app, "admin", ADMIN_PW).await;
        // The occurrence's conference is numbered, as the original names them.
        let row = wait_for_conference(&app, &admin, "Standup_00001", 2, std::time::Duration::from_secs(10)).await.expect("the reservation started");
        assert_eq!(row["connected"], 2, "defined participants dialled: {row}");
        assert!(row["conference"]["end_ms"].as_i64().is_some(), "it has an end time: {row}");
        // The series moved on to its second (last) occurrence, a day later.
        let v: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_reservations", &[], Some(&admin)).await.body).expect("json");
        assert_eq!(v["reservations"][0]["recurrence"]["Series"]["index"], 2, "{v}");
    });
}

#[tokio::test]
async fn an_attacker_is_throttled_by_address_while_the_administrator_still_logs_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let attacker = Some("10.0.0.66");
    for _ in 0..5 {
        let r = call_as(&app, "/api/login", &[("username", "admin"), ("password", "guess-guess"), ("next", "/")], None, &[], attacker).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    }
    let r = call_as(&app, "/api/login", &[("username", "admin"), ("password", ADMIN_PW), ("next", "/")], None, &[], attacker).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.body.contains("Too many failed logins"), "{}", r.body);
    let real = call_as(&app, "/api/login", &[("username", "admin"), ("password", ADMIN_PW), ("next", "/")], None, &[], Some("10.0.0.1")).await;
    assert_eq!(real.status, StatusCode::OK, "the administrator elsewhere is not locked out: {}", real.body);
}

#[tokio::test]
async fn oversized_logins_are_refused_before_any_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let long_name = "a".repeat(65);
    let r = call(&app, "/api/login", &[("username", &long_name), ("password", "whatever1"), ("next", "/")], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("at most 64"), "{}", r.body);
    let long_pw = "p".repeat(129);
    let r = call(&app, "/api/login", &[("username", "admin"), ("password", &long_pw), ("next", "/")], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let huge = "a".repeat(500_000);
    let r = call(&app, "/api/login", &[("username", &huge), ("password", "x"), ("next", "/")], None).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", &r.body[..r.body.len().min(200)]);
    // None of these counted as a failed login.
    let ok = call(&app, "/api/login", &[("username", "admin"), ("password", ADMIN_PW), ("next", "/")], None).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
}

#[tokio::test]
async fn changes_from_other_origins_are_refused_even_with_the_administrators_cookie() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    let form = [("name", "Forged"), ("numeric_id", "")];
    let own = ("host", "127.0.0.1:3999");
    for (what, headers) in [
        ("another site", vec![own, ("origin", "http://evil.example")]),
        ("the paired MCU (another port of this host)", vec![own, ("origin", "http://127.0.0.1:3001")]),
        ("a sibling host", vec![own, ("sec-fetch-site", "same-site")]),
        ("a cross-site form", vec![own, ("origin", "null"), ("sec-fetch-site", "cross-site")]),
    ] {
        let r = call_as(&app, "/api/add_conference", &form, Some(&admin), &headers, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}: {}", r.body);
        for f in ["logout", "reset_mcu", "login"] {
            let r = call_as(&app, &format!("/api/{f}"), &[], Some(&admin), &headers, None).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{f} from {what}: {}", r.body);
        }
    }
    let r = call(&app, "/api/list_conferences", &[], Some(&admin)).await;
    assert!(!r.body.contains("Forged"), "nothing was created: {}", r.body);
    let same = [own, ("origin", "http://127.0.0.1:3999"), ("sec-fetch-site", "same-origin")];
    let r = call_as(&app, "/api/add_conference", &[("name", "Own page"), ("numeric_id", "")], Some(&admin), &same, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // An origin named by --allowed-origin is accepted.
    let dir2 = tempfile::tempdir().expect("tempdir");
    let cfg = Config { allowed_origins: vec!["https://mcu.example.com".into()], ..config(dir2.path(), Some(ADMIN_PW)) };
    let app2 = app_with(&cfg).await;
    let admin2 = login(&app2, "admin", ADMIN_PW).await;
    let h = [own, ("origin", "https://mcu.example.com"), ("sec-fetch-site", "cross-site")];
    let r = call_as(&app2, "/api/add_conference", &[("name", "Proxied"), ("numeric_id", "")], Some(&admin2), &h, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    for (method, path) in [("GET", "/login"), ("GET", "/healthz"), ("GET", "/nowhere"), ("POST", "/api/list_users")] {
        let req = Request::builder().method(method).uri(path).header(header::ACCEPT, "text/html").body(Body::empty()).expect("request");
        let res = app.clone().oneshot(req).await.expect("response");
        let h = |n: &str| res.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        assert_eq!(h("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(h("referrer-policy"), "no-referrer", "{path}");
        let csp = h("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        if path == "/login" {
            assert!(csp.contains("'nonce-") && csp.contains("'wasm-unsafe-eval'"), "{csp}");
            let nonce = csp.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).expect("nonce").to_string();
            let body = reply(res).await.body;
            assert!(body.contains(&format!("nonce=\"{nonce}\"")), "the hydration script carries the nonce");
        }
    }
}

#[tokio::test]
async fn simulation_endpoints_exist_only_with_simulate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = Config { simulate: false, ..config(dir.path(), Some(ADMIN_PW)) };
    let app = app_with(&cfg).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    for (f, form) in [
        ("simulate_dial_in", vec![("numeric_id", "77"), ("name", "X"), ("address", "10.0.0.1"), ("protocol", "h323")]),
        ("simulate_link", vec![("link", "media"), ("up", "false")]),
        ("simulate_media", vec![("participant_id", "x"), ("media", "up")]),
    ] {
        let r = call(&app, &format!("/api/{f}"), &form, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{f}: {}", r.body);
        assert!(r.body.contains("--simulate"), "{}", r.body);
    }
}

#[tokio::test]
async fn roles_are_checked_before_arguments_and_pins_go_only_to_who_may_change_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    // Anonymous, with malformed or missing arguments: 401, never a validation message.
    for f in ["set_fixed_ports", "set_qos", "set_gatekeeper", "set_dns", "add_conference", "save_reservation", "enable_hot_backup"] {
        let r = call(&app, &format!("/api/{f}"), &[("bogus", "-1.5")], None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{f}: {}", r.body);
    }
    let admin = login(&app, "admin", ADMIN_PW).await;
    let r = call(&app, "/api/add_user", &[("name", "viewer"), ("password", "password-123"), ("role", "administrator_read_only")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let op = login(&app, "viewer", "password-123").await;
    let r = call(&app, "/api/set_qos", &[("kind", "diffserv"), ("audio", "999"), ("video", "x")], Some(&op)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a read-only role is refused before validation: {}", r.body);

    let r = call(&app, "/api/save_profile", &[("id", ""), ("name", "Std"), ("line_rate_kbps", "1024"), ("resolution", "hd720"), ("layout", "1x1")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let profiles = call(&app, "/api/get_profiles", &[], Some(&admin)).await.body;
    let v: serde_json::Value = serde_json::from_str(&profiles).expect("json");
    let profile_id = v["profiles"][0]["id"].as_str().expect("profile id").to_string();
    let r = call(
        &app,
        "/api/save_meeting_room",
        &[("id", ""), ("name", "Board"), ("numeric_id", "4242"), ("profile_id", &profile_id), ("conference_password", "98765"), ("chairperson_password", "13579")],
        Some(&admin),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(call(&app, "/api/get_meeting_rooms", &[], Some(&admin)).await.body.contains("98765"), "the Administrator may change PINs");
    let seen = call(&app, "/api/get_meeting_rooms", &[], Some(&op)).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(seen.body.contains("Board") && !seen.body.contains("98765") && !seen.body.contains("13579"), "{}", seen.body);
}

#[tokio::test]
async fn next_after_login_is_a_local_path_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    for next in ["/\t/evil.example", "//evil.example", "/\\evil.example", "https://evil.example/"] {
        let r = call(&app, "/api/login", &[("username", "admin"), ("password", ADMIN_PW), ("next", next)], None).await;
        assert_eq!(r.location.as_deref(), Some("/"), "{next:?}");
    }
}

#[tokio::test]
async fn on_a_fresh_mcu_a_form_without_a_profile_says_to_create_one_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    // The profile list is empty, so the browser sends no `profile_id` at all.
    let forms: [(&str, Vec<(&str, &str)>); 2] = [
        ("/api/save_meeting_room", vec![("id", ""), ("name", "Board"), ("numeric_id", "1001"), ("conference_password", ""), ("chairperson_password", "")]),
        ("/api/save_entry_queue", vec![("id", ""), ("name", "Lobby"), ("numeric_id", "1002"), ("ivr_service_id", ""), ("conference_password", ""), ("chairperson_password", "")]),
    ];
    for (path, form) in forms {
        let r = call(&app, path, &form, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {}", r.body);
        assert!(r.body.contains("profile_id") && r.body.contains("create one first"), "{path}: {}", r.body);
    }
    // A reservation takes the default profile, as a conference started now does; a profile
    // that does not exist is refused.
    let reservation = |profile: &'static str| {
        vec![("id", ""), ("name", "Weekly"), ("numeric_id", "1003"), ("profile_id", profile), ("start", "2030-01-01T10:00"), ("duration", "1:00"), ("recurrence", "none"), ("participants", "")]
    };
    let r = call(&app, "/api/save_reservation", &reservation("no-such-profile"), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("profile_id"), "{}", r.body);
    let r = call(&app, "/api/save_reservation", &reservation(""), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = call(&app, "/api/get_reservations", &[], Some(&admin)).await;
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    assert_eq!(v["reservations"][0]["profile_id"], "", "{v}");
}

#[tokio::test]
async fn a_series_keeps_the_zone_it_was_made_in_and_the_calendar_counts_the_readers_days() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    let form = |zone: &'static str| {
        vec![("id", ""), ("name", "NY weekly"), ("numeric_id", "1004"), ("profile_id", ""), ("start_date", "2030-01-07"), ("start_time", "09:00"),
            ("time_zone", zone), ("duration", "1:00"), ("recurrence", "weekly"), ("every", "1"), ("end", "after"), ("occurrences", "30"), ("participants", "")]
    };
    let r = call(&app, "/api/save_reservation", &form("Not/AZone"), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("time_zone") && r.body.contains("IANA name"), "{}", r.body);
    let r = call(&app, "/api/save_reservation", &form("America/New_York"), Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("2030-01-07 09:00 (America/New_York)"), "{}", r.body);
    // Read from Sydney: the list keeps New York's wall time, the zone is the reader's.
    let sydney = format!("{admin}; mcu_tz=Australia/Sydney");
    let r = call(&app, "/api/get_reservations", &[], Some(&sydney)).await;
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    assert_eq!((v["zone"].as_str(), v["zone_told"].as_str()), (Some("Australia/Sydney"), Some("Australia/Sydney")), "{v}");
    assert_eq!((v["walls"][0]["zone"].as_str(), v["walls"][0]["time"].as_str()), (Some("America/New_York"), Some("09:00")), "{v}");
    assert_eq!(v["reservations"][0]["recurrence"]["Series"]["zone"]["name"], "America/New_York", "{v}");
    // A cookie naming no zone (or an attacker's long one) reads as UTC; the week asked for
    // is bounded to a year.
    let junk = format!("{admin}; mcu_tz={}", "x".repeat(500));
    let r = call(&app, "/api/get_reservations", &[("week", "99999")], Some(&junk)).await;
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    assert_eq!((v["zone"].as_str(), v["week"].as_u64()), (Some("UTC"), Some(52)), "{v}");
    assert_eq!(v["calendar"].as_array().map(Vec::len), Some(7), "{v}");
}

/// A raw request: the bytes of the answer, unchanged.
async fn raw(app: &Router, req: Request<Body>) -> (StatusCode, Vec<u8>) {
    let res = app.clone().oneshot(req).await.expect("response");
    let status = res.status();
    (status, res.into_body().collect().await.expect("body").to_bytes().to_vec())
}

fn upload(bytes: Vec<u8>, cookie: Option<&str>, origin: Option<&str>) -> Request<Body> {
    let mut req = Request::post("/api/restore_backup").header(header::CONTENT_TYPE, "application/vnd.sqlite3");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    if let Some(o) = origin {
        req = req.header(header::ORIGIN, o);
    }
    req.body(Body::from(bytes)).expect("request")
}

#[test]
fn a_downloaded_backup_uploaded_again_is_restored_at_the_next_reset_and_only_by_an_administrator() {
    let dir = tempfile::tempdir().expect("tmp");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let app = app(dir.path()).await;
        let admin = login(&app, "admin", ADMIN_PW).await;
        let id = a_profile(&app, &admin, "Kept profile").await;
        for (name, role) in [("ro1", "administrator_read_only"), ("op1", "operator")] {
            let r = call(&app, "/api/add_user", &[("name", name), ("password", "password-123"), ("role", role)], Some(&admin)).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
        let get = |cookie: Option<String>| {
            let mut req = Request::get("/api/backup.sqlite3");
            if let Some(c) = cookie {
                req = req.header(header::COOKIE, c);
            }
            req.body(Body::empty()).expect("request")
        };
        // Nobody unknown, no Operator; an Administrator Read-only may download.
        assert_eq!(raw(&app, get(None)).await.0, StatusCode::UNAUTHORIZED);
        let op = login(&app, "op1", "password-123").await;
        assert_eq!(raw(&app, get(Some(op.clone()))).await.0, StatusCode::FORBIDDEN);
        let ro = login(&app, "ro1", "password-123").await;
        let (status, file) = raw(&app, get(Some(ro.clone()))).await;
        assert_eq!(status, StatusCode::OK);
        assert!(file.starts_with(b"SQLite format 3\0"), "an SQLite database");
        assert!(!String::from_utf8_lossy(&file).contains("$argon2"), "no password hash in a backup");
        let left: Vec<String> = std::fs::read_dir(dir.path()).expect("dir").filter_map(|e| e.ok()?.file_name().into_string().ok()).filter(|n| n.starts_with("backup-download")).collect();
        assert!(left.is_empty(), "nothing left behind: {left:?}");
        // Uploading: not logged in (401, before the body is read), not an Administrator,
        // not from this MCU's pages.
        assert_eq!(raw(&app, upload(file.clone(), None, None)).await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(raw(&app, upload(file.clone(), Some(&ro), None)).await.0, StatusCode::FORBIDDEN);
        assert_eq!(raw(&app, upload(file.clone(), Some(&admin), Some("https://evil.example"))).await.0, StatusCode::FORBIDDEN);
        // Not a backup, too large: refused with the reason, nothing kept.
        let (status, said) = raw(&app, upload(b"not a database".to_vec(), Some(&admin), None)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(String::from_utf8_lossy(&said).contains("not an MCU backup"), "{}", String::from_utf8_lossy(&said));
        let (status, _) = raw(&app, upload(vec![0; domain::backup::MAX_UPLOAD + 1], Some(&admin), None)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        // The profile goes; the backup (which has it) is kept for the reset.
        let r = call(&app, "/api/delete_resource", &[("kind", "profile"), ("id", &id)], Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let (status, said) = raw(&app, upload(file, Some(&admin), None)).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&said));
        assert!(String::from_utf8_lossy(&said).contains("restored at the next System Reset"));
        let v: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_system_status", &[], Some(&admin)).await.body).expect("json");
        assert!(v["pending_restore"].as_str().is_some_and(|p| p.starts_with("MCU")), "{v}");
    });
    rt.shutdown_timeout(std::time::Duration::from_secs(2));
    // The System Reset (the next start): the profile is back, the users are this MCU's own.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let app = app(dir.path()).await;
        let admin = login(&app, "admin", ADMIN_PW).await;
        let v: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_profiles", &[], Some(&admin)).await.body).expect("json");
        assert_eq!(v["profiles"][0]["name"], "Kept profile", "{v}");
        login(&app, "op1", "password-123").await;
        let v: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_system_status", &[], Some(&admin)).await.body).expect("json");
        assert!(v["pending_restore"].is_null(), "applied once: {v}");
    });
}

#[tokio::test]
async fn an_operator_records_to_the_profiles_link_and_a_read_only_administrator_may_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    let r = call(&app, "/api/save_recording_link", &[("id", ""), ("name", "Recorder 1"), ("address", "10.0.0.9")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_profiles", &[], Some(&admin)).await.body).expect("json");
    let link = v["recording_links"][0]["id"].as_str().expect("link").to_string();
    let form = |name: &'static str, link: &str| {
        vec![("id", String::new()), ("name", name.to_string()), ("line_rate_kbps", "1920".into()), ("resolution", "hd720".into()), ("layout", "auto".into()), ("recording_link_id", link.to_string())]
    };
    let as_refs = |f: &Vec<(&'static str, String)>| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let bad = as_refs(&form("Bad", "no-such-link"));
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = call(&app, "/api/save_profile", &bad, Some(&admin)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("recording_link_id"), "{}", r.body);
    let good = as_refs(&form("Recorded", &link));
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(call(&app, "/api/save_profile", &good, Some(&admin)).await.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_profiles", &[], Some(&admin)).await.body).expect("json");
    let profile = v["profiles"].as_array().expect("list").iter().find(|p| p["name"] == "Recorded").expect("saved")["id"].as_str().expect("id").to_string();
    // The link a profile names is not deleted.
    let r = call(&app, "/api/delete_resource", &[("kind", "recording_link"), ("id", &link)], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = call(&app, "/api/add_conference", &[("name", "Review"), ("numeric_id", "88"), ("profile_id", &profile)], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let id = serde_json::from_str::<serde_json::Value>(&r.body).expect("json")["href"].as_str().expect("href").trim_start_matches("/conferences/").to_string();
    for (name, role) in [("ro2", "administrator_read_only"), ("op2", "operator")] {
        assert_eq!(call(&app, "/api/add_user", &[("name", name), ("password", "password-123"), ("role", role)], Some(&admin)).await.status, StatusCode::OK);
    }
    let ro = login(&app, "ro2", "password-123").await;
    let r = call(&app, "/api/conference_action", &[("id", &id), ("action", "record_start")], Some(&ro)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let op = login(&app, "op2", "password-123").await;
    let r = call(&app, "/api/conference_action", &[("id", &id), ("action", "record_stop")], Some(&op)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "not recording: {}", r.body);
    let r = call(&app, "/api/conference_action", &[("id", &id), ("action", "record_start")], Some(&op)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("recording to Recorder 1"), "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&call(&app, "/api/list_conferences", &[], Some(&op)).await.body).expect("json");
    assert_eq!(v[0]["conference"]["recording"], "REC", "{v}");
    // Ended while recording: the call record has the span.
    let r = call(&app, "/api/terminate_conference", &[("id", &id)], Some(&op)).await;
    assert!(r.status.is_success() || r.status.is_redirection(), "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_history", &[("text", ""), ("from", ""), ("to", ""), ("tz_offset_min", "0")], Some(&op)).await.body).expect("json");
    let rec = &v["records"][0];
    assert_eq!((rec["recorded_to"].as_str(), rec["recordings"].as_array().map(Vec::len)), (Some("Recorder 1"), Some(1)), "{v}");
}

#[tokio::test]
async fn the_password_policy_is_enforced_on_every_change_and_an_expired_password_is_changed_at_login() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    let r = call(&app, "/api/set_password_policy", &[("min_length", "4"), ("expiry_days", "x")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("min_length") && r.body.contains("expiry_days"), "both at once: {}", r.body);
    let r = call(&app, "/api/set_password_policy", &[("min_length", "12"), ("reject_common", "on"), ("expiry_days", "30")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for (pw, says) in [("short-pw-1", "at least 12"), ("password1234", "")] {
        let r = call(&app, "/api/add_user", &[("name", "pp1"), ("password", pw), ("role", "operator")], Some(&admin)).await;
        if says.is_empty() {
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        } else {
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
            assert!(r.body.contains(says), "{}", r.body);
        }
    }
    let r = call(&app, "/api/set_user_password", &[("name", "pp1"), ("password", "qwertyuiop12")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "not in the list: {}", r.body);
    let r = call(&app, "/api/set_user_password", &[("name", "pp1"), ("password", "PASSWORD123")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "too short and common: {}", r.body);
    // Its password was set 31 days ago: the login asks for a new one, and takes it.
    let db = rusqlite::Connection::open(dir.path().join("mcu.sqlite3")).expect("db");
    let ago = domain::store::now_ms() - 31 * 86_400_000;
    db.execute("UPDATE users SET password_changed_ms = ?1, created_ms = ?1 WHERE name = 'pp1'", [ago]).expect("aged");
    let r = call(&app, "/api/login", &[("username", "pp1"), ("password", "qwertyuiop12"), ("next", "/")], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("new_password") && r.body.contains("expired on"), "{}", r.body);
    assert!(r.cookie.is_none(), "no session");
    let r = call(&app, "/api/login", &[("username", "pp1"), ("password", "qwertyuiop12"), ("next", "/"), ("new_password", "qwertyuiop12")], None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "the same again: {}", r.body);
    let r = call(&app, "/api/login", &[("username", "pp1"), ("password", "qwertyuiop12"), ("next", "/"), ("new_password", "a fresh long one")], None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.cookie.is_some());
    login(&app, "pp1", "a fresh long one").await;
}

#[tokio::test]
async fn an_address_is_dialled_out_once_per_conference() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    let r = call(&app, "/api/add_conference", &[("name", "Weekly"), ("numeric_id", "4242")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list = call(&app, "/api/list_conferences", &[], Some(&admin)).await;
    assert_eq!(list.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&list.body).expect("json");
    let cid = v.as_array().and_then(|a| a.first()).and_then(|c| c["id"].as_str().or(c["conference"]["id"].as_str())).expect("conference id").to_string();
    let dial = |name: &'static str, address: &'static str| {
        let (app, admin, cid) = (app.clone(), admin.clone(), cid.clone());
        async move { call(&app, "/api/add_participant", &[("conference_id", cid.as_str()), ("name", name), ("address", address), ("protocol", "h323")], Some(&admin)).await }
    };
    assert_eq!(dial("Lisbon", "10.0.0.7").await.status, StatusCode::OK);
    let again = dial("Lisbon again", "10.0.0.7").await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", again.body);
    assert!(again.body.contains("already dialled") && again.body.contains("Lisbon"), "{}", again.body);
    assert_eq!(dial("Porto", "10.0.0.8").await.status, StatusCode::OK);
}

#[tokio::test]
async fn conference_actions_and_the_selection_act_as_an_operator_expects() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    let r = call(&app, "/api/add_conference", &[("name", "Board"), ("numeric_id", "4300"), ("duration", "1:00")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list: serde_json::Value = serde_json::from_str(&call(&app, "/api/list_conferences", &[], Some(&admin)).await.body).expect("json");
    let cid = list[0]["conference"]["id"].as_str().expect("id").to_string();
    let end_before = list[0]["conference"]["end_ms"].as_i64().expect("an end time");
    for who in ["Chair", "Ana", "Bo"] {
        let r = call(&app, "/api/simulate_dial_in", &[("numeric_id", "4300"), ("name", who), ("address", "10.1.1.1"), ("protocol", "h323")], Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let detail = |app: Router, admin: String, cid: String| async move {
        let v: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_conference", &[("id", &cid)], Some(&admin)).await.body).expect("json");
        v
    };
    let d = detail(app.clone(), admin.clone(), cid.clone()).await;
    let id_of = |d: &serde_json::Value, name: &str| {
        d["participants"].as_array().and_then(|a| a.iter().find(|p| p["name"] == name)).and_then(|p| p["id"].as_str()).expect("participant").to_string()
    };
    let chair = id_of(&d, "Chair");
    let r = call(&app, "/api/participant_action", &[("participant_id", &chair), ("action", "make_chairperson")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Mute all keeps the chairperson's audio.
    let r = call(&app, "/api/conference_action", &[("id", &cid), ("action", "mute_all")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("muted 2"), "{}", r.body);
    let d = detail(app.clone(), admin.clone(), cid.clone()).await;
    let muted: Vec<(String, bool)> = d["participants"].as_array().expect("list").iter()
        .map(|p| (p["name"].as_str().unwrap_or_default().to_string(), p["audio_muted"].as_bool().unwrap_or_default())).collect();
    assert!(muted.contains(&("Chair".into(), false)) && muted.contains(&("Ana".into(), true)) && muted.contains(&("Bo".into(), true)), "{muted:?}");

    // Locked: nobody new dials in; dial-outs still work; unlocked again, dial-ins do.
    assert_eq!(call(&app, "/api/conference_action", &[("id", &cid), ("action", "lock")], Some(&admin)).await.status, StatusCode::OK);
    let r = call(&app, "/api/simulate_dial_in", &[("numeric_id", "4300"), ("name", "Late"), ("address", "10.1.1.9"), ("protocol", "h323")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("locked"), "{}", r.body);
    let r = call(&app, "/api/add_participant", &[("conference_id", &cid), ("name", "Called"), ("address", "10.1.1.8"), ("protocol", "h323")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(call(&app, "/api/conference_action", &[("id", &cid), ("action", "unlock")], Some(&admin)).await.status, StatusCode::OK);
    let r = call(&app, "/api/simulate_dial_in", &[("numeric_id", "4300"), ("name", "Late"), ("address", "10.1.1.9"), ("protocol", "h323")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Extend by 30 minutes; an unknown extension is refused and changes nothing.
    assert_eq!(call(&app, "/api/conference_action", &[("id", &cid), ("action", "extend_30")], Some(&admin)).await.status, StatusCode::OK);
    let bad = call(&app, "/api/conference_action", &[("id", &cid), ("action", "extend_9999")], Some(&admin)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let d = detail(app.clone(), admin.clone(), cid.clone()).await;
    assert_eq!(d["conference"]["end_ms"].as_i64(), Some(end_before + 30 * 60_000));

    // The selection: disconnect two at once, each named with its cause; an id from
    // elsewhere refuses the whole selection.
    let (ana, bo) = (id_of(&d, "Ana"), id_of(&d, "Bo"));
    let both = format!("{ana},{bo}");
    let r = call(&app, "/api/participants_action", &[("conference_id", &cid), ("ids", &both), ("action", "disconnect")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = detail(app.clone(), admin.clone(), cid.clone()).await;
    for p in d["participants"].as_array().expect("list").iter().filter(|p| p["name"] == "Ana" || p["name"] == "Bo") {
        assert_eq!((p["state"].as_str(), p["disconnect_cause"].as_str()), (Some("Disconnected"), Some("ByOperator")), "{p}");
    }
    let stranger = format!("{ana},not-a-participant");
    let r = call(&app, "/api/participants_action", &[("conference_id", &cid), ("ids", &stranger), ("action", "connect")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = call(&app, "/api/participants_action", &[("conference_id", &cid), ("ids", &both), ("action", "delete")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = detail(app.clone(), admin.clone(), cid.clone()).await;
    assert_eq!(d["participants"].as_array().map(|a| a.len()), Some(3), "Chair, Called and Late stay");

    // An Auditor may look but not act.
    let r = call(&app, "/api/add_user", &[("name", "aud"), ("password", "auditor-pass-1"), ("role", "auditor")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let aud = login(&app, "aud", "auditor-pass-1").await;
    let r = call(&app, "/api/conference_action", &[("id", &cid), ("action", "lock")], Some(&aud)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

#[tokio::test]
async fn the_shared_hot_backup_state_needs_a_login_and_shows_details_only_to_who_may_see_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    assert_eq!(call(&app, "/api/get_live", &[("full", "true")], None).await.status, StatusCode::UNAUTHORIZED);
    let shell: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_shell", &[("full", "false")], None).await.body).expect("json");
    assert!(shell["live"].is_null() && shell["user"].is_null(), "nothing about Hot Backup before a login: {shell}");
    let admin = login(&app, "admin", ADMIN_PW).await;
    let v: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_live", &[("full", "true")], Some(&admin)).await.body).expect("json");
    assert_eq!(v["status"]["role"], "Standalone");
    assert!(!v["status"]["fingerprint"].as_str().unwrap_or_default().is_empty(), "an Administrator sees this MCU's fingerprint");
    assert!(v["master_url"].is_null(), "a standalone MCU is not read-only");
    // A Chairperson does not see the configuration.
    let r = call(&app, "/api/add_user", &[("name", "chair"), ("password", "chair-pass-1"), ("role", "chairperson")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let chair = login(&app, "chair", "chair-pass-1").await;
    let v: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_live", &[("full", "true")], Some(&chair)).await.body).expect("json");
    assert_eq!(v["status"]["role"], "Standalone", "a chairperson sees the role (the badge)");
    assert_eq!(v["status"]["fingerprint"], "", "but not the certificate fingerprint");
    assert_eq!(v["status"]["events"].as_array().map(|e| e.len()), Some(0), "nor the event log");
}

#[tokio::test]
async fn a_chairperson_runs_only_their_conferences_and_those_whose_password_they_entered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    let r = call(&app, "/api/add_user", &[("name", "chair"), ("password", "chair-pass-1"), ("role", "chairperson")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let pid = a_profile(&app, &admin, "Chair profile").await;
    assert_eq!(call(&app, "/api/add_conference", &[("name", "Admins call"), ("numeric_id", "7001")], Some(&admin)).await.status, StatusCode::OK);
    let r = call(&app, "/api/save_meeting_room", &[("id", ""), ("name", "Board room"), ("numeric_id", "7002"), ("profile_id", &pid),
        ("conference_password", ""), ("chairperson_password", "4321")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rooms: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_meeting_rooms", &[], Some(&admin)).await.body).expect("json");
    let room = rooms["rooms"][0]["id"].as_str().expect("room").to_string();
    assert_eq!(call(&app, "/api/start_meeting_room", &[("id", &room)], Some(&admin)).await.status, StatusCode::OK);

    let chair = login(&app, "chair", "chair-pass-1").await;
    assert_eq!(call(&app, "/api/add_conference", &[("name", "Chairs call"), ("numeric_id", "7003")], Some(&chair)).await.status, StatusCode::OK);
    let names = |body: &str| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(body).expect("json");
        let mut n: Vec<String> = v.as_array().map(|a| a.iter().filter_map(|r| r["conference"]["name"].as_str().map(String::from)).collect()).unwrap_or_default();
        n.sort();
        n
    };
    let list = call(&app, "/api/list_conferences", &[], Some(&chair)).await;
    assert_eq!(names(&list.body), vec!["Chairs call".to_string()], "only the one they started");
    assert_eq!(names(&call(&app, "/api/list_conferences", &[], Some(&admin)).await.body).len(), 3, "an Administrator sees all");
    let all: serde_json::Value = serde_json::from_str(&call(&app, "/api/list_conferences", &[], Some(&admin)).await.body).expect("json");
    let id_of = |name: &str| all.as_array().and_then(|a| a.iter().find(|r| r["conference"]["name"] == name)).and_then(|r| r["conference"]["id"].as_str()).expect("id").to_string();
    let (admins, board) = (id_of("Admins call"), id_of("Board room"));
    let listed = call(&app, "/api/list_conferences", &[], Some(&admin)).await.body;
    assert!(!listed.contains("\"4321\"") && !listed.contains("chairperson_password"), "the password is never shown: {listed}");
    for (path, form) in [("/api/get_conference", vec![("id", admins.as_str())]), ("/api/conference_action", vec![("id", admins.as_str()), ("action", "lock")]),
        ("/api/terminate_conference", vec![("id", admins.as_str())])] {
        let r = call(&app, path, &form, Some(&chair)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
    }
    // A wrong password opens nothing; the room's opens its conference, for this session.
    let r = call(&app, "/api/enter_chairperson_password", &[("password", "0000")], Some(&chair)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = call(&app, "/api/enter_chairperson_password", &[("password", "4321")], Some(&chair)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Board room"), "{}", r.body);
    assert_eq!(names(&call(&app, "/api/list_conferences", &[], Some(&chair)).await.body), vec!["Board room".to_string(), "Chairs call".to_string()]);
    assert_eq!(call(&app, "/api/conference_action", &[("id", &board), ("action", "lock")], Some(&chair)).await.status, StatusCode::OK);
    let other_session = login(&app, "chair", "chair-pass-1").await;
    assert_eq!(names(&call(&app, "/api/list_conferences", &[], Some(&other_session)).await.body), vec!["Chairs call".to_string()], "per session");
    // Guessing is throttled like logins.
    let mut throttled = false;
    for _ in 0..30 {
        if call(&app, "/api/enter_chairperson_password", &[("password", "1111")], Some(&chair)).await.status == StatusCode::TOO_MANY_REQUESTS {
            throttled = true;
            break;
        }
    }
    assert!(throttled, "wrong chairperson passwords are limited");
}

#[tokio::test]
async fn alarms_are_raised_by_their_conditions_seen_by_who_may_and_acknowledged_by_an_operator_or_above() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    let alarms = |body: &str| -> Vec<serde_json::Value> {
        serde_json::from_str::<serde_json::Value>(body).expect("json")["active"].as_array().cloned().unwrap_or_default()
    };
    let codes = |body: &str| alarms(body).iter().map(|a| a["code"].as_str().unwrap_or("").to_string()).collect::<Vec<_>>();
    // A setting that needs a System Reset is the original's "Please reset the MCU" alarm...
    let r = call(&app, "/api/set_port_configuration", &[("video_ports", "1"), ("video_resolution", "hd720"), ("voice_ports", "1")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(codes(&call(&app, "/api/get_alarms", &[], Some(&admin)).await.body), vec!["ResetNeeded"]);
    // ...cleared by the start-up that a reset is, and kept in the history (it survives the
    // restart; its writer task saves it at once).
    let mut saved = false;
    for _ in 0..100 {
        let store = domain::store::Store::open(dir.path()).expect("store");
        let book: domain::alarms::AlarmBook = store.local(domain::store::keys::ALARMS).expect("book");
        if !book.active.is_empty() {
            saved = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(saved, "the alarm is on disk");
    let app = self::app(dir.path()).await;
    let r = call(&app, "/api/get_alarms", &[], Some(&admin)).await;
    assert!(codes(&r.body).is_empty(), "{}", r.body);
    assert!(r.body.contains("\"history\":[{") && r.body.contains("ResetNeeded"), "{}", r.body);

    // Two ports: the third caller is refused and the capacity alarm is raised.
    assert_eq!(call(&app, "/api/add_conference", &[("name", "Ops"), ("numeric_id", "77")], Some(&admin)).await.status, StatusCode::OK);
    for (who, addr) in [("One", "10.0.0.1"), ("Two", "10.0.0.2"), ("Three", "10.0.0.3")] {
        call(&app, "/api/simulate_dial_in", &[("numeric_id", "77"), ("name", who), ("address", addr), ("protocol", "h323")], Some(&admin)).await;
    }
    let r = call(&app, "/api/get_alarms", &[], Some(&admin)).await;
    assert_eq!(codes(&r.body), vec!["PortsExhausted"], "{}", r.body);
    let id = alarms(&r.body)[0]["id"].as_u64().expect("id").to_string();
    let metrics = get(&app, "/metrics", None).await.body;
    assert!(metrics.contains("mcu_alarms_active{severity=\"major\"} 1") && metrics.contains("mcu_alarms_unacknowledged 1"), "{metrics}");

    // Who sees and who acknowledges.
    for (name, role) in [("chair", "chairperson"), ("aud", "auditor"), ("ro", "administrator_read_only"), ("op", "operator")] {
        let r = call(&app, "/api/add_user", &[("name", name), ("password", "password-123"), ("role", role)], Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let chair = login(&app, "chair", "password-123").await;
    assert_eq!(call(&app, "/api/get_alarms", &[], Some(&chair)).await.status, StatusCode::FORBIDDEN);
    for who in ["aud", "ro"] {
        let c = login(&app, who, "password-123").await;
        assert_eq!(codes(&call(&app, "/api/get_alarms", &[], Some(&c)).await.body), vec!["PortsExhausted"], "{who} sees them");
        let r = call(&app, "/api/acknowledge_alarm", &[("id", &id)], Some(&c)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body);
    }
    assert_eq!(call(&app, "/api/acknowledge_alarm", &[("id", &id)], None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(call(&app, "/api/acknowledge_alarm", &[("id", "x")], Some(&admin)).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(call(&app, "/api/acknowledge_alarm", &[("id", "999")], Some(&admin)).await.status, StatusCode::NOT_FOUND);
    let op = login(&app, "op", "password-123").await;
    let r = call(&app, "/api/acknowledge_alarm", &[("id", &id)], Some(&op)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let a = &alarms(&call(&app, "/api/get_alarms", &[], Some(&admin)).await.body)[0];
    assert_eq!(a["acked"][0], "op");
    assert!(get(&app, "/metrics", None).await.body.contains("mcu_alarms_unacknowledged 0"));

    // A port frees: the condition has ended and the server's watch clears the alarm.
    let list: serde_json::Value = serde_json::from_str(&call(&app, "/api/list_conferences", &[], Some(&admin)).await.body).expect("json");
    let cid = list[0]["conference"]["id"].as_str().expect("id").to_string();
    let detail: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_conference", &[("id", &cid)], Some(&admin)).await.body).expect("json");
    let pid = detail["participants"][0]["id"].as_str().expect("pid").to_string();
    assert_eq!(call(&app, "/api/participant_action", &[("participant_id", &pid), ("action", "disconnect")], Some(&admin)).await.status, StatusCode::OK);
    let mut cleared = false;
    for _ in 0..80 {
        if codes(&call(&app, "/api/get_alarms", &[], Some(&admin)).await.body).is_empty() {
            cleared = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(cleared, "the capacity alarm clears once a port is free");
}

#[tokio::test]
async fn the_audit_trail_records_who_did_what_and_only_auditors_and_administrators_read_and_export_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    // Failed logins: a user's name is kept, anything else typed as a name is not (it may be
    // a password typed in the wrong field); a change; a refused change; users added.
    let bad = call_as(&app, "/api/login", &[("username", "admin"), ("password", "guess-1234"), ("next", "/")], None, &[], Some("10.6.6.6")).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    let typo = call_as(&app, "/api/login", &[("username", "Tr0ub4dor&3"), ("password", "x"), ("next", "/")], None, &[], Some("10.6.6.7")).await;
    assert_eq!(typo.status, StatusCode::UNAUTHORIZED);
    assert_eq!(call(&app, "/api/add_conference", &[("name", "Board"), ("numeric_id", "77")], Some(&admin)).await.status, StatusCode::OK);
    assert_ne!(call(&app, "/api/add_conference", &[("name", "Board"), ("numeric_id", "78")], Some(&admin)).await.status, StatusCode::OK);
    for (name, role) in [("aud", "auditor"), ("ro", "administrator_read_only"), ("op", "operator"), ("chair", "chairperson")] {
        assert_eq!(call(&app, "/api/add_user", &[("name", name), ("password", "password-123"), ("role", role)], Some(&admin)).await.status, StatusCode::OK);
    }
    let trail = |body: &str| -> Vec<serde_json::Value> {
        serde_json::from_str::<serde_json::Value>(body).expect("json")["entries"].as_array().cloned().unwrap_or_default()
    };
    let filter = |kind: &'static str| [("user", ""), ("kind", kind), ("from", ""), ("to", ""), ("tz_offset_min", "0")];
    let with_logins = [("user", ""), ("kind", ""), ("from", ""), ("to", ""), ("tz_offset_min", "0"), ("logins", "1")];
    let aud = login(&app, "aud", "password-123").await;
    // Logins and logouts are left out unless asked for; a failed login always shows.
    let quiet = trail(&call(&app, "/api/get_audit", &filter(""), Some(&aud)).await.body);
    assert!(quiet.iter().all(|e| e["kind"] != "login" && e["kind"] != "logout"), "{quiet:?}");
    assert!(quiet.iter().any(|e| e["kind"] == "login_failed"), "{quiet:?}");
    let r = call(&app, "/api/get_audit", &with_logins, Some(&aud)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let all = trail(&r.body);
    let has = |kind: &str, user: &str, summary: &str, ok: bool| {
        all.iter().any(|e| e["kind"] == kind && e["user"] == user && e["summary"].as_str().is_some_and(|s| s.contains(summary)) && e["ok"] == ok)
    };
    assert!(has("login_failed", "admin", "Wrong user name or password", false), "{all:?}");
    assert!(all.iter().any(|e| e["kind"] == "login_failed" && e["user"] == "admin" && e["client"] == "10.6.6.6"), "the client address is kept");
    assert!(has("login_failed", "(unknown user)", "Wrong user name or password", false), "{all:?}");
    assert!(!r.body.contains("Tr0ub4dor"), "a name that is no user's reached the trail");
    assert!(has("change", "admin", "Conference 'Board' saved", true), "{all:?}");
    assert!(has("change", "admin", "refused", false), "{all:?}");
    assert!(has("users", "admin", "User 'aud' added as Auditor", true), "{all:?}");
    assert!(has("login", "aud", "Logged in", true));
    let changes = trail(&call(&app, "/api/get_audit", &filter("change"), Some(&aud)).await.body);
    assert!(!changes.is_empty() && changes.iter().all(|e| e["kind"] == "change"), "{changes:?}");
    let wrong = call(&app, "/api/get_audit", &[("user", ""), ("kind", "x"), ("from", "yesterday"), ("to", ""), ("tz_offset_min", "0")], Some(&aud)).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong.body);
    assert!(wrong.body.contains("kind") && wrong.body.contains("from"), "both named: {}", wrong.body);

    // 100 a page, older ones after the cursor, none twice.
    for i in 0..105 {
        let r = call(&app, "/api/add_conference", &[("name", &format!("Paged {i}")), ("numeric_id", &format!("{}", 5000 + i))], Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let first: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_audit", &filter("change"), Some(&aud)).await.body).expect("json");
    assert_eq!(first["entries"].as_array().map(Vec::len), Some(100));
    let cursor = first["next"].as_str().expect("an older page").to_string();
    let mut older = filter("change").to_vec();
    older.push(("before", cursor.as_str()));
    let second = trail(&call(&app, "/api/get_audit", &older, Some(&aud)).await.body);
    assert!(!second.is_empty() && second.len() < 100, "{}", second.len());
    assert!(second.iter().all(|e| first["entries"].as_array().is_some_and(|f| f.iter().all(|x| x["id"] != e["id"]))), "none twice");
    let forged = call(&app, "/api/get_audit", &[("user", ""), ("kind", ""), ("from", ""), ("to", ""), ("tz_offset_min", "0"), ("before", "x")], Some(&aud)).await;
    assert_eq!(forged.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", forged.body);

    // Who reads it.
    let ro = login(&app, "ro", "password-123").await;
    assert_eq!(call(&app, "/api/get_audit", &filter(""), Some(&ro)).await.status, StatusCode::OK);
    for who in ["op", "chair"] {
        let c = login(&app, who, "password-123").await;
        assert_eq!(call(&app, "/api/get_audit", &filter(""), Some(&c)).await.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(get(&app, "/api/audit.csv", Some(&c)).await.status, StatusCode::FORBIDDEN, "{who}");
    }
    assert_eq!(get(&app, "/api/audit.csv", None).await.status, StatusCode::UNAUTHORIZED);
    // The export: the same entries as CSV.
    let csv = get(&app, "/api/audit.csv?kind=change&tz=0", Some(&aud)).await;
    assert_eq!(csv.status, StatusCode::OK);
    let mut lines = csv.body.lines();
    assert_eq!(lines.next(), Some("time_utc,mcu,user,role,client,kind,summary,result,seq"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), changes.len() + 105, "the whole trail, not a page");
    assert!(rows.iter().any(|l| l.contains(",MCU-T,admin,Administrator,") && l.contains("Conference 'Board' saved,ok,")), "{rows:?}");
    assert_eq!(get(&app, "/api/audit.csv?kind=nope", Some(&aud)).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(get(&app, "/api/audit.csv?tz=abc", Some(&aud)).await.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn an_ended_conference_is_kept_with_its_participants_and_exported_to_who_may_read_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    assert_eq!(call(&app, "/api/add_conference", &[("name", "Quarterly"), ("numeric_id", "77")], Some(&admin)).await.status, StatusCode::OK);
    for (who, addr) in [("Alice", "10.0.0.1"), ("Bob", "10.0.0.2"), ("Carol", "10.0.0.3")] {
        let r = call(&app, "/api/simulate_dial_in", &[("numeric_id", "77"), ("name", who), ("address", addr), ("protocol", "h323")], Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let list: serde_json::Value = serde_json::from_str(&call(&app, "/api/list_conferences", &[], Some(&admin)).await.body).expect("json");
    let cid = list[0]["conference"]["id"].as_str().expect("id").to_string();
    let detail: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_conference", &[("id", &cid)], Some(&admin)).await.body).expect("json");
    let id_of = |name: &str| detail["participants"].as_array().and_then(|a| a.iter().find(|p| p["name"] == name)).and_then(|p| p["id"].as_str()).expect("participant").to_string();
    let r = call(&app, "/api/participant_action", &[("participant_id", &id_of("Bob")), ("action", "disconnect")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Carol is deleted while in the call: she is in the record, gone at her delete.
    let r = call(&app, "/api/participant_action", &[("participant_id", &id_of("Carol")), ("action", "delete")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = call(&app, "/api/terminate_conference", &[("id", &cid)], Some(&admin)).await;
    assert!(r.status.is_success() || r.status.is_redirection(), "{}", r.body);

    let filter = [("text", "quart"), ("from", ""), ("to", ""), ("tz_offset_min", "0")];
    let r = call(&app, "/api/get_history", &filter, Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).expect("json");
    let rec = &v["records"][0];
    assert_eq!((rec["name"].as_str(), rec["numeric_id"].as_str()), (Some("Quarterly"), Some("77")));
    assert_eq!(rec["ended"]["Terminated"]["by"], "admin");
    let parts = rec["participants"].as_array().expect("participants");
    assert_eq!(parts.len(), 3);
    let carol = parts.iter().find(|p| p["name"] == "Carol").expect("carol");
    assert!(carol["disconnected_ms"].as_i64().is_some_and(|t| t <= rec["end_ms"].as_i64().unwrap_or(0)), "{carol}");
    let bob = parts.iter().find(|p| p["name"] == "Bob").expect("bob");
    assert!(bob["connected_ms"].is_i64() && bob["disconnected_ms"].is_i64(), "{bob}");
    assert_eq!(bob["cause"], "ByOperator");
    let alice = parts.iter().find(|p| p["name"] == "Alice").expect("alice");
    assert_eq!(alice["disconnected_ms"], rec["end_ms"], "still in the call when it ended");
    let none = call(&app, "/api/get_history", &[("text", "nothing"), ("from", ""), ("to", ""), ("tz_offset_min", "0")], Some(&admin)).await;
    assert_eq!(serde_json::from_str::<serde_json::Value>(&none.body).expect("json")["records"].as_array().map(|a| a.len()), Some(0));
    let bad = call(&app, "/api/get_history", &[("text", ""), ("from", "31/12"), ("to", ""), ("tz_offset_min", "0")], Some(&admin)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Exports, and who may read them.
    let csv = get(&app, "/api/history.csv?text=quart", Some(&admin)).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.body.lines().count(), 4, "a line per participant: {}", csv.body);
    assert!(csv.body.contains("Quarterly,77,") && csv.body.contains(",Bob,10.0.0.2,H.323,Dial-in,") && csv.body.contains("by operator"), "{}", csv.body);
    let json = get(&app, "/api/history.json", Some(&admin)).await;
    assert_eq!(json.status, StatusCode::OK);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&json.body).expect("json")[0]["name"], "Quarterly");
    assert_eq!(call(&app, "/api/add_user", &[("name", "chair"), ("password", "password-123"), ("role", "chairperson")], Some(&admin)).await.status, StatusCode::OK);
    let chair = login(&app, "chair", "password-123").await;
    assert_eq!(call(&app, "/api/get_history", &filter, Some(&chair)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(get(&app, "/api/history.csv", Some(&chair)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(get(&app, "/api/history.json", None).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_page_is_rendered_once_and_sends_its_data_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    let r = call(&app, "/api/add_conference", &[("name", "Rendered Once"), ("numeric_id", "4242")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let page = get(&app, "/conferences", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>Conferences</h1>"), "{}", page.body);
    assert!(page.body.contains(r#"data-conference="Rendered Once""#), "the list is rendered: {}", page.body);
    // Server-side rendering walks a page more than once; each walk that made the page anew
    // would call its server functions again and send their answers with the HTML.
    let copies = page.body.split("__RESOLVED_RESOURCES[").skip(1).filter(|data| data.contains("Rendered Once")).count();
    assert_eq!(copies, 1, "the conference list's data is sent once: {}", page.body);
}

/// The nonces of a page's scripts, which must all be the same one.
fn page_nonce(body: &str) -> String {
    let nonces: std::collections::BTreeSet<&str> =
        body.split("nonce=\"").skip(1).filter_map(|rest| rest.split('"').next()).collect();
    assert_eq!(nonces.len(), 1, "one nonce per page: {nonces:?}");
    nonces.into_iter().next().unwrap_or_default().to_string()
}

#[tokio::test]
async fn a_page_loaded_again_shows_every_change_with_a_new_nonce_and_only_to_a_live_session() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    let r = call(&app, "/api/add_conference", &[("name", "Kept Before"), ("numeric_id", "4243")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let first = get(&app, "/conferences", Some(&admin)).await;
    let again = get(&app, "/conferences", Some(&admin)).await;
    for p in [&first, &again] {
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.body.contains(r#"data-conference="Kept Before""#), "{}", p.body);
    }
    assert_ne!(page_nonce(&first.body), page_nonce(&again.body), "every answer has its own script nonce");
    // A change shows on the very next load, however soon.
    let r = call(&app, "/api/add_conference", &[("name", "Kept After"), ("numeric_id", "4244")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let after = get(&app, "/conferences", Some(&admin)).await;
    assert!(after.body.contains(r#"data-conference="Kept After""#), "the new conference is listed: {}", after.body);
    // Another user's page is their own.
    let r = call(&app, "/api/add_user", &[("name", "oper"), ("password", "oper-pass-123"), ("role", "operator")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let oper = login(&app, "oper", "oper-pass-123").await;
    let theirs = get(&app, "/conferences", Some(&oper)).await;
    assert!(theirs.body.contains(r#"\"name\":\"oper\""#), "the operator's own header: {}", theirs.body);
    // After logging out, the same address with the old cookie goes to the login page.
    let r = call(&app, "/api/logout", &[], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let gone = get(&app, "/conferences", Some(&admin)).await;
    assert_eq!(gone.status, StatusCode::FOUND, "{}", gone.body);
    assert_eq!(gone.location.as_deref(), Some("/login?next=/conferences"));
}

/// Moves the session's last use `ms` into the past (as if that long had passed), and
/// returns when it was last used now.
fn age_session(dir: &std::path::Path, ms: i64) -> i64 {
    let db = rusqlite::Connection::open(dir.join("mcu.sqlite3")).expect("db");
    db.busy_timeout(std::time::Duration::from_secs(5)).expect("busy timeout");
    db.execute("UPDATE sessions SET last_seen_ms = last_seen_ms - ?1", [ms]).expect("update");
    db.query_row("SELECT MAX(last_seen_ms) FROM sessions", [], |r| r.get(0)).expect("session")
}

#[tokio::test]
async fn what_a_page_does_by_itself_does_not_keep_its_session_alive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = Config { session_idle_minutes: 1, ..config(dir.path(), Some(ADMIN_PW)) };
    let app = app_with(&cfg).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    // 50 s without the user: the page's polling and reloading answer, but move nothing.
    let aged = age_session(dir.path(), 50_000);
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await; // past the session cache
    for (f, args) in [("/api/get_live", &[("full", "false")][..]), ("/api/list_conferences", &[]), ("/api/get_alarms", &[])] {
        let r = call(&app, f, args, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{f}: {}", r.body);
    }
    assert_eq!(age_session(dir.path(), 0), aged, "a background read counted as the user's activity");
    // A page the user opens does count.
    assert_eq!(get(&app, "/", Some(&admin)).await.status, StatusCode::OK);
    assert!(age_session(dir.path(), 0) > aged + 40_000, "a page load did not count as activity");
    // Past the idle limit with only the page polling: the session has ended.
    age_session(dir.path(), 61_000);
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let r = call(&app, "/api/get_live", &[("full", "false")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert!(r.body.contains("NotLoggedIn"), "{}", r.body);
}

#[tokio::test]
async fn exports_run_a_few_at_a_time_per_user_and_in_all() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path(), Some(ADMIN_PW));
    let st = build_state(&cfg).await.expect("state");
    let app = router_for(st.clone(), &cfg);
    let admin = login(&app, "admin", ADMIN_PW).await;
    assert_eq!(call(&app, "/api/add_user", &[("name", "aud"), ("password", "password-123"), ("role", "auditor")], Some(&admin)).await.status, StatusCode::OK);
    let aud = login(&app, "aud", "password-123").await;
    const CSV: &str = "/api/audit.csv?user=&kind=&from=&to=&tz=0";
    assert_eq!(get(&app, CSV, Some(&aud)).await.status, StatusCode::OK);
    // Two of the Auditor's downloads in progress (held here as a slow client would hold them).
    let held: Vec<_> = (0..2).map(|_| st.exports.take("aud".into(), app::state::MAX_EXPORTS_PER_USER).expect("slot")).collect();
    let r = get(&app, CSV, Some(&aud)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.body.contains("already have 2 exports"), "{}", r.body);
    assert_eq!(get(&app, "/api/history.csv?text=&from=&to=&tz=0", Some(&aud)).await.status, StatusCode::TOO_MANY_REQUESTS);
    // Someone else still may, until the MCU runs its limit in all.
    assert_eq!(get(&app, CSV, Some(&admin)).await.status, StatusCode::OK);
    let more: Vec<_> = (0..2).map(|_| st.exports.take("other".into(), app::state::MAX_EXPORTS_PER_USER).expect("slot")).collect();
    let r = get(&app, CSV, Some(&admin)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.body.contains("busy with other exports"), "{}", r.body);
    drop((held, more));
    assert_eq!(get(&app, CSV, Some(&aud)).await.status, StatusCode::OK, "the limits are given back");
}

#[tokio::test]
async fn an_export_streams_the_whole_trail_and_holds_its_slot_only_while_a_client_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path(), Some(ADMIN_PW));
    let st = build_state(&cfg).await.expect("state");
    let app = router_for(st.clone(), &cfg);
    let admin = login(&app, "admin", ADMIN_PW).await;
    // More entries than the page shows (the export is the way to read them all).
    let n = domain::audit::MAX_ROWS + 1_234;
    {
        let mut db = rusqlite::Connection::open(dir.path().join("mcu.sqlite3")).expect("db");
        let tx = db.transaction().expect("tx");
        for i in 0..n {
            tx.execute(
                "INSERT INTO audit (at_ms, mcu, user, role, client, kind, summary, ok, seq) VALUES (?1, 'MCU', 'ops', NULL, '10.0.0.1', 'login', ?2, 1, NULL)",
                rusqlite::params![1_700_000_000_000i64 + (i / 3) as i64, format!("row {i}")],
            )
            .expect("row");
        }
        tx.commit().expect("commit");
    }
    let csv = get(&app, "/api/audit.csv?kind=login&tz=0", Some(&admin)).await;
    assert_eq!(csv.status, StatusCode::OK);
    let rows: std::collections::HashSet<&str> = csv.body.lines().skip(1).filter_map(|l| l.split(',').nth(6)).filter(|s| s.starts_with("row ")).collect();
    assert_eq!(rows.len(), n, "every entry once, beyond the page's {}", domain::audit::MAX_ROWS);
    assert!(csv.body.starts_with("time_utc,"), "one header");
    assert_eq!(csv.body.matches("time_utc,").count(), 1, "one header");
    // Compressed as a browser asks for it (the compression layer asks the stream again
    // after its end): the same rows, whole.
    let req = Request::get("/api/audit.csv?kind=login&tz=0")
        .header(header::COOKIE, admin.as_str())
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .expect("request");
    let res = app.clone().oneshot(req).await.expect("response");
    assert_eq!(res.headers().get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()), Some("gzip"));
    let zipped = res.into_body().collect().await.expect("a whole compressed body").to_bytes();
    let mut csv_text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&zipped[..]), &mut csv_text).expect("gzip");
    assert_eq!(csv_text, csv.body, "the same export, compressed");
    // A client that has the answer but has not read it holds its slot; going away frees it.
    let req = Request::get("/api/audit.csv").header(header::COOKIE, admin.as_str()).body(Body::empty()).expect("request");
    let res = app.clone().oneshot(req).await.expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(st.exports.open(), 1, "held while the body is being read");
    drop(res);
    let mut freed = false;
    for _ in 0..100 {
        if st.exports.open() == 0 {
            freed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(freed, "the slot of a client that went away is given back");
}

#[tokio::test]
async fn an_operators_selection_is_applied_whole_or_not_at_all() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = app(dir.path()).await;
    let admin = login(&app, "admin", ADMIN_PW).await;
    // Two ports (applied at the next start, as a System Reset does).
    let r = call(&app, "/api/set_port_configuration", &[("video_ports", "1"), ("video_resolution", "hd720"), ("voice_ports", "1")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let app = self::app(dir.path()).await;
    assert_eq!(call(&app, "/api/add_conference", &[("name", "Ops"), ("numeric_id", "77")], Some(&admin)).await.status, StatusCode::OK);
    let list: serde_json::Value = serde_json::from_str(&call(&app, "/api/list_conferences", &[], Some(&admin)).await.body).expect("json");
    let cid = list[0]["conference"]["id"].as_str().expect("id").to_string();
    let participants = |app: Router| {
        let (admin, cid) = (admin.clone(), cid.clone());
        async move {
            let v: serde_json::Value = serde_json::from_str(&call(&app, "/api/get_conference", &[("id", &cid)], Some(&admin)).await.body).expect("json");
            v["participants"].as_array().cloned().unwrap_or_default()
        }
    };
    let ids = |ps: &[serde_json::Value]| ps.iter().filter_map(|p| p["id"].as_str()).collect::<Vec<_>>().join(",");
    let states = |ps: &[serde_json::Value]| ps.iter().map(|p| p["state"].as_str().unwrap_or("").to_string()).collect::<Vec<_>>();
    for (who, addr) in [("One", "10.0.0.1"), ("Two", "10.0.0.2")] {
        let r = call(&app, "/api/simulate_dial_in", &[("numeric_id", "77"), ("name", who), ("address", addr), ("protocol", "h323")], Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let ps = participants(app.clone()).await;
    let r = call(&app, "/api/participants_action", &[("conference_id", &cid), ("ids", &ids(&ps)), ("action", "disconnect")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = call(&app, "/api/add_participant", &[("conference_id", &cid), ("name", "Three"), ("address", "10.0.0.3"), ("protocol", "h323")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let ps = participants(app.clone()).await;
    let three = ps.iter().find(|p| p["name"] == "Three").and_then(|p| p["id"].as_str()).expect("Three").to_string();
    let r = call(&app, "/api/participants_action", &[("conference_id", &cid), ("ids", &three), ("action", "disconnect")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Three calls for two ports: refused, and none of the three is called.
    let r = call(&app, "/api/participants_action", &[("conference_id", &cid), ("ids", &ids(&ps)), ("action", "connect")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("need 3 ports, but only 2"), "{}", r.body);
    let ps = participants(app.clone()).await;
    assert_eq!(states(&ps), vec!["Disconnected"; 3], "nothing of a refused selection is applied");
    // Two of them fit: both are called.
    let two: Vec<&serde_json::Value> = ps.iter().filter(|p| p["name"] != "Three").collect();
    let two_ids = two.iter().filter_map(|p| p["id"].as_str()).collect::<Vec<_>>().join(",");
    let r = call(&app, "/api/participants_action", &[("conference_id", &cid), ("ids", &two_ids), ("action", "connect")], Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // One video and one voice port: one with video, the other on audio only.
    let mut now = states(&participants(app.clone()).await);
    now.sort();
    assert_eq!(now, vec!["Connected", "Disconnected", "PartiallyConnected"]);
}
