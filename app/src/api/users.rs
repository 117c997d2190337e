//! The users of this MCU: list, add, change role or password, delete (`ManageUsers`).

use super::*;

/// The Users page's data; `can_manage` says whether the caller may change users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserList {
    pub users: Vec<UserView>,
    pub can_manage: bool,
    /// The users an Administrator disabled.
    #[serde(default)]
    pub disabled: Vec<String>,
    /// The users locked by failed logins now, with the seconds left.
    #[serde(default)]
    pub locked: Vec<(String, u64)>,
}

/// The password policy every new password is checked against (System page).
#[cfg(feature = "ssr")]
pub(super) async fn password_policy(st: &crate::state::AppState) -> Result<domain::users::PasswordPolicy, AppError> {
    st.db(|s| s.local(domain::store::keys::PASSWORD_POLICY)).await
}

#[server(endpoint = "list_users", output = crate::error::Json)]
pub async fn list_users() -> Result<UserList, AppError> {
    answer(async {
        let (st, me) = require(Permission::ViewUsers).await?;
        let (users, disabled) = st.db(|s| Ok((s.users()?, s.disabled_users()?))).await?;
        let locked = users.iter().filter_map(|u| st.throttle.locked_name(&u.name).map(|s| (u.name.clone(), s))).collect();
        Ok(UserList { users, can_manage: me.role.can(Permission::ManageUsers), disabled, locked })
    })
    .await
}

#[server(endpoint = "add_user", output = crate::error::Json)]
pub async fn add_user(name: String, password: String, role: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageUsers).await?;
        let name = domain::validate::user_name(&name)?;
        let password = password_policy(&st).await?.check(&name, &password)?;
        let role = domain::validate::role(&role)?;
        let user = st.db(move |s| s.create_user(&name, &password, role)).await?;
        tracing::info!(by = %me.name, user = %user.name, "user added");
        st.audit(domain::audit::AuditKind::Users, &format!("User '{}' added as {}.", user.name, user.role), true).await;
        Ok(format!("User '{}' added as {}.", user.name, user.role))
    })
    .await
}

#[server(endpoint = "set_user_role", output = crate::error::Json)]
pub async fn set_user_role(name: String, role: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageUsers).await?;
        let role = domain::validate::role(&role)?;
        let who = name.clone();
        st.db(move |s| s.set_role(&who, role)).await?;
        st.sessions.clear();
        tracing::info!(by = %me.name, user = %name, "user role changed");
        st.audit(domain::audit::AuditKind::Users, &format!("Role of '{name}' changed to {role}."), true).await;
        Ok(format!("'{name}' is now {role}."))
    })
    .await
}

#[server(endpoint = "set_user_password", output = crate::error::Json)]
pub async fn set_user_password(name: String, password: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageUsers).await?;
        let password = password_policy(&st).await?.check(&name, &password)?;
        let keep = if me.name.eq_ignore_ascii_case(&name) { crate::state::session_token(&st) } else { None };
        let who = name.clone();
        st.db(move |s| s.set_password(&who, &password, keep.as_deref())).await?;
        st.sessions.clear();
        tracing::info!(by = %me.name, user = %name, "user password changed");
        st.audit(domain::audit::AuditKind::Users, &format!("Password of '{name}' changed."), true).await;
        Ok(format!("Password of '{name}' changed; their other sessions were ended."))
    })
    .await
}

/// Disables a user (no login; their sessions end) or enables them again: `disabled` "1"
/// or "0". Nobody disables themselves; the last Administrator who can log in stays.
#[server(endpoint = "set_user_disabled", output = crate::error::Json)]
pub async fn set_user_disabled(name: String, disabled: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageUsers).await?;
        let off = match disabled.as_str() {
            "1" => true,
            "0" => false,
            _ => return Err(AppError::Invalid { field: "disabled".into(), message: "Say 1 (disable) or 0 (enable).".into() }),
        };
        if off {
            domain::users::may_disable(&me.name, &name)?;
        }
        let who = name.clone();
        st.db(move |s| s.set_disabled(&who, off)).await?;
        st.sessions.clear();
        let said = if off { format!("User '{name}' disabled: they cannot log in, and their sessions ended.") } else { format!("User '{name}' enabled: they can log in again.") };
        tracing::info!(by = %me.name, user = %name, disabled = off, "user disabled or enabled");
        st.audit(domain::audit::AuditKind::Users, &said, true).await;
        Ok(said)
    })
    .await
}

/// Unlocks a user locked by failed logins (from every address).
#[server(endpoint = "unlock_user", output = crate::error::Json)]
pub async fn unlock_user(name: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageUsers).await?;
        if !st.throttle.unlock_name(&name) {
            return Err(AppError::Conflict(format!("'{name}' is not locked.")));
        }
        tracing::info!(by = %me.name, user = %name, "user unlocked");
        let said = format!("User '{name}' unlocked: they can try to log in again at once.");
        st.audit(domain::audit::AuditKind::Users, &said, true).await;
        Ok(said)
    })
    .await
}

#[server(endpoint = "delete_user", output = crate::error::Json)]
pub async fn delete_user(name: String) -> Result<String, AppError> {
    answer(async move {
        let (st, me) = require(Permission::ManageUsers).await?;
        domain::users::may_delete(&me.name, &name)?;
        let who = name.clone();
        st.db(move |s| s.delete_user(&who)).await?;
        st.sessions.clear();
        tracing::info!(by = %me.name, user = %name, "user deleted");
        st.audit(domain::audit::AuditKind::Users, &format!("User '{name}' deleted."), true).await;
        Ok(format!("User '{name}' deleted."))
    })
    .await
}

/// Any logged-in user changes their own password: the current one first (counted like a
/// login, so a session left open cannot be used to guess it), then the new one as every
/// password is checked. This session stays; the user's others end.
#[server(endpoint = "change_own_password", output = crate::error::Json)]
pub async fn change_own_password(current_password: String, new_password: String) -> Result<String, AppError> {
    answer(async move {
        use domain::throttle::Outcome;
        // Every role sees conferences: this is "any logged-in user".
        let (st, me) = require(Permission::ViewConferences).await?;
        // The checks of a login's and a new password's, under this form's own fields.
        let under = |field: &'static str| {
            move |e: domain::DomainError| match e {
                domain::DomainError::Invalid { message, .. } => AppError::Invalid { field: field.into(), message },
                other => other.into(),
            }
        };
        let (_, current) = domain::validate::login_credentials(&me.name, &current_password).map_err(under("current_password"))?;
        let ticket = match st.throttle.begin(&me.name, crate::state::client_ip()) {
            Ok(t) => t,
            Err(r) => {
                return Err(AppError::Throttled { message: format!("Too many wrong passwords. Try again in {} s.", r.wait_s), retry_after_s: r.wait_s });
            }
        };
        let policy = match password_policy(&st).await {
            Ok(p) => p,
            Err(e) => {
                ticket.finish(Outcome::NotChecked);
                return Err(e);
            }
        };
        let new = match policy.check(&me.name, &new_password) {
            Ok(p) => p,
            Err(e) => {
                ticket.finish(Outcome::NotChecked);
                return Err(under("new_password")(e));
            }
        };
        let (who, typed) = (me.name.clone(), current.clone());
        match st.db(move |s| s.check_login(&who, &typed)).await {
            Ok(Some(_)) => ticket.finish(Outcome::Success),
            Ok(None) => {
                ticket.finish(Outcome::Failure);
                st.audit(domain::audit::AuditKind::Users, "Own password change refused: wrong current password.", false).await;
                return Err(AppError::Invalid { field: "current_password".into(), message: "That is not your current password.".into() });
            }
            Err(e) => {
                ticket.finish(Outcome::NotChecked);
                return Err(e);
            }
        }
        if new == current {
            return Err(AppError::Invalid { field: "new_password".into(), message: "The new password is the one you have now: choose another.".into() });
        }
        let keep = crate::state::session_token(&st);
        let who = me.name.clone();
        st.db(move |s| s.set_password(&who, &new, keep.as_deref())).await?;
        st.sessions.clear();
        tracing::info!(user = %me.name, "own password changed");
        st.audit(domain::audit::AuditKind::Users, "Changed their own password.", true).await;
        Ok("Your password is changed. Your other sessions on this MCU were ended; change it on the paired MCU too (G2).".into())
    })
    .await
}
