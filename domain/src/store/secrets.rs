//! The MCU's secrets file, `secrets.json` beside the database: what lets this MCU act as
//! itself towards its partner — its OPAQUE server keys, each user's OPAQUE registration
//! record, and the pairing credential the partner issued to it. It is not in the database,
//! so no copy of `mcu.sqlite3` and no backup holds any of it; it is 0600 in the 0700 data
//! folder and replaced atomically (a new file, synced, renamed over the old).
//!
//! Restoring a backup keeps this file as it is. An MCU whose secrets file is lost makes a
//! new one at start: its users' pairing records come back at their next login or password
//! change, and Hot Backup must be disabled and enabled on both MCUs to pair anew.

use super::{files, Result};
use crate::pairing::ServerKeys;
use crate::DomainError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub const SECRETS_FILE: &str = "secrets.json";

#[derive(Default, Serialize, Deserialize)]
struct Data {
    /// This MCU's OPAQUE server keys (hex), made at first start.
    #[serde(default)]
    opaque_keys: String,
    /// Each user's OPAQUE registration record (hex), by lower-case name.
    #[serde(default)]
    records: BTreeMap<String, String>,
    /// Each user's G2 password verifier (hex), by lower-case name: deterministic for a user
    /// name and password (the two MCUs compute it apart and compare it), so it is kept here,
    /// not in the database, where a copy or a backup would give it away.
    #[serde(default)]
    verifiers: BTreeMap<String, String>,
    /// Other secrets by key (the pairing credential this MCU holds).
    #[serde(default)]
    values: BTreeMap<String, serde_json::Value>,
}

pub struct Secrets {
    path: PathBuf,
    keys: Arc<ServerKeys>,
    data: Mutex<Data>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({})", self.path.display())
    }
}

impl Secrets {
    /// Reads the secrets file of `dir`, or makes one (new OPAQUE keys). A damaged file is
    /// refused with what to do, never silently replaced: that would unpair the MCU.
    pub fn open(dir: &Path) -> Result<Secrets> {
        let path = dir.join(SECRETS_FILE);
        let mut data = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice::<Data>(&bytes).map_err(|e| {
                DomainError::Storage(format!(
                    "the secrets file {} is damaged ({e}); move it away to start with a new one (then enable Hot Backup again on both MCUs)",
                    path.display()
                ))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Data::default(),
            Err(e) => return Err(DomainError::Storage(format!("cannot read {}: {e}", path.display()))),
        };
        let fresh = data.opaque_keys.is_empty();
        if fresh {
            data.opaque_keys = ServerKeys::generate().to_hex();
        }
        let keys = Arc::new(ServerKeys::from_hex(&data.opaque_keys).map_err(|e| {
            DomainError::Storage(format!("the secrets file {}: {e}; move it away to start with a new one", path.display()))
        })?);
        let s = Secrets { path, keys, data: Mutex::new(data) };
        if fresh {
            s.save(&s.lock())?;
        }
        Ok(s)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn save(&self, data: &Data) -> Result<()> {
        let bytes = serde_json::to_vec(data).map_err(|e| DomainError::Storage(format!("secrets: {e}")))?;
        let tmp = self.path.with_extension("json.partial");
        files::write_private(&tmp, &bytes)?;
        std::fs::rename(&tmp, &self.path).map_err(|e| DomainError::Storage(format!("cannot write {}: {e}", self.path.display())))
    }

    /// Changes the data and saves it; nothing changes in memory when saving fails.
    fn update(&self, f: impl FnOnce(&mut Data)) -> Result<()> {
        let mut data = self.lock();
        let mut next = Data {
            opaque_keys: data.opaque_keys.clone(),
            records: data.records.clone(),
            verifiers: data.verifiers.clone(),
            values: data.values.clone(),
        };
        f(&mut next);
        self.save(&next)?;
        *data = next;
        Ok(())
    }

    pub fn keys(&self) -> Arc<ServerKeys> {
        self.keys.clone()
    }

    pub fn record(&self, user: &str) -> Option<Vec<u8>> {
        self.lock().records.get(&user.to_ascii_lowercase()).and_then(|r| hex::decode(r).ok())
    }


    /// A user's new password: its pairing record and G2 verifier, saved together.
    pub fn set_password(&self, user: &str, record: &[u8], verifier: &str) -> Result<()> {
        let (k, r, v) = (user.to_ascii_lowercase(), hex::encode(record), verifier.to_string());
        self.update(|d| {
            d.records.insert(k.clone(), r);
            d.verifiers.insert(k, v);
        })
    }

    /// A user's G2 verifier; empty when none is kept (it never matches).
    pub fn verifier(&self, user: &str) -> String {
        self.lock().verifiers.get(&user.to_ascii_lowercase()).cloned().unwrap_or_default()
    }

    /// Verifiers an earlier version kept in the database, moved here (a kept one wins).
    pub fn adopt_verifiers(&self, found: Vec<(String, String)>) -> Result<()> {
        let missing: Vec<(String, String)> = {
            let d = self.lock();
            found.into_iter().map(|(u, v)| (u.to_ascii_lowercase(), v)).filter(|(u, v)| !v.is_empty() && !d.verifiers.contains_key(u)).collect()
        };
        if missing.is_empty() {
            return Ok(());
        }
        self.update(|d| d.verifiers.extend(missing))
    }

    /// Forgets a deleted user's record and verifier.
    pub fn remove_user(&self, user: &str) -> Result<()> {
        let k = user.to_ascii_lowercase();
        {
            let d = self.lock();
            if !d.records.contains_key(&k) && !d.verifiers.contains_key(&k) {
                return Ok(());
            }
        }
        self.update(|d| {
            d.records.remove(&k);
            d.verifiers.remove(&k);
        })
    }

    /// The value under `key`, or the default when none (or an unreadable one) is kept.
    pub fn value<T: DeserializeOwned + Default>(&self, key: &str) -> T {
        self.lock().values.get(key).and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default()
    }

    pub fn set_value<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        let v = serde_json::to_value(value).map_err(|e| DomainError::Storage(format!("secrets: {e}")))?;
        self.update(|d| {
            d.values.insert(key.to_string(), v);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_private_and_read_back_with_the_same_keys() {
        let dir = tempfile::tempdir().expect("dir");
        let a = Secrets::open(dir.path()).expect("made");
        a.set_password("Admin", b"record", "abcd").expect("record");
        a.set_value("k", &"v".to_string()).expect("value");
        let b = Secrets::open(dir.path()).expect("read");
        assert_eq!(a.keys().to_hex(), b.keys().to_hex());
        assert_eq!(b.record("ADMIN").as_deref(), Some(&b"record"[..]));
        assert_eq!(b.verifier("admin"), "abcd");
        assert_eq!(b.value::<String>("k"), "v");
        b.adopt_verifiers(vec![("ADMIN".into(), "old".into()), ("ops".into(), "ef01".into())]).expect("adopted");
        assert_eq!((b.verifier("admin"), b.verifier("OPS")), ("abcd".to_string(), "ef01".to_string()), "a kept one wins");
        b.remove_user("admin").expect("removed");
        let c = Secrets::open(dir.path()).expect("read");
        assert_eq!((c.record("admin"), c.verifier("admin")), (None, String::new()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(SECRETS_FILE)).expect("file").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn a_damaged_file_is_refused_not_replaced() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join(SECRETS_FILE), b"{not json").expect("write");
        let e = Secrets::open(dir.path()).expect_err("refused");
        assert!(e.to_string().contains("damaged"), "{e}");
        assert_eq!(std::fs::read(dir.path().join(SECRETS_FILE)).expect("kept"), b"{not json");
    }
}
