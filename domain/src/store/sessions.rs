//! Browser sessions: only the SHA-256 of a token is kept; a session ends at its expiry,
//! at its idle limit, or at logout.

use super::*;

impl Store {

    /// Starts a browser session for `user` that also ends after `idle_ms` without use;
    /// returns the token for the cookie.
    pub fn create_session(&self, user: &str, idle_ms: Millis) -> Result<String> {
        self.insert_session(user, SESSION_TTL_MS, Some(idle_ms))
    }

    fn insert_session(&self, user: &str, ttl_ms: Millis, idle_ms: Option<Millis>) -> Result<String> {
        let token = auth::new_session_token();
        let now = now_ms();
        let conn = self.lock();
        conn.execute(
            "DELETE FROM sessions WHERE expires_ms <= ?1 OR (idle_ms IS NOT NULL AND last_seen_ms + idle_ms <= ?1)",
            [now],
        )?;
        conn.execute(
            "INSERT INTO sessions (token_digest, user_name, expires_ms, idle_ms, last_seen_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![auth::token_digest(&token), user, now.saturating_add(ttl_ms), idle_ms, now],
        )?;
        Ok(token)
    }

    /// The user a session token belongs to, with their current role; `None` when the
    /// token is unknown, expired or idle too long, or the user is gone. A use counts as
    /// activity (recorded at most every [`SESSION_TOUCH_MS`]).
    pub fn session_user(&self, token: &str) -> Result<Option<UserView>> {
        self.session_user_at(token, now_ms(), true)
    }

    /// Like [`Store::session_user`], but without counting as activity: what a page does by
    /// itself (polling the Hot Backup state, reloading its data after a change) must not
    /// keep an unattended session alive.
    pub fn session_user_quietly(&self, token: &str) -> Result<Option<UserView>> {
        self.session_user_at(token, now_ms(), false)
    }

    /// Like [`Store::session_user`], but without counting as activity (an open event
    /// stream checking that its session still holds).
    pub fn session_still_valid(&self, token: &str) -> Result<bool> {
        Ok(self.session_user_at(token, now_ms(), false)?.is_some())
    }

    pub(super) fn session_user_at(&self, token: &str, now: Millis, touch: bool) -> Result<Option<UserView>> {
        let digest = auth::token_digest(token);
        let conn = self.lock();
        let row: Option<(String, String, Millis)> = conn
            .query_row(
                "SELECT u.name, u.role, s.last_seen_ms FROM sessions s JOIN users u ON u.name = s.user_name
                 WHERE s.token_digest = ?1 AND s.expires_ms > ?2
                   AND (s.idle_ms IS NULL OR s.last_seen_ms + s.idle_ms > ?2)",
                params![digest, now],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        match row {
            Some((name, role, last_seen)) => {
                if touch && now.saturating_sub(last_seen) >= SESSION_TOUCH_MS {
                    conn.execute("UPDATE sessions SET last_seen_ms = ?2 WHERE token_digest = ?1", params![digest, now])?;
                }
                Ok(Some(UserView { name, role: stored_role(&role)? }))
            }
            None => Ok(None),
        }
    }

    pub fn end_session(&self, token: &str) -> Result<()> {
        let conn = self.lock();
        conn.execute("DELETE FROM sessions WHERE token_digest = ?1", [auth::token_digest(token)])?;
        Ok(())
    }
}
