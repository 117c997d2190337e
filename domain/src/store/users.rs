//! The MCU's users (never synced; G2 makes them the same on both MCUs by hand): list,
//! add, role, password, delete, login check, and what pairing needs of a user. A password
//! set here also makes its OPAQUE record and G2 verifier, kept in the secrets file.

use super::*;

impl Store {

    pub fn users(&self) -> Result<Vec<UserView>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT name, role FROM users ORDER BY name COLLATE NOCASE")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            let mut out = Vec::new();
            for row in rows {
                let (name, role) = row?;
                out.push(UserView { name, role: stored_role(&role)? });
            }
            Ok(out)
        })
    }

    /// Each user's name, role and password verifier, for the G2 comparison with the peer.
    /// The verifiers are kept in the secrets file, not the database (see `secrets`).
    pub fn user_fingerprints(&self) -> Result<Vec<crate::hotbackup::UserFingerprint>> {
        let conn = self.lock();
        let mut stmt = conn.prepare("SELECT name, role FROM users ORDER BY name COLLATE NOCASE")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (name, role) = row?;
            let verifier = self.secrets.verifier(&name);
            out.push(crate::hotbackup::UserFingerprint { name, role: stored_role(&role)?, verifier });
        }
        Ok(out)
    }

    pub fn user_count(&self) -> Result<usize> {
        let conn = self.lock();
        Ok(conn.query_row("SELECT COUNT(*) FROM users", [], |r| r.get::<_, i64>(0))? as usize)
    }

    /// Adds a user. Name and password must already be validated.
    pub fn create_user(&self, name: &str, password: &str, role: Role) -> Result<UserView> {
        let (hash, verifier, record) = self.password_set(name, password)?;
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let count: i64 = tx.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?;
        crate::users::room_for_one_more(usize::try_from(count).unwrap_or(usize::MAX))?;
        let inserted = tx.execute(
            "INSERT INTO users (name, role, password_hash, created_ms, password_changed_ms) VALUES (?1, ?2, ?3, ?4, ?4)
             ON CONFLICT(name) DO NOTHING",
            params![name, role.key(), hash, now_ms()],
        )?;
        if inserted == 0 {
            return Err(DomainError::Conflict(format!("A user named '{name}' already exists.")));
        }
        tx.commit()?;
        drop(conn);
        self.secrets.set_password(name, &record, &verifier)?;
        Ok(UserView { name: name.to_string(), role })
    }

    /// Changes a user's role; refuses to demote the last Administrator.
    pub fn set_role(&self, name: &str, role: Role) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let current = user_role_in(&tx, name)?;
        if current == Role::Administrator && role != Role::Administrator && admin_count_in(&tx)? <= 1 {
            return Err(DomainError::Conflict(format!(
                "'{name}' is the last Administrator; make another user Administrator first."
            )));
        }
        tx.execute("UPDATE users SET role = ?2 WHERE name = ?1", params![name, role.key()])?;
        tx.commit()?;
        Ok(())
    }

    /// When `name`'s password was set (the user's creation for passwords set before this
    /// was noted).
    pub fn password_changed_ms(&self, name: &str) -> Result<crate::Millis> {
        self.read(|conn| {
            conn.query_row("SELECT MAX(password_changed_ms, created_ms) FROM users WHERE name = ?1", [name], |r| r.get(0))
                .optional()?
                .ok_or_else(|| no_such_user(name))
        })
    }

    /// The users an Administrator disabled.
    pub fn disabled_users(&self) -> Result<Vec<String>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached("SELECT name FROM users WHERE disabled <> 0 ORDER BY name COLLATE NOCASE")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            Ok(rows.collect::<std::result::Result<Vec<_>, _>>()?)
        })
    }

    /// Disables (no login, sessions ended) or enables a user. The last Administrator who
    /// can log in is never disabled.
    pub fn set_disabled(&self, name: &str, disabled: bool) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let role = user_role_in(&tx, name)?;
        if disabled && role == Role::Administrator && enabled_admin_count_in(&tx)? <= 1 {
            return Err(DomainError::Conflict(format!("'{name}' is the last Administrator who can log in; it stays enabled.")));
        }
        tx.execute("UPDATE users SET disabled = ?2 WHERE name = ?1", params![name, i64::from(disabled)])?;
        if disabled {
            tx.execute("DELETE FROM sessions WHERE user_name = ?1", [name])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Sets a new password and ends the user's other sessions.
    pub fn set_password(&self, name: &str, password: &str, keep_session: Option<&str>) -> Result<()> {
        let (hash, verifier, record) = self.password_set(name, password)?;
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        if tx.execute("UPDATE users SET password_hash = ?2, password_changed_ms = ?3 WHERE name = ?1", params![name, hash, now_ms()])? == 0 {
            return Err(no_such_user(name));
        }
        let keep = keep_session.map(auth::token_digest).unwrap_or_default();
        tx.execute("DELETE FROM sessions WHERE user_name = ?1 AND token_digest <> ?2", params![name, keep])?;
        tx.commit()?;
        drop(conn);
        self.secrets.set_password(name, &record, &verifier)
    }

    /// Deletes a user and their sessions; refuses to delete the last Administrator.
    pub fn delete_user(&self, name: &str) -> Result<()> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        if user_role_in(&tx, name)? == Role::Administrator && admin_count_in(&tx)? <= 1 {
            return Err(DomainError::Conflict(format!("'{name}' is the last Administrator and cannot be deleted.")));
        }
        tx.execute("DELETE FROM users WHERE name = ?1", [name])?;
        tx.execute("DELETE FROM sessions WHERE user_name = ?1", [name])?;
        tx.commit()?;
        drop(conn);
        self.secrets.remove_user(name)
    }

    /// Checks a login. `Ok(None)` for an unknown user or a wrong password (a hash is
    /// verified either way, so timing does not tell which).
    pub fn check_login(&self, name: &str, password: &str) -> Result<Option<UserView>> {
        let row: Option<(String, String, String, bool)> = {
            let conn = self.lock();
            conn.query_row("SELECT name, role, password_hash, disabled <> 0 FROM users WHERE name = ?1", [name], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?
        };
        let password = password.to_string();
        match row {
            Some((name, role, hash, disabled)) => {
                let typed = password.clone();
                if auth::with_password_work(move || auth::verify_password(&password, &hash))? {
                    // Said only to whoever knows the password.
                    if disabled {
                        return Err(DomainError::Forbidden(format!("The account '{name}' is disabled: ask an Administrator to enable it.")));
                    }
                    // A user whose password was set by an earlier version (or before the
                    // secrets file was made) gets a pairing record and verifier now, once.
                    if self.secrets.record(&name).is_none() || self.secrets.verifier(&name).is_empty() {
                        let keys = self.secrets.keys();
                        let who = name.clone();
                        let made = auth::with_password_work(move || {
                            Ok::<_, DomainError>((crate::pairing::register(&keys, &who, &typed)?, auth::password_verifier(&who, &typed)?))
                        });
                        match made.and_then(|r| r) {
                            Ok((record, verifier)) => self.secrets.set_password(&name, &record, &verifier)?,
                            Err(e) => tracing::warn!(user = %name, error = %e, "cannot make the user's pairing record"),
                        }
                    }
                    Ok(Some(UserView { name, role: stored_role(&role)? }))
                } else {
                    Ok(None)
                }
            }
            None => {
                auth::with_password_work(move || auth::verify_password(&password, dummy_hash()))?;
                Ok(None)
            }
        }
    }

    /// What the responder of a pairing needs for `name`: its OPAQUE keys, the user's
    /// registration record (none for an unknown user, or one whose password was not set
    /// here since) and role. No password work.
    pub fn pairing_record(&self, name: &str) -> Result<PairingRecord> {
        let role: Option<String> = {
            let conn = self.lock();
            conn.query_row("SELECT role FROM users WHERE name = ?1", [name], |r| r.get(0)).optional()?
        };
        let role = role.map(|r| stored_role(&r)).transpose()?;
        let record = role.and_then(|_| self.secrets.record(name));
        Ok(PairingRecord { keys: self.secrets.keys(), record, role })
    }

    /// A secret kept in the secrets file (not the database): the default when none.
    pub fn secret<T: DeserializeOwned + Default>(&self, key: &str) -> T {
        self.secrets.value(key)
    }

    pub fn set_secret<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        self.secrets.set_value(key, value)
    }

}

impl Store {
    /// A new password's Argon2id hash, G2 verifier and OPAQUE pairing record, computed on
    /// the password workers.
    fn password_set(&self, name: &str, password: &str) -> Result<(String, String, Vec<u8>)> {
        let (name, password, keys) = (name.to_string(), password.to_string(), self.secrets.keys());
        auth::with_password_work(move || {
            Ok::<_, DomainError>((
                auth::hash_password(&password)?,
                auth::password_verifier(&name, &password)?,
                crate::pairing::register(&keys, &name, &password)?,
            ))
        })?
    }
}
