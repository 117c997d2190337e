//! Who is calling and what every page's frame shows: the shell, the live Hot Backup
//! snapshot, login and logout.

use super::*;

/// What every page's frame shows: this MCU, who is logged in, and (when someone is) the
/// Hot Backup state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shell {
    pub info: SystemInfo,
    pub user: Option<UserView>,
    pub live: Option<LiveHb>,
    /// The live updates announced before the page was made (its event stream starts from
    /// there: `/events?since=`).
    pub changes: u64,
    /// Calls are simulated here (`--simulate`): the pages offer "Simulate a call".
    pub simulate: bool,
    /// This MCU's Hot Backup role now (public, as on `/healthz`): the login page says which
    /// MCU of the pair it is.
    pub role: domain::hotbackup::LiveRole,
}

/// `full`: with the Hot Backup page's event log and checks (that page is being shown).
#[server(endpoint = "get_shell", output = crate::error::Json)]
pub async fn get_shell(full: bool) -> Result<Shell, AppError> {
    answer(async move {
        let st = state()?;
        let changes = st.updates.announced();
        let user = crate::state::current_user(&st).await?;
        let live = match &user {
            Some(u) => Some(live_hb(&st, u, full).await),
            None => None,
        };
        Ok(Shell { info: st.info.clone(), user, live, changes, simulate: st.policy.simulate, role: st.hb.role() })
    })
    .await
}

/// The Hot Backup state every page shares: one snapshot drives the header badge, the
/// Slave's read-only mode and banner, and the Hot Backup page's panel, so they always agree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveHb {
    pub status: domain::hotbackup::HbStatus,
    /// On a Slave: the Master's web address (scheme and host, no path), where changes are
    /// made.
    pub master_url: Option<String>,
    /// This MCU's Active Alarms, counted (the header's indicator); none for a role that
    /// does not see them.
    pub alarms: domain::alarms::AlarmCounts,
    /// Ports in use and participant alerts (the header's gauge); none for a role that does
    /// not see conferences.
    #[serde(default)]
    pub load: Option<McuLoad>,
}

/// How busy the MCU is, as the header shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct McuLoad {
    /// Video and voice ports in use...
    pub used: domain::ports::Ports,
    /// ...of these.
    pub totals: domain::ports::Ports,
    /// Callers awaiting operator assistance and faulty connections.
    pub participant_alerts: u32,
}

impl McuLoad {
    /// Each port type the MCU has, in use of its total: video always, voice when it has
    /// voice ports (the header's gauges and the Overview's).
    pub fn by_type(&self) -> impl Iterator<Item = (&'static str, u32, u32)> {
        [("Video", self.used.video, self.totals.video), ("Voice", self.used.voice, self.totals.voice)]
            .into_iter()
            .filter(|(kind, _, total)| *kind == "Video" || *total > 0)
    }
}

impl LiveHb {
    /// A Slave mirrors its Master: its synced state is read-only (G5).
    pub fn read_only(&self) -> bool {
        self.status.role == domain::hotbackup::LiveRole::Slave
    }

    /// The role badge: "Hot Backup off", "Master · Sync OK", "Slave · Sync Fail"...
    /// The header pill's two parts: the role ("Master", "Slave"; none while Hot Backup is
    /// off) and the sync ("Sync OK", with the lag when it is over a second).
    pub fn badge(&self) -> (Option<&'static str>, String) {
        use domain::hotbackup::LiveRole;
        let sync = self.status.sync_status.label();
        let lag = match self.status.lag_ms {
            ms if ms > 1_000 => format!(" · lag {:.1} s", ms as f64 / 1_000.0),
            _ => String::new(),
        };
        match self.status.role {
            LiveRole::Standalone => (None, "Hot Backup off".into()),
            LiveRole::Master => (Some("Master"), format!("Sync {sync}{lag}")),
            LiveRole::Slave => (Some("Slave"), format!("Sync {sync}{lag}")),
        }
    }

    /// The paired Master's name for the read-only banner (its address until it answered).
    pub fn master_name(&self) -> String {
        self.status.peer_name.clone().unwrap_or_else(|| self.status.peer_address.clone())
    }
}

/// The shared Hot Backup state, fetched again by the frame at every Hot Backup event and
/// once a second. `full` adds the event log and the guideline checks (for the Hot Backup
/// page); those, the digests and the certificate fingerprints only for users who may see
/// the configuration.
#[server(endpoint = "get_live", output = crate::error::Json)]
pub async fn get_live(full: bool) -> Result<LiveHb, AppError> {
    answer(async move {
        let st = state()?;
        let me = crate::state::current_user(&st).await?.ok_or(AppError::NotLoggedIn)?;
        Ok(live_hb(&st, &me, full).await)
    })
    .await
}

#[cfg(feature = "ssr")]
async fn live_hb(st: &crate::state::AppState, me: &UserView, full: bool) -> LiveHb {
    use domain::hotbackup::LiveRole;
    let mut status = if full && me.role.can(Permission::ViewConfiguration) { st.hb.status().await } else { st.hb.status_brief().await };
    if !me.role.can(Permission::ViewConfiguration) {
        status.digest.clear();
        status.peer_digest = None;
        status.fingerprint.clear();
        status.peer_fingerprint.clear();
    }
    let master_url = (status.role == LiveRole::Slave && !status.peer_address.is_empty())
        .then(|| format!("{}://{}", if st.policy.tls { "https" } else { "http" }, status.peer_address));
    let alarms = if me.role.can(Permission::ViewConfiguration) { st.alarms.counts() } else { Default::default() };
    let load = if me.role.can(Permission::ViewConferences) { mcu_load(st).await } else { None };
    LiveHb { status, master_url, alarms, load }
}

/// The header's port gauge and participant alerts (kept by the store until the next write,
/// so most pages read nothing); none when it cannot be read.
#[cfg(feature = "ssr")]
async fn mcu_load(st: &crate::state::AppState) -> Option<McuLoad> {
    let load = match st.store.load_known() {
        Some(l) => l,
        None => st.db(|s| s.load()).await.ok()?,
    };
    let (used, totals) = domain::ports::of_load(st.info.model, &load);
    Some(McuLoad { used, totals, participant_alerts: load.participant_alerts })
}

/// Logs in and sets the session cookie. Wrong name and wrong password get the same answer.
/// Sizes are bounded before anything else; the failed-login limit (per name and client
/// address, and per address) admits and counts the attempt in one step; the password check
/// runs on the bounded password workers (429 with `Retry-After` when they are full).
#[server(endpoint = "login", output = crate::error::Json)]
pub async fn login(
    username: String,
    password: String,
    next: String,
    // A new password, when the policy says the current one has expired (the page asks).
    #[server(default)] new_password: Option<String>,
) -> Result<UserView, AppError> {
    answer(async move {
        use domain::throttle::Outcome;
        let st = state()?;
        let (name, password) = domain::validate::login_credentials(&username, &password)?;
        let client = crate::state::client_ip();
        let ticket = match st.throttle.begin(&name, client) {
            Ok(t) => t,
            Err(r) => {
                if r.first {
                    tracing::warn!(user = ?name, %client, wait_s = r.wait_s, whole_address = r.address,
                        "login refused: too many failed logins (further refusals of this burst are not logged)");
                }
                let whom = if r.address { "from this address" } else { "for this user from this address" };
                return Err(AppError::Throttled {
                    message: format!("Too many failed logins {whom}. Try again in {} s.", r.wait_s),
                    retry_after_s: r.wait_s,
                });
            }
        };
        let (who, password_typed) = (name.clone(), password.clone());
        let checked = st.db(move |s| s.check_login(&who, &password)).await;
        let user = match checked {
            Ok(Some(user)) => {
                ticket.finish(Outcome::Success);
                user
            }
            Ok(None) => {
                ticket.finish(Outcome::Failure);
                // A name that is no user's may be a password typed in the wrong field: it
                // goes neither to the trail nor to the log.
                let who = name.clone();
                let known = st.db(move |s| s.user_exists(&who)).await.unwrap_or(false);
                let shown = if known { name.as_str() } else { domain::audit::UNKNOWN_USER };
                tracing::warn!(user = ?shown, %client, "login failed");
                st.audit_as(shown, None, domain::audit::AuditKind::LoginFailed, "Wrong user name or password.", false).await;
                return Err(AppError::LoginRefused("Wrong user name or password.".into()));
            }
            // The right password of a disabled account: not a guess, but no login.
            Err(AppError::Forbidden(message)) => {
                ticket.finish(Outcome::NotChecked);
                tracing::warn!(user = %name, %client, "login to a disabled account");
                st.audit_as(&name, None, domain::audit::AuditKind::LoginFailed, "Account disabled.", false).await;
                return Err(AppError::LoginRefused(message));
            }
            Err(e) => {
                ticket.finish(Outcome::NotChecked);
                return Err(e);
            }
        };
        // An expired password is changed here, before any session: the new one follows the
        // policy and differs from the old.
        let policy = super::users::password_policy(&st).await?;
        let who = user.name.clone();
        let changed = st.db(move |s| s.password_changed_ms(&who)).await?;
        if policy.expired(changed, domain::store::now_ms()) {
            let expired_on = domain::timefmt::format_utc(policy.expires_at(changed));
            let new = new_password.unwrap_or_default();
            if new.is_empty() {
                return Err(AppError::Invalid { field: "new_password".into(), message: format!("Your password expired on {expired_on}: choose a new one to log in.") });
            }
            let new = policy.check(&user.name, &new).map_err(|e| match e {
                domain::DomainError::Invalid { message, .. } => AppError::Invalid { field: "new_password".into(), message },
                other => other.into(),
            })?;
            if new == password_typed {
                return Err(AppError::Invalid { field: "new_password".into(), message: "The new password is the one that expired: choose another.".into() });
            }
            let who = user.name.clone();
            st.db(move |s| s.set_password(&who, &new, None)).await?;
            st.audit_as(&user.name, Some(user.role), domain::audit::AuditKind::Users, "Changed their expired password at login.", true).await;
        }
        let (who, idle) = (user.name.clone(), st.policy.session_idle_ms);
        let token = st.db(move |s| s.create_session(&who, idle)).await?;
        crate::state::set_cookie(crate::state::session_cookie(&st, Some(&token)));
        tracing::info!(user = %user.name, role = %user.role, %client, "login");
        st.audit_as(&user.name, Some(user.role), domain::audit::AuditKind::Login, "Logged in.", true).await;
        leptos_axum::redirect(&domain::validate::local_path(&next));
        Ok(user)
    })
    .await
}

#[server(endpoint = "logout", output = crate::error::Json)]
pub async fn logout() -> Result<(), AppError> {
    answer(async {
        let st = state()?;
        if let Some(token) = crate::state::session_token(&st) {
            if let Ok(Some(u)) = crate::state::current_user(&st).await {
                st.audit_as(&u.name, Some(u.role), domain::audit::AuditKind::Logout, "Logged out.", true).await;
            }
            st.db(move |s| s.end_session(&token)).await?;
            st.sessions.clear();
        }
        crate::state::set_cookie(crate::state::session_cookie(&st, None));
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}
