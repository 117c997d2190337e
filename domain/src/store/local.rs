//! Each MCU's own settings (never synced): management network, security credentials,
//! port configuration, Hot Backup settings, alarms...; the sealed ones in the secrets
//! file. And the settings saved for the next System Reset.

use super::*;

/// A setting of this database (not a sealed one) read through `conn`; `T::default()`
/// until first saved.
pub(super) fn local_in<T: DeserializeOwned + Default>(conn: &Connection, key: &str) -> Result<T> {
    let value: Option<String> = conn.query_row("SELECT value FROM local_settings WHERE key = ?1", [key], |r| r.get(0)).optional()?;
    match value {
        Some(json) => Ok(serde_json::from_str(&json)?),
        None => Ok(T::default()),
    }
}

impl Store {
    /// A setting that belongs to this MCU only (management network, security credentials,
    /// port configuration, Hot Backup settings...). `T::default()` until first saved. The
    /// keys of [`SEALED_KEYS`] (secrets) are kept in the secrets file, not the database.
    pub fn local<T: DeserializeOwned + Default>(&self, key: &str) -> Result<T> {
        if SEALED_KEYS.contains(&key) {
            return Ok(self.secrets.value(key));
        }
        self.read(|conn| local_in(conn, key))
    }

    /// The port alarm's threshold in percent ([`crate::alarms::DEFAULT_PORT_THRESHOLD`]
    /// until an administrator sets one).
    pub fn port_threshold(&self) -> Result<u8> {
        Ok(self.local::<Option<u8>>(keys::PORT_THRESHOLD)?.unwrap_or(crate::alarms::DEFAULT_PORT_THRESHOLD))
    }

    /// Sets it, from the System form's text (a percentage from 50 to 100); returns it.
    pub fn set_port_threshold(&self, raw: &str) -> Result<u8> {
        let percent = crate::alarms::port_threshold(raw)?;
        self.set_local(keys::PORT_THRESHOLD, &Some(percent))?;
        Ok(percent)
    }

    pub fn set_local<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        if SEALED_KEYS.contains(&key) {
            return self.secrets.set_value(key, value);
        }
        let conn = self.lock();
        conn.execute(
            "INSERT INTO local_settings (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, serde_json::to_string(value)?],
        )?;
        Ok(())
    }

    /// Applies the settings saved for the next System Reset (called at start-up) and returns
    /// what was applied.
    pub fn apply_pending_reset(&self) -> Result<PendingReset> {
        let pending: PendingReset = self.local(keys::PENDING_RESET)?;
        if let Some(m) = &pending.management {
            self.set_local(keys::MANAGEMENT_NETWORK, m)?;
        }
        if let Some(a) = &pending.addresses {
            self.set_local(keys::NETWORK_ADDRESSES, a)?;
        }
        if let Some(p) = &pending.ports {
            self.set_local(keys::PORT_CONFIGURATION, p)?;
        }
        self.set_local(keys::PENDING_RESET, &PendingReset::default())?;
        Ok(pending)
    }
}
