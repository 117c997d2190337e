//! The Hot Backup page: its data, enable, settings, disable, failover, the simulated links.

use super::*;

/// The Hot Backup page's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HotBackupView {
    pub status: domain::hotbackup::HbStatus,
    pub settings: HotBackupSettings,
    pub can_manage: bool,
    /// This MCU's name (typed to confirm a failover or disable) and what is going on here
    /// (the confirmation says what would stop).
    pub mcu: String,
    pub ongoing: domain::danger::Ongoing,
    /// Why "MCU Role" cannot change now (`None`: saving another role reverses the pair's
    /// roles): `domain::hotbackup::role_lock`.
    pub role_lock: Option<String>,
}

#[server(endpoint = "get_hot_backup", output = crate::error::Json)]
pub async fn get_hot_backup() -> Result<HotBackupView, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewConfiguration).await?;
        let ongoing = st.db(|s| s.ongoing()).await?;
        let status = st.hb.status().await;
        let role_lock = role_lock(&status, ongoing);
        Ok(HotBackupView {
            status,
            role_lock,
            settings: st.hb.settings(),
            can_manage: me.role.can(Permission::ManageConfiguration),
            mcu: st.info.name.clone(),
            ongoing,
        })
    })
    .await
}

/// The paired MCU by name (its address until it was heard).
#[cfg(feature = "ssr")]
fn peer_of(status: &domain::hotbackup::HbStatus) -> String {
    status.peer_name.clone().unwrap_or_else(|| status.peer_address.clone())
}

/// Why "MCU Role" cannot change now on this MCU (`domain::hotbackup::role_lock`).
#[cfg(feature = "ssr")]
fn role_lock(status: &domain::hotbackup::HbStatus, ongoing: domain::danger::Ongoing) -> Option<String> {
    domain::hotbackup::role_lock(status.role, &peer_of(status), ongoing.conferences, ongoing.reservations)
}

#[cfg(feature = "ssr")]
fn number(field: &'static str, raw: &str, what: &str) -> Result<u32, AppError> {
    raw.trim()
        .parse()
        .map_err(|_| AppError::Invalid { field: field.into(), message: format!("{what} must be a whole number.") })
}

/// Enables Hot Backup on this MCU after checking the guidelines against the paired MCU.
/// `password` is the caller's own: the peer link logs in to the paired MCU as them.
#[server(endpoint = "enable_hot_backup", output = crate::error::Json)]
pub async fn enable_hot_backup(
    role: String,
    peer_address: String,
    heartbeat_ms: String,
    detection_ms: String,
    inactivity_s: String,
    signalling_trigger: Option<String>,
    media_trigger: Option<String>,
    password: String,
    redial_interval_s: Option<String>,
    redial_attempts: Option<String>,
    isolation_address: Option<String>,
) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageConfiguration).await?;
        let role = match role.as_str() {
            "master" => domain::HotBackupRole::Master,
            "slave" => domain::HotBackupRole::Slave,
            _ => return Err(AppError::Invalid { field: "role".into(), message: "Choose Master MCU or Slave MCU.".into() }),
        };
        let form = SettingsForm {
            peer_address,
            heartbeat_ms,
            detection_ms,
            inactivity_s,
            signalling_trigger,
            media_trigger,
            redial_interval_s,
            redial_attempts,
            isolation_address,
        };
        let settings = HotBackupSettings { role, ..form.settings()? };
        if password.is_empty() {
            return Err(AppError::Invalid {
                field: "password".into(),
                message: "Enter your password: the paired MCU is logged in to as you (the users are the same on both, G2).".into(),
            });
        }
        let checks = st.hb.enable(settings, &me.name, &password).await?;
        let warnings: Vec<String> = checks.iter().filter(|c| !c.passed).map(|c| c.reason.clone()).collect();
        tracing::info!(by = %me.name, ?role, "Hot Backup enabled");
        st.audit(domain::audit::AuditKind::HotBackup, &format!("Hot Backup enabled as the {role:?}."), true).await;
        Ok(if warnings.is_empty() {
            "Hot Backup enabled. All guideline checks passed.".into()
        } else {
            format!("Hot Backup enabled, with a warning: {}", warnings.join(" "))
        })
    })
    .await
}

/// The settings fields shared by enabling and changing Hot Backup.
#[cfg(feature = "ssr")]
struct SettingsForm {
    peer_address: String,
    heartbeat_ms: String,
    detection_ms: String,
    inactivity_s: String,
    signalling_trigger: Option<String>,
    media_trigger: Option<String>,
    redial_interval_s: Option<String>,
    redial_attempts: Option<String>,
    isolation_address: Option<String>,
}

#[cfg(feature = "ssr")]
impl SettingsForm {
    /// Parsed (numbers); `domain::hotbackup::validate_settings` judges the values. Fields a
    /// script leaves out take their defaults.
    fn settings(self) -> Result<HotBackupSettings, AppError> {
        let d = HotBackupSettings::default();
        let optional = |field: &'static str, raw: Option<String>, what: &str, default: u32| match raw.as_deref().map(str::trim) {
            None | Some("") => Ok(default),
            Some(v) => number(field, v, what),
        };
        Ok(HotBackupSettings {
            enabled: true,
            role: d.role,
            peer_address: self.peer_address,
            heartbeat_ms: number("heartbeat_ms", &self.heartbeat_ms, "The heartbeat interval")?,
            detection_ms: number("detection_ms", &self.detection_ms, "The detection time")?,
            signalling_trigger: self.signalling_trigger.is_some(),
            media_trigger: self.media_trigger.is_some(),
            inactivity_s: number("inactivity_s", &self.inactivity_s, "The inactivity time")?,
            redial_interval_s: optional("redial_interval_s", self.redial_interval_s, "The redial interval", d.redial_interval_s)?,
            redial_attempts: optional("redial_attempts", self.redial_attempts, "The number of redial attempts", d.redial_attempts)?,
            isolation_address: self.isolation_address.unwrap_or_default(),
        })
    }
}

/// Changes the Hot Backup settings while paired, on this MCU (each MCU has its own): the
/// timings, the triggers, the isolation check address, the paired address, the redial —
/// the original's dialog. From that dialog (`hb_form` sent) "Hot Backup Enabled" unticked
/// disables (with `confirm`, this MCU's name typed), and another "MCU Role" reverses the
/// pair's roles when G8 allows it (`domain::hotbackup::settings_save`). An API client that
/// sends neither keeps both.
#[allow(clippy::too_many_arguments)]
#[server(endpoint = "update_hot_backup_settings", output = crate::error::Json)]
pub async fn update_hot_backup_settings(
    hb_form: Option<String>,
    enabled: Option<String>,
    role: Option<String>,
    confirm: Option<String>,
    peer_address: String,
    heartbeat_ms: String,
    detection_ms: String,
    inactivity_s: String,
    signalling_trigger: Option<String>,
    media_trigger: Option<String>,
    redial_interval_s: Option<String>,
    redial_attempts: Option<String>,
    isolation_address: Option<String>,
) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageConfiguration).await?;
        use domain::hotbackup::SettingsSave;
        let asked = match role.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("master") => Some(domain::HotBackupRole::Master),
            Some("slave") => Some(domain::HotBackupRole::Slave),
            Some(_) => return Err(AppError::Invalid { field: "role".into(), message: "Choose Master MCU or Slave MCU.".into() }),
        };
        let ongoing = st.db(|s| s.ongoing()).await?;
        let status = st.hb.status_brief().await;
        let lock = role_lock(&status, ongoing);
        // The paired MCU, which a role reversal makes the Master.
        let peer = peer_of(&status);
        let now = match status.role {
            domain::hotbackup::LiveRole::Slave => domain::HotBackupRole::Slave,
            _ => domain::HotBackupRole::Master,
        };
        let enabled = hb_form.is_none() || enabled.is_some();
        let save = domain::hotbackup::settings_save(enabled, asked, now, lock.as_deref())?;
        if save == SettingsSave::Disable {
            domain::validate::typed_mcu_name(confirm.as_deref(), &st.info.name)?;
            st.hb.disable().await?;
            tracing::info!(by = %me.name, "Hot Backup disabled from its settings");
            st.audit(domain::audit::AuditKind::HotBackup, "Hot Backup disabled (Hot Backup Enabled unticked).", true).await;
            return Ok("Hot Backup disabled.".into());
        }
        let form = SettingsForm {
            peer_address,
            heartbeat_ms,
            detection_ms,
            inactivity_s,
            signalling_trigger,
            media_trigger,
            redial_interval_s,
            redial_attempts,
            isolation_address,
        };
        let saved = st.hb.update_settings(form.settings()?).await?;
        if save == SettingsSave::ReverseRoles {
            if let Err(e) = st.hb.trigger_failover().await {
                st.audit(domain::audit::AuditKind::Failover, &format!("MCU Role change refused: {e}"), false).await;
                return Err(e.into());
            }
            tracing::info!(by = %me.name, "roles reversed from the Hot Backup settings");
            st.audit(domain::audit::AuditKind::Failover, &format!("MCU Role changed: {peer} is now the Master, this MCU its Slave (G8: nothing scheduled)."), true).await;
            return Ok(format!("Settings saved and roles reversed: {peer} is now the Master MCU and this MCU its Slave."));
        }
        tracing::info!(by = %me.name, "Hot Backup settings changed while paired");
        st.audit(domain::audit::AuditKind::HotBackup, &format!("Hot Backup settings changed (heartbeat {} ms, detection {} ms).", saved.heartbeat_ms, saved.detection_ms), true).await;
        Ok(format!(
            "Settings saved on this MCU and in effect now (heartbeat {} ms, detection {} ms). It stays the {:?}.",
            saved.heartbeat_ms, saved.detection_ms, saved.role
        ))
    })
    .await
}

/// `confirm`: this MCU's name, typed (a destructive action).
#[server(endpoint = "disable_hot_backup", output = crate::error::Json)]
pub async fn disable_hot_backup(confirm: Option<String>) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageConfiguration).await?;
        domain::validate::typed_mcu_name(confirm.as_deref(), &st.info.name)?;
        st.hb.disable().await?;
        tracing::info!(by = %me.name, "Hot Backup disabled");
        st.audit(domain::audit::AuditKind::HotBackup, "Hot Backup disabled.", true).await;
        Ok("Hot Backup disabled.".into())
    })
    .await
}

/// `confirm`: this MCU's name, typed (a destructive action).
#[server(endpoint = "trigger_failover", output = crate::error::Json)]
pub async fn trigger_failover(confirm: Option<String>) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageConfiguration).await?;
        domain::validate::typed_mcu_name(confirm.as_deref(), &st.info.name)?;
        if let Err(e) = st.hb.trigger_failover().await {
            st.audit(domain::audit::AuditKind::Failover, &format!("Trigger Failover refused: {e}"), false).await;
            return Err(e.into());
        }
        tracing::info!(by = %me.name, "planned switch-over");
        st.audit(domain::audit::AuditKind::Failover, "Trigger Failover: the paired MCU is now the Master.", true).await;
        Ok("Switch-over done: the paired MCU is now the Master and this MCU its Slave.".into())
    })
    .await
}

/// Simulation endpoint (calls are simulated): this MCU's signalling or media link goes
/// down (`up` = "false") or comes back. With that failover trigger on, a Master whose link
/// stays down for the inactivity time hands over to its Slave.
#[server(endpoint = "simulate_link", output = crate::error::Json)]
pub async fn simulate_link(link: String, up: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageConfiguration).await?;
        crate::state::require_simulation(&st)?;
        let link = match link.as_str() {
            "signalling" => domain::hotbackup::Link::Signalling,
            "media" => domain::hotbackup::Link::Media,
            _ => return Err(AppError::Invalid { field: "link".into(), message: "The link is 'signalling' or 'media'.".into() }),
        };
        let up = match up.as_str() {
            "true" => true,
            "false" => false,
            _ => return Err(AppError::Invalid { field: "up".into(), message: "'up' is true or false.".into() }),
        };
        st.hb.set_link(link, up);
        tracing::info!(by = %me.name, ?link, up, "simulated link change");
        Ok(format!("{link:?} link {}.", if up { "up" } else { "down" }))
    })
    .await
}

/// The link's last 24 hours, a minute at a time, and the same in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkTimelineView {
    pub minutes: Vec<domain::timeline::LinkMinute>,
    pub summary: String,
    pub now_ms: domain::Millis,
}

#[server(endpoint = "get_link_timeline", output = crate::error::Json)]
pub async fn get_link_timeline() -> Result<LinkTimelineView, AppError> {
    answer(async {
        let (st, _) = require(Permission::ViewConfiguration).await?;
        let now_ms = domain::store::now_ms();
        let minutes = st.link_history.last_day(now_ms);
        let summary = domain::timeline::summary(&minutes).text();
        Ok(LinkTimelineView { minutes, summary, now_ms })
    })
    .await
}
