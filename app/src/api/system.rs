//! The MCU itself: system status, configuration backup, and the settings applied at the
//! next System Reset (management network, own addresses, port configuration), the reset.

use super::*;

#[server(endpoint = "get_system_status", output = crate::error::Json)]
pub async fn get_system_status() -> Result<SystemStatus, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewConfiguration).await?;
        let (users, change_log_seq, threshold, ongoing, pending) = st
            .db(|s| Ok((s.user_count()?, s.last_seq()?, s.port_threshold()?, s.ongoing()?, s.pending_restore().map(|i| i.describe()))))
            .await?;
        let password_policy = super::users::password_policy(&st).await?;
        Ok(SystemStatus {
            info: st.info.clone(),
            uptime_s: st.started.elapsed().as_secs(),
            data_dir: st.data_dir.display().to_string(),
            users,
            change_log_seq,
            can_manage: me.role.can(Permission::ManageConfiguration),
            port_threshold: threshold,
            ongoing,
            can_download: me.role.can(Permission::DownloadBackup),
            hot_backup_on: st.hb.settings().enabled,
            pending_restore: pending,
            password_policy,
        })
    })
    .await
}

/// The password policy: minimum length (8–64), common passwords refused or not, days a
/// password lasts (0: never expires). This MCU's own setting (G2: set the same on both).
#[server(endpoint = "set_password_policy", output = crate::error::Json)]
pub async fn set_password_policy(min_length: String, reject_common: Option<String>, expiry_days: String) -> Result<String, AppError> {
    answer(async move {
        let (st, _) = require(Permission::ManageConfiguration).await?;
        let policy = domain::users::PasswordPolicy::parse(&min_length, reject_common.is_some(), &expiry_days)?;
        st.db(move |s| s.set_local(domain::store::keys::PASSWORD_POLICY, &policy)).await?;
        let said = format!("Password policy saved: {}. It applies to every password set from now on.", policy.describe());
        st.audit(domain::audit::AuditKind::Users, &said, true).await;
        Ok(said)
    })
    .await
}

/// Forgets the uploaded backup waiting for the System Reset.
#[server(endpoint = "discard_restore", output = crate::error::Json)]
pub async fn discard_restore() -> Result<String, AppError> {
    answer(async {
        let (st, _) = require(Permission::ManageConfiguration).await?;
        if !st.db(|s| s.discard_restore()).await? {
            return Err(AppError::NotFound("No backup waits to be restored.".into()));
        }
        st.audit(domain::audit::AuditKind::Backup, "The backup kept for the System Reset was discarded.", true).await;
        // Nothing else waiting for a reset: no reset is needed any more.
        let pending: domain::PendingReset = st.db(|s| s.local(domain::store::keys::PENDING_RESET)).await?;
        if pending.is_empty() {
            st.alarms.clear(&[domain::alarms::AlarmCode::ResetNeeded]);
        }
        Ok("Discarded: the next System Reset restores nothing.".into())
    })
    .await
}

/// The port alarm's threshold (8217 is raised when this share of the ports is in use).
/// This MCU's own setting (never mirrored), applied at once.
#[server(endpoint = "set_port_threshold", output = crate::error::Json)]
pub async fn set_port_threshold(port_threshold: String) -> Result<String, AppError> {
    answer(async move {
        let (st, _) = require(Permission::ManageConfiguration).await?;
        let percent = st.db(move |s| s.set_port_threshold(&port_threshold)).await?;
        st.audit(domain::audit::AuditKind::Alarm, &format!("Port alarm threshold set to {percent} %."), true).await;
        Ok(format!("The port alarm is raised when {percent} % of the ports are in use."))
    })
    .await
}

/// "Backup configuration": a consistent copy of this MCU's database (SQLite online backup,
/// taken while it runs) in `<data folder>/backups/`, private to the MCU's user. The file
/// never leaves the MCU: it holds password hashes and credentials. Administrator only.
#[server(endpoint = "backup_configuration", output = crate::error::Json)]
pub async fn backup_configuration() -> Result<String, AppError> {
    answer(async {
        let (st, me) = require(Permission::ManageConfiguration).await?;
        let dir = st.data_dir.join("backups");
        let now = domain::store::now_ms();
        let shown = st.db(move |s| s.write_backup(&dir, now)).await?.display().to_string();
        tracing::info!(by = %me.name, file = %shown, "configuration backed up");
        st.audit(domain::audit::AuditKind::Backup, &format!("Backup written to {shown}."), true).await;
        Ok(format!("Backup written to {shown} (the last {} are kept).", domain::backup::KEPT))
    })
    .await
}

// ---------------------------------------------------------------- settings that need a System Reset

/// The Network page's own-settings part: what is in force and what waits for a reset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResetSettings {
    pub management: ManagementNetwork,
    pub addresses: domain::NetworkAddresses,
    pub ports: domain::PortConfiguration,
    pub pending: domain::PendingReset,
    pub has_port_configuration: bool,
    pub hot_backup_enabled: bool,
    pub can_manage: bool,
    /// This MCU's name (typed to confirm Reset MCU) and what a reset would stop.
    pub mcu: String,
    pub ongoing: domain::danger::Ongoing,
}

#[server(endpoint = "get_reset_settings", output = crate::error::Json)]
pub async fn get_reset_settings() -> Result<ResetSettings, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewConfiguration).await?;
        let has = st.info.model.has_port_configuration();
        let hb = st.hb.settings().enabled;
        let name = st.info.name.clone();
        st.db(move |s| {
            use domain::store::keys;
            Ok(ResetSettings {
                management: s.local(keys::MANAGEMENT_NETWORK)?,
                addresses: s.local(keys::NETWORK_ADDRESSES)?,
                ports: s.local(keys::PORT_CONFIGURATION)?,
                pending: s.local(keys::PENDING_RESET)?,
                mcu: name,
                ongoing: s.ongoing()?,
                has_port_configuration: has,
                hot_backup_enabled: hb,
                can_manage: me.role.can(Permission::ManageConfiguration),
            })
        })
        .await
    })
    .await
}

/// Saves a reset-requiring change as pending; refused while Hot Backup is on (G9).
#[cfg(feature = "ssr")]
async fn save_pending(
    st: &crate::state::AppState,
    what: &str,
    update: impl FnOnce(&mut domain::PendingReset) + Send + 'static,
) -> Result<String, AppError> {
    if st.hb.settings().enabled {
        return Err(domain::hotbackup::refused_needs_reset(what).into());
    }
    st.db(move |s| {
        let mut pending: domain::PendingReset = s.local(domain::store::keys::PENDING_RESET)?;
        update(&mut pending);
        s.set_local(domain::store::keys::PENDING_RESET, &pending)
    })
    .await?;
    st.alarms.raise(domain::alarms::AlarmCode::ResetNeeded, &format!("the new {what} takes effect after a System Reset."));
    st.audit(domain::audit::AuditKind::Reset, &format!("The new {what} saved for the next System Reset."), true).await;
    Ok(format!("Saved. The new {what} takes effect after a System Reset."))
}

#[server(endpoint = "set_management_network", output = crate::error::Json)]
pub async fn set_management_network(control_unit_address: String, host_name: String, dns: String) -> Result<String, AppError> {
    answer(async move {
        let (st, _) = require(Permission::ManageConfiguration).await?;
        let m = ManagementNetwork {
            control_unit_address: domain::validate::ip_address("control_unit_address", &control_unit_address, false)?,
            host_name: domain::validate::host_name("host_name", &host_name)?,
            dns: domain::validate::ip_address("dns", &dns, true)?,
        };
        save_pending(&st, "management network", move |p| p.management = Some(m)).await
    })
    .await
}

#[server(endpoint = "set_network_addresses", output = crate::error::Json)]
pub async fn set_network_addresses(signalling: String, media: String) -> Result<String, AppError> {
    answer(async move {
        let (st, _) = require(Permission::ManageConfiguration).await?;
        let a = domain::NetworkAddresses {
            signalling: domain::validate::ip_address("signalling", &signalling, false)?,
            media: domain::validate::ip_address("media", &media, false)?,
        };
        save_pending(&st, "IP Network Service addresses", move |p| p.addresses = Some(a)).await
    })
    .await
}

#[server(endpoint = "set_port_configuration", output = crate::error::Json)]
pub async fn set_port_configuration(video_ports: String, video_resolution: String, voice_ports: String) -> Result<String, AppError> {
    answer(async move {
        let (st, _) = require(Permission::ManageConfiguration).await?;
        let video_resolution = domain::Resolution::parse("video_resolution", &video_resolution)?;
        let p = domain::PortConfiguration {
            video_ports: domain::validate::number_in("video_ports", &video_ports, "Video ports", 0, 10_000)?,
            video_resolution,
            voice_ports: domain::validate::number_in("voice_ports", &voice_ports, "Voice ports", 0, 10_000)?,
        };
        p.check(st.info.model)?;
        save_pending(&st, "Video/Voice Port Configuration", move |pending| pending.ports = Some(p)).await
    })
    .await
}

/// System Reset: restarts the MCU process, which applies the pending settings.
/// `confirm`: this MCU's name, typed (a destructive action).
#[server(endpoint = "reset_mcu", output = crate::error::Json)]
pub async fn reset_mcu(confirm: Option<String>) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageConfiguration).await?;
        domain::validate::typed_mcu_name(confirm.as_deref(), &st.info.name)?;
        tracing::warn!(by = %me.name, "System Reset requested");
        st.audit(domain::audit::AuditKind::Reset, "System Reset.", true).await;
        let reset = st.reset.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            reset.request();
        });
        Ok("The MCU is resetting; it will be back in a few seconds.".into())
    })
    .await
}
